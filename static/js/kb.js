// The knowledge base in the desk: insert an article's link or text into the reply at the
// cursor. Without JavaScript the reply box's article search still lists the articles, each
// with its address to copy.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-kb-insert]");
    if (!button) return;
    const target = document.getElementById(button.dataset.target);
    if (!target) return;
    event.preventDefault();
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    const before = target.value.slice(0, start);
    const text = (before && !before.endsWith("\n") ? "\n" : "") + button.dataset.text;
    target.value = before + text + target.value.slice(end);
    target.focus();
    target.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
