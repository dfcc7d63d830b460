// Charts of the tier report, from the numbers the page embeds (no network).
(function () {
  const node = document.getElementById("chart-data");
  if (!node || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const lang = document.documentElement.lang || "zh-hans";
  const zh = lang.startsWith("zh");
  new Chart(document.getElementById("chart-stars"), {
    type: "bar",
    data: {labels: data.stars.labels, datasets: [
      {label: zh ? "客户占比 %" : "customers %", data: data.stars.customers},
      {label: zh ? "CEV 占比 %" : "CEV %", data: data.stars.cev},
    ]},
    options: {animation: false, scales: {y: {beginAtZero: true, max: 100}}},
  });
  new Chart(document.getElementById("chart-stages"), {
    type: "bar",
    data: {labels: data.stages.labels, datasets: [{label: zh ? "客户数" : "customers", data: data.stages.values}]},
    options: {animation: false, indexAxis: "y", plugins: {legend: {display: false}}},
  });
})();
