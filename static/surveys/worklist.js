// Callback worklist: one-key outcomes. A key (or a click) records the attempt in place — the row stays where it
// is, its cells show the new outcome, a confirmation with an Undo button appears above the list — and "u" takes
// the last one back while the server still allows it. Keys act on the selected row (j/k or a click selects).
// Static file: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  const table = document.getElementById("worklist");
  const status = document.getElementById("attempt-status");
  if (!table || !status) return;
  const rows = () => Array.from(table.querySelectorAll("tbody tr[data-item]"));
  let selected = null;
  let lastUndo = null;  // {url, row, timer}

  function select(row) {
    if (!row) return;
    if (selected) selected.classList.remove("table-active");
    selected = row;
    row.classList.add("table-active");
    row.focus({preventScroll: true});
    row.scrollIntoView({block: "nearest"});
  }

  function csrf(form) {
    const field = (form || document).querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body, token) {
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"Accept": "application/json", "X-CSRFToken": token}})
      .then((r) => r.json().then((data) => ({ok: r.ok && data.ok, data: data})));
  }

  function show(message, kind, undoUrl) {
    status.replaceChildren();
    const box = document.createElement("div");
    box.className = `alert alert-${kind} py-1 d-flex align-items-center gap-2`;
    box.id = "attempt-confirmation";
    const text = document.createElement("span");
    text.textContent = message;
    box.append(text);
    if (undoUrl) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary py-0";
      button.textContent = status.dataset.undoLabel;
      button.addEventListener("click", undo);
      box.append(button);
    }
    status.append(box);
  }

  function update(row, data) {
    if (!row) return;
    row.querySelector("[data-outcome]").textContent = data.outcome_label;
    row.querySelector("[data-attempts]").textContent = data.attempts;
  }

  function record(form, outcome) {
    const row = form.closest("tr");
    const body = new FormData(form);
    body.set("outcome", outcome);
    post(form.action, body, csrf(form)).then(({ok, data}) => {
      if (!ok) { show(data.message, "danger"); return; }
      update(row, data);
      row.classList.add("table-warning");
      if (lastUndo) clearTimeout(lastUndo.timer);
      lastUndo = {url: data.undo_url, row: row, token: csrf(form),
                  timer: setTimeout(() => { lastUndo = null; }, data.undo_seconds * 1000)};
      show(data.message, "success", data.undo_url);
      select(row);
    }).catch(() => form.requestSubmit());  // the plain form (the server confirms on the reloaded page)
  }

  function undo() {
    if (!lastUndo) return;
    const {url, row, token} = lastUndo;
    clearTimeout(lastUndo.timer);
    lastUndo = null;
    const body = new FormData();
    body.set("month", status.dataset.month || "");
    post(url, body, token).then(({ok, data}) => {
      if (!ok) { show(data.message, "danger"); return; }
      update(row, data);
      if (row) row.classList.remove("table-warning");
      show(data.message, "secondary");
      select(row);
    }).catch(() => window.location.reload());
  }

  table.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-item]");
    if (row) select(row);
    const button = event.target.closest("form[data-attempt] button[name=outcome]");
    if (!button) return;
    event.preventDefault();
    record(button.form, button.value);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    const all = rows();
    if (!all.length) return;
    if (key === "j" || key === "arrowdown" || key === "k" || key === "arrowup") {
      const at = all.indexOf(selected);
      const step = key === "j" || key === "arrowdown" ? 1 : -1;
      select(all[Math.min(Math.max(at + step, 0), all.length - 1)] || all[0]);
      event.preventDefault();
      return;
    }
    if (key === "u") { undo(); event.preventDefault(); return; }
    const row = selected || all[0];
    const target = row.querySelector(`[data-key="${key}"]`);
    if (!target) return;
    event.preventDefault();
    select(row);
    if (target.tagName === "A") { window.location.assign(target.href); return; }
    record(target.form, target.value);
  });

  const hash = window.location.hash.match(/^#item-(\d+)$/);
  select(hash ? document.getElementById(`item-${hash[1]}`) : null);
  const recorded = document.getElementById("attempt-recorded");
  if (recorded) {  // the plain-form confirmation: "u" undoes it too
    const form = recorded.querySelector("form");
    lastUndo = {url: form.action, row: selected, token: csrf(form), timer: null};
    form.addEventListener("submit", (event) => { event.preventDefault(); undo(); });
  }
})();
