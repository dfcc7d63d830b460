// Keyboard: "/" focuses the search box; j/k move between table rows; Enter opens the row's link.
// A select marked data-autosubmit submits its form when changed (no inline handlers: the CSP forbids them).
(function () {
  document.addEventListener("change", function (e) {
    const field = e.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.requestSubmit();
  });
  document.addEventListener("keydown", function (e) {
    const tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      const box = document.querySelector("[data-search]");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    } else if (e.key === "j" || e.key === "k") {
      const links = Array.from(document.querySelectorAll("table [data-row-link]"));
      if (!links.length) return;
      const at = links.indexOf(document.activeElement);
      const next = e.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
      links[at === -1 ? 0 : next].focus();
    }
  });
  document.querySelectorAll("[data-reveal]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(btn.dataset.reveal, {method: "POST", headers: {"X-CSRFToken": csrf}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) { document.getElementById(btn.dataset.target).textContent = data.value; btn.remove(); })
        .catch(function () { btn.classList.add("btn-outline-danger"); });
    });
  });
})();
