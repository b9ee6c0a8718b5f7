// A second click while a form is being sent does nothing (the server also refuses to
// create a ticket twice: see the intake token). Scripts are optional: forms work without.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("[data-submit-once]");
  if (!button) return;
  if (button.dataset.sending) {
    event.preventDefault();
    return;
  }
  button.dataset.sending = "1";
  button.setAttribute("aria-disabled", "true");
  button.classList.add("disabled");
  button.textContent = "Sending…";
});
