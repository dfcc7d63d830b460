// Charts of the manager home, from the numbers the page embeds (no network).
(function () {
  const node = document.getElementById("workspace-data");
  if (!node || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const zh = (document.documentElement.lang || "zh-hans").startsWith("zh");
  const stars = document.getElementById("chart-stars");
  if (stars) {
    new Chart(stars, {
      type: "bar",
      data: {labels: data.stars.labels, datasets: [
        {label: zh ? "客户占比 %" : "customers %", data: data.stars.customers},
        {label: zh ? "CEV 占比 %" : "CEV %", data: data.stars.cev},
      ]},
      options: {animation: false, scales: {y: {beginAtZero: true, max: 100}}},
    });
  }
  const scatter = document.getElementById("chart-quadrants");
  if (scatter) {
    new Chart(scatter, {
      type: "scatter",
      data: {datasets: data.scatter.map((s) => ({label: (zh ? "象限 " : "quadrant ") + s.label, data: s.data, pointRadius: 2}))},
      options: {animation: false, parsing: false, scales: {
        x: {type: "logarithmic", title: {display: true, text: "CEV"}},
        y: {type: "logarithmic", title: {display: true, text: "CPV"}},
      }},
    });
  }
})();
