// Charts of the alert measures page, from the numbers the page embeds (no network).
(function () {
  const node = document.getElementById("alert-chart-data");
  if (!node || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const zh = (document.documentElement.lang || "zh-hans").startsWith("zh");
  const colours = {"Red": "#dc3545", "Yellow": "#ffc107", "Reminder": "#0dcaf0", "红色": "#dc3545", "黄色": "#ffc107", "提醒": "#0dcaf0"};
  new Chart(document.getElementById("chart-rules"), {
    type: "bar",
    data: {labels: data.labels, datasets: Object.entries(data.series).map(([name, values]) => (
      {label: name, data: values, backgroundColor: colours[name]}))},
    options: {animation: false, indexAxis: "y", scales: {x: {stacked: true, beginAtZero: true}, y: {stacked: true}}},
  });
  new Chart(document.getElementById("chart-outcomes"), {
    type: "doughnut",
    data: {labels: data.outcomes.labels, datasets: [{label: zh ? "结果" : "outcomes", data: data.outcomes.values}]},
    options: {animation: false},
  });
})();
