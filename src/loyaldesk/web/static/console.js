// Small progressive enhancements for the console; every page works without JavaScript.

// Ask before destructive actions: <form data-confirm="Remove X?">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Switch store as soon as another one is picked.
for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  form.addEventListener("change", () => {
    const store = new FormData(form).get("store");
    if (store) window.location.assign(`/console/${encodeURIComponent(store)}/customers`);
  });
}

// Copy buttons: <button data-copy="#element-id">.
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (button) {
    const source = document.querySelector(button.dataset.copy);
    if (source) {
      const label = button.dataset.label || button.textContent;
      button.dataset.label = label;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch {
        // No clipboard here (a console served over plain http, or permission refused): select the text.
        const range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => { button.textContent = label; }, 2500);
    }
  }
  const back = event.target instanceof Element ? event.target.closest("[data-back]") : null;
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// Keyboard: "/" focuses the search field of the page (when not typing elsewhere).
document.addEventListener("keydown", (event) => {
  const typing = event.target instanceof HTMLElement && event.target.closest("input, textarea, select, [contenteditable]");
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
  if (target) {
    event.preventDefault();
    target.focus();
  }
});

// A form came back with errors: move focus to their summary, so keyboard users start there.
document.getElementById("form-errors")?.focus();

// Message template editor: "Preview" renders what is typed, without saving, and swaps the preview in.
for (const button of document.querySelectorAll("[data-preview-url]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const form = button.closest("form");
    const target = document.querySelector(button.dataset.previewTarget);
    if (!form || !target) return;
    const response = await fetch(button.dataset.previewUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "text/html" },
    });
    if (response.ok) target.outerHTML = await response.text();
  });
}
