// loyaldesk chat widget: notices (a banner with a message a journey left for this shopper) and the web
// push opt-in. Loaded by loader.js, which passes its helpers; every text from the desk is inserted as text.

// Only web links are followed from a notice.
function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function base64UrlToBytes(text) {
  const padded = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// A registration's worker once active (pushManager.subscribe needs one).
function activated(registration) {
  if (registration.active) return Promise.resolve(registration);
  const worker = registration.installing || registration.waiting;
  return new Promise((resolve, reject) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve(registration);
      else if (worker.state === "redundant") reject(new Error("the service worker did not start"));
    });
  });
}

export class WidgetExtras {
  constructor({ api, t, el, root, panel, pushWorker }) {
    this.api = api; // `${origin}/widget-api/v1/${store}`
    this.t = t;
    this.el = el;
    this.pushWorker = pushWorker;
    this.ticket = null;
    this.shown = new Map(); // notice id -> element
    this.region = el("div", { class: "ldw-notices", role: "status", "aria-live": "polite", "aria-label": t("Messages from the shop") });
    root.prepend(this.region);
    this.push = el("div", { class: "ldw-push" });
    this.push.hidden = true;
    panel.querySelector(".ldw-header").after(this.push);
  }

  // Each welcome (a new ticket): fetch what waits, and offer notifications where they can work.
  onWelcome(frame) {
    this.ticket = frame.ticket;
    this.refresh();
    if (frame.identified) this.offerPush();
  }

  async refresh() {
    if (!this.ticket) return;
    let notices = [];
    try {
      const response = await fetch(`${this.api}/notices?ticket=${encodeURIComponent(this.ticket)}`);
      if (!response.ok) return;
      notices = (await response.json()).notices || [];
    } catch {
      return; // offline: they are fetched again on the next page
    }
    for (const notice of notices) if (!this.shown.has(notice.id)) this.show(notice);
  }

  show(notice) {
    const { t, el } = this;
    const close = el("button", { type: "button", class: "ldw-notice-close", "aria-label": t("Dismiss"), text: "×" });
    const url = notice.url && safeUrl(notice.url);
    const node = el(
      "div", { class: "ldw-notice", "data-notice-id": notice.id },
      notice.title ? el("p", { class: "ldw-notice-title", text: notice.title }) : null,
      notice.text ? el("p", { class: "ldw-notice-text", text: notice.text }) : null,
      url ? el("a", { class: "ldw-notice-link", href: url, text: t("Open") }) : null,
      close,
    );
    close.addEventListener("click", () => this.dismiss(notice.id, false));
    node.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.dismiss(notice.id, false);
    });
    node.querySelector(".ldw-notice-link")?.addEventListener("click", () => this.dismiss(notice.id, true));
    this.shown.set(notice.id, node);
    this.region.append(node);
  }

  dismiss(id, clicked) {
    const node = this.shown.get(id);
    if (node && !clicked) node.remove();
    // keepalive: a followed link leaves the page while this is on its way.
    fetch(`${this.api}/notices/${id}/dismiss`, {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ticket: this.ticket, clicked }),
    }).catch(() => {});
  }

  // The opt-in: a signed-in shopper, a store with push on, a browser that can and was not refused.
  async offerPush() {
    if (!this.pushWorker || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
    if (Notification.permission === "denied" || this.push.childElementCount) return;
    let key;
    try {
      const response = await fetch(`${this.api}/push/key`);
      if (!response.ok) return; // the store has push off
      key = (await response.json()).public_key;
      const existing = await navigator.serviceWorker.getRegistration(this.pushWorker);
      if (Notification.permission === "granted" && (await existing?.pushManager.getSubscription())) return;
    } catch {
      return;
    }
    const { t, el } = this;
    const button = el("button", { type: "button", class: "ldw-push-button", text: t("Get notified about your points and orders") });
    const note = el("p", { class: "ldw-push-note", role: "status" });
    button.addEventListener("click", () => this.subscribe(key, button, note));
    this.push.replaceChildren(button, note);
    this.push.hidden = false;
  }

  async subscribe(key, button, note) {
    const { t } = this;
    button.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        this.push.hidden = true;
        return;
      }
      const registration = await activated(await navigator.serviceWorker.register(this.pushWorker));
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(key),
      });
      const response = await fetch(`${this.api}/push/subscriptions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...subscription.toJSON(), ticket: this.ticket }),
      });
      if (!response.ok) throw new Error(String(response.status));
      button.remove();
      note.textContent = t("Notifications are on.");
    } catch {
      button.disabled = false;
      note.textContent = t("Notifications could not be switched on; try again later.");
    }
  }
}
