// Canopy's small script. Pages work without it; it only adds comfort.
document.addEventListener("DOMContentLoaded", () => {
  // Select a freshly shown API token so it can be copied at once.
  const secret = document.querySelector("[data-testid=new-token]");
  if (secret) {
    secret.addEventListener("focus", () => secret.select());
    secret.focus();
  }
});

// The org tree: a toggle loads its children once (htmx), then shows or hides them.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("button.toggle");
  if (!toggle) return;
  const list = document.getElementById(toggle.getAttribute("aria-controls"));
  if (!list) return;
  const open = toggle.getAttribute("aria-expanded") === "true";
  if (open) {
    toggle.setAttribute("aria-expanded", "false");
    list.hidden = true;
    return;
  }
  toggle.setAttribute("aria-expanded", "true");
  list.hidden = false;
  if (!list.dataset.loaded && window.htmx) {
    list.dataset.loaded = "1";
    window.htmx.ajax("GET", toggle.dataset.childrenUrl, { target: list, swap: "innerHTML" });
  }
});
