// Canopy's small script. Pages work without it; it only adds comfort.
document.documentElement.classList.add("js");

// On a phone the sidebar waits behind the menu button (app.css).
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest(".menu-button");
  if (!button) return;
  const sidebar = document.getElementById(button.getAttribute("aria-controls"));
  if (!sidebar) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", open ? "true" : "false");
  sidebar.classList.toggle("open", open);
  if (open) {
    const first = sidebar.querySelector("a");
    if (first) first.focus();
  }
});
document.addEventListener("DOMContentLoaded", () => {
  // Select a freshly shown API token so it can be copied at once.
  const secret = document.querySelector("[data-testid=new-token]");
  if (secret) {
    secret.addEventListener("focus", () => secret.select());
    secret.focus();
  }
});

// The org tree. Without JavaScript each toggle is a link that reloads the
// page with the node open; here it loads the node's children once (htmx),
// then shows or hides them.
function setExpanded(toggle, item, open) {
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
  if (item) item.setAttribute("aria-expanded", open ? "true" : "false");
  const name = item && item.querySelector(":scope > a.name");
  if (name) toggle.setAttribute("aria-label", (open ? "Hide" : "Show") + " sub-organizations of " + name.textContent);
}

document.addEventListener("click", (event) => {
  const toggle = event.target.closest && event.target.closest(".tree .toggle");
  if (!toggle) return;
  const list = document.getElementById(toggle.getAttribute("aria-controls"));
  if (!list) return;
  event.preventDefault();
  const item = toggle.closest("li.node");
  const open = toggle.getAttribute("aria-expanded") === "true";
  setExpanded(toggle, item, !open);
  list.hidden = open;
  if (!open && !list.dataset.loaded && window.htmx) {
    list.dataset.loaded = "1";
    window.htmx.ajax("GET", toggle.dataset.childrenUrl, { target: list, swap: "innerHTML" });
  }
});

// "Show more" replaces itself with the next children: keep the keyboard
// focus in the tree, on the first of them.
let focusAfterMore = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const more = event.target.closest && event.target.closest(".tree li.more");
  if (!more || document.activeElement !== event.target) return;
  const list = more.parentElement;
  focusAfterMore = { list, count: list.querySelectorAll(":scope > li.node").length };
});
document.addEventListener("htmx:afterSettle", () => {
  if (!focusAfterMore) return;
  const { list, count } = focusAfterMore;
  focusAfterMore = null;
  const node = list.querySelectorAll(":scope > li.node")[count];
  const link = node && node.querySelector(":scope > a.name");
  if (link) link.focus();
});

// The org tree by keyboard (the WAI-ARIA treeview pattern): Up/Down move
// between visible nodes, Home/End to the first/last, Right opens a node or
// enters its first child, Left closes it or goes to its parent; Enter
// follows the link (opens the organization, or shows more).
document.addEventListener("keydown", (event) => {
  const link = event.target.closest && event.target.closest("[role=tree] li.node > a.name, [role=tree] li.more > a");
  if (!link) return;
  const item = link.parentElement;
  const links = Array.from(item.closest("[role=tree]").querySelectorAll("li.node > a.name, li.more > a"))
    .filter((a) => !a.closest("ul[hidden]"));
  const index = links.indexOf(link);
  const toggle = item.querySelector(":scope > .toggle");
  const open = toggle && toggle.getAttribute("aria-expanded") === "true";
  let target = null;
  if (event.key === "ArrowDown") target = links[index + 1];
  else if (event.key === "ArrowUp") target = links[index - 1];
  else if (event.key === "Home") target = links[0];
  else if (event.key === "End") target = links[links.length - 1];
  else if (event.key === "ArrowRight" && toggle && !open) toggle.click();
  else if (event.key === "ArrowRight" && open) target = item.querySelector(":scope > ul > li > a.name, :scope > ul > li.more > a");
  else if (event.key === "ArrowLeft" && open) toggle.click();
  else if (event.key === "ArrowLeft") {
    const parent = item.parentElement.closest("li.node");
    if (parent) target = parent.querySelector(":scope > a.name");
  } else return;
  event.preventDefault();
  if (target) target.focus();
});

// On a page opened at one org (`/orgs?open=ID`), start the keyboard there.
document.addEventListener("DOMContentLoaded", () => {
  const current = document.querySelector("[role=tree] [data-testid=tree-current]");
  if (current) current.focus();
});

// The timesheet grid: arrow keys move between hour cells like a spreadsheet
// (left/right at the ends of the text, up/down always).
document.addEventListener("keydown", (event) => {
  const input = event.target.closest && event.target.closest("table.grid-table input.hours");
  if (!input) return;
  const cell = input.closest("td");
  const row = input.closest("tr");
  const inputsOf = (tr) => Array.from(tr.querySelectorAll("input.hours"));
  const column = inputsOf(row).indexOf(input);
  let target = null;
  if (event.key === "ArrowUp" || event.key === "ArrowDown") {
    let tr = row;
    do {
      tr = event.key === "ArrowUp" ? tr.previousElementSibling : tr.nextElementSibling;
    } while (tr && inputsOf(tr).length === 0);
    if (tr) target = inputsOf(tr)[column];
  } else if (event.key === "ArrowLeft" && input.selectionStart === 0) {
    target = inputsOf(row)[column - 1];
  } else if (event.key === "ArrowRight" && input.selectionEnd === input.value.length) {
    target = inputsOf(row)[column + 1];
  }
  if (target && cell) {
    event.preventDefault();
    target.focus();
    target.select();
  }
});

// The approvals inbox: a header checkbox that ticks or clears every row's
// checkbox on the page (it stays hidden without this script; the rows' own
// checkboxes work either way).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const name = all.dataset.selectAll;
    const table = all.closest("table");
    const rows = () => Array.from(table.querySelectorAll(`tbody input[type=checkbox][name="${name}"]`));
    const label = all.closest("label");
    if (label) label.hidden = false;
    all.addEventListener("change", () => rows().forEach((box) => { box.checked = all.checked; }));
    table.addEventListener("change", (event) => {
      if (event.target === all) return;
      const boxes = rows();
      const ticked = boxes.filter((box) => box.checked).length;
      all.checked = ticked === boxes.length && ticked > 0;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    });
  });
});

// Dates: the server writes "30 Nov 2026" in a <time datetime="2026-11-30">
// (the ISO date on hover); here they read in the person's own locale.
// Moments (with a time) stay in UTC, as the pages' headings say.
function localDates(root) {
  if (!window.Intl || !Intl.DateTimeFormat) return;
  const day = new Intl.DateTimeFormat(navigator.language, { dateStyle: "medium", timeZone: "UTC" });
  const moment = new Intl.DateTimeFormat(navigator.language, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  root.querySelectorAll("time[datetime]").forEach((el) => {
    const iso = el.getAttribute("datetime");
    const only = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    const when = only ? new Date(Date.UTC(+only[1], +only[2] - 1, +only[3])) : new Date(iso);
    if (isNaN(when.getTime())) return;
    el.textContent = (only ? day : moment).format(when);
  });
}
document.addEventListener("DOMContentLoaded", () => localDates(document));
document.addEventListener("htmx:afterSwap", (event) => localDates(event.target));
// The timesheet grid: row, day and week totals follow what is typed, before
// Save (the server adds them up again when it saves). Hours read as the
// server reads them: "7.5", "7,5" or "7:30"; anything else counts nothing.
function gridHours(text) {
  const value = text.trim();
  if (value === "") return 0;
  const clock = value.match(/^(\d+)\s*:\s*(\d{1,2})$/);
  if (clock) return Number(clock[1]) + Math.min(Number(clock[2]), 59) / 60;
  const hours = Number(value.replace(",", "."));
  return Number.isFinite(hours) ? hours : 0;
}

function gridTotals(table) {
  const days = [];
  let week = 0;
  table.querySelectorAll("tbody tr[data-project]").forEach((row) => {
    let sum = 0;
    row.querySelectorAll("input.hours").forEach((input, i) => {
      const hours = gridHours(input.value);
      sum += hours;
      days[i] = (days[i] || 0) + hours;
    });
    week += sum;
    const total = row.querySelector("[data-row-total]");
    if (total) total.textContent = sum.toFixed(2);
  });
  table.querySelectorAll("tfoot [data-day-total]").forEach((cell, i) => {
    cell.textContent = (days[i] || 0).toFixed(2);
  });
  const total = table.querySelector("[data-testid=week-total]");
  if (total) total.textContent = week.toFixed(2);
}

document.addEventListener("input", (event) => {
  const input = event.target.closest && event.target.closest("table.grid-table input.hours");
  if (input) gridTotals(input.closest("table"));
});

// The settings page: the accent's swatch shows the colour as it is picked.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.dataset || !input.dataset.swatch) return;
  const swatch = document.getElementById(input.dataset.swatch);
  if (swatch) swatch.setAttribute("fill", input.value);
});
