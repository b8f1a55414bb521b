// Small enhancements of the member page; it works without JavaScript.

// Ask before spending points: <form data-confirm="...">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  // One click, one redemption: the form's request key already makes a second submit a no-op.
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
});

// Copy buttons: <button data-copy="#element-id">.
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  } catch {
    window.getSelection().selectAllChildren(source);
  }
});

// Bring a freshly redeemed code into view and focus, for screen readers too.
const redeemed = document.getElementById("redeemed");
if (redeemed) redeemed.focus();
