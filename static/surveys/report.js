/* Satisfaction index by month (surveys report). Data comes from the page's json_script. */
(function () {
  var el = document.getElementById("chart-data");
  var canvas = document.getElementById("chart-index");
  if (!el || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "line",
    data: {labels: data.labels, datasets: data.datasets.map(function (d) {
      return {label: d.label, data: d.data, spanGaps: true, tension: 0.2};
    })},
    options: {aspectRatio: 4, scales: {y: {min: 0, max: 100}}, plugins: {legend: {position: "bottom"}}}
  });
})();
