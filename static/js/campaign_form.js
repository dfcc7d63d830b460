// The new-campaign page: the live count of the segment (campaigns:count) as the form changes.
(function () {
  var form = document.getElementById("campaign-form"), out = document.getElementById("segment-count");
  if (!form || !out) return;
  var link = document.getElementById("segment-list-link"), listUrl = link.getAttribute("href"), timer = null;
  function value(name) {
    var el = form.querySelector("[name=" + name + "]:checked") || form.querySelector("select[name=" + name + "], input[type=text][name=" + name + "]");
    return el ? el.value : "";
  }
  function count() {
    var params = new URLSearchParams({segment_kind: value("segment_kind"), segment_query: value("segment_query"),
                                      product: value("product")});
    link.setAttribute("href", listUrl + "?" + value("segment_query"));
    fetch(out.dataset.url + "?" + params.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { out.textContent = data.text; })
      .catch(function () { out.textContent = out.dataset.failed; });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(count, 400); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(count, 100); });
  count();
})();
