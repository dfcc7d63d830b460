// The 360° customer page: the asset-mix doughnut from the figures the page embeds (no network).
// The table next to it shows the same figures and is what readers without JavaScript see.
(function () {
  const node = document.getElementById("asset-mix-data");
  const canvas = document.getElementById("chart-asset-mix");
  if (!node || !canvas || !window.Chart) return;
  const data = JSON.parse(node.textContent);
  const zh = (document.documentElement.lang || "zh-hans").startsWith("zh");
  // Amounts as the page prints them (crm_format.cny): 万 from 10,000 in Chinese, whole CNY otherwise.
  const money = function (v) {
    if (zh && Math.abs(v) >= 10000) {
      return (v / 10000).toLocaleString("en", {minimumFractionDigits: 2, maximumFractionDigits: 2}) + "万";
    }
    return Math.round(v).toLocaleString("en");
  };
  // Securities, the four product classes in one hue family, cash.
  const colours = {
    securities: "#d9534f", equity_funds: "#0d6efd", fixed_income: "#4d94ff", reits_trusts: "#8fbaff",
    other_products: "#c6dbff", cash: "#f0ad4e",
  };
  new Chart(canvas, {
    type: "doughnut",
    data: {
      labels: data.labels,
      datasets: [{data: data.values, backgroundColor: data.keys.map(function (k) { return colours[k] || "#adb5bd"; })}],
    },
    options: {
      animation: false,
      plugins: {
        legend: {position: "bottom", labels: {boxWidth: 12}},
        tooltip: {callbacks: {label: function (ctx) {
          return " " + money(ctx.parsed) + " (" + data.shares[ctx.dataIndex] + "%)";
        }}},
      },
    },
  });
})();
