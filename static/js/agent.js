// The agent workspace's small behaviours; every page works without them.
(function () {
  "use strict";

  // Canned responses: insert the chosen text into the reply at the cursor, instead of the
  // full-page fallback that reloads the page with the reply box filled.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-canned-insert]");
    if (!button) return;
    const select = document.getElementById(button.dataset.cannedInsert);
    const target = document.getElementById(button.dataset.target);
    const option = select && select.selectedOptions[0];
    event.preventDefault();
    if (!target || !option || !option.dataset.body) return;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    const before = target.value.slice(0, start);
    const text = (before && !before.endsWith("\n") ? "\n" : "") + option.dataset.body;
    target.value = before + text + target.value.slice(end);
    target.focus();
    target.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // Presence: tell the heartbeat whether this agent is writing something.
  document.addEventListener("input", function (event) {
    if (!event.target.matches("textarea[data-writing]")) return;
    const flag = document.getElementById("presence-writing");
    if (!flag) return;
    const busy = Array.from(document.querySelectorAll("textarea[data-writing]")).some(
      (area) => area.value.trim() !== ""
    );
    flag.value = busy ? "1" : "0";
  });

  // Bulk selection: "select all" and the count of selected tickets.
  // The names of the files chosen for a reply go into the draft (browsers cannot refill a
  // file input after a reload). Capture phase: the hidden field is filled before htmx,
  // listening on the form, sends the draft.
  document.addEventListener(
    "change",
    function (event) {
      const input = event.target;
      if (!input.matches("input[type=file][data-names-into]")) return;
      const names = document.getElementById(input.dataset.namesInto);
      if (names) names.value = JSON.stringify(Array.from(input.files, (file) => file.name));
    },
    true
  );

  function refreshSelection() {
    const boxes = document.querySelectorAll("input[name=tickets]");
    const chosen = Array.from(boxes).filter((box) => box.checked).length;
    const counter = document.getElementById("selected-count");
    if (counter) counter.textContent = chosen ? chosen + " selected" : "";
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      document.querySelectorAll("input[name=tickets]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.id === "select-all" || event.target.name === "tickets") refreshSelection();
  });
  document.addEventListener("htmx:afterSwap", refreshSelection);

  // A key shown once (the API keys page): selected whole on focus, and a Copy button,
  // shown only where the clipboard can be written.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("input[data-select-on-focus]")) event.target.select();
  });
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const input = document.getElementById(button.dataset.copy);
    if (!input) return;
    input.select();
    navigator.clipboard.writeText(input.value).then(
      function () {
        button.textContent = "Copied";
      },
      function () {
        button.textContent = "Press Ctrl+C to copy";
      }
    );
  });
})();
