// loyaldesk chat widget. A store adds one tag to its pages (the console's Inbox → Install the chat shows it):
//   <script type="module" src="https://desk.example/static/widget/loader.js" data-loyaldesk-widget
//           data-store="your-store" data-customer-id="..." data-customer-signature="..."></script>
// (the customer attributes only for a signed-in shopper, signed by the store's server; data-push-worker
// names the web push service worker the store serves from its own site, see notices.js).
// Plain ES module, no build step. Everything the shopper types is sent as text; messages from the desk
// arrive as HTML already sanitized by the server and are the only HTML this widget inserts. It adds no
// inline script or style, so the store's Content-Security-Policy needs only loyaldesk's origin in
// script-src, style-src, img-src and connect-src (docs/channels.md).

import { ArticleSuggestions } from "./articles.js";
import { WidgetCalls } from "./call.js";
import { Cobrowse } from "./cobrowse.js";
import { PersonalGreeting } from "./greeting.js";
import { WidgetExtras } from "./notices.js";
import { SurveyCard } from "./surveys.js";

const script = document.querySelector("script[data-loyaldesk-widget]");
const origin = new URL(import.meta.url).origin;
const store = script?.dataset.store;
const identity = script?.dataset.customerId
  ? {
      customer_id: script.dataset.customerId,
      signature: script.dataset.customerSignature,
      expires: script.dataset.signatureExpires ? Number(script.dataset.signatureExpires) : undefined,
    }
  : null;
const SVG = "http://www.w3.org/2000/svg";

// The widget's texts come from loyaldesk in the shopper's language (their profile's, the store's default,
// else the browser's: docs/i18n.md); t("English text", {name: value}) looks one up and fills {name}.
let texts = {};
let language = "en";
function t(text, values = {}) {
  let result = texts[text] || text;
  for (const [name, value] of Object.entries(values)) result = result.replaceAll(`{${name}}`, String(value));
  return result;
}

// The desk's default title and greeting: a store that kept them gets them in the shopper's language
// (its own wording is shown as written). N_ only marks them for the catalog.
const N_ = (text) => text;
N_("Chat with us");
N_("Hi! How can we help?");

async function loadTexts() {
  const query = new URLSearchParams({ language: script?.dataset.language || navigator.language || "en" });
  if (identity) {
    query.set("customer", identity.customer_id);
    query.set("signature", identity.signature || "");
    if (identity.expires !== undefined) query.set("expires", String(identity.expires));
  }
  try {
    const response = await fetch(`${origin}/widget-api/v1/${encodeURIComponent(store)}/texts?${query}`);
    if (response.ok) {
      const loaded = await response.json();
      texts = loaded.messages || {};
      language = loaded.language || "en";
    }
  } catch {
    // Unreachable now: the widget speaks English, and the socket's retries report the connection.
  }
}

// Pages that enforce Trusted Types (require-trusted-types-for 'script') let the widget insert the desk's
// messages through a policy of its own, "loyaldesk-widget"; the HTML was sanitized by the server (nh3).
const htmlPolicy = (() => {
  try {
    return window.trustedTypes?.createPolicy("loyaldesk-widget", { createHTML: (html) => html }) ?? null;
  } catch {
    return null; // the page's policy does not allow ours; plain strings then work only without enforcement
  }
})();
const trustedHtml = (html) => (htmlPolicy ? htmlPolicy.createHTML(html) : html);

// A paperclip drawn with lines, so the attach button looks the same with any fonts (an emoji needs one).
function paperclipIcon() {
  const icon = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24", width: "20", height: "20", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true",
    focusable: "false", class: "ldw-icon",
  })) icon.setAttribute(key, value);
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M16.5 6.5v9a4.5 4.5 0 0 1-9 0v-10a3 3 0 0 1 6 0v9.5a1.5 1.5 0 0 1-3 0V7");
  icon.append(path);
  return icon;
}

const storageKey = (name) => `loyaldesk:${store}:${identity ? "c:" + identity.customer_id : "visitor"}:${name}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

class ChatWidget {
  constructor() {
    this.messages = new Map(); // message id -> element
    this.pending = new Map(); // client_message_id -> {body, element}
    this.conversationId = null;
    this.lastEventId = Number(localStorage.getItem(storageKey("last_event_id")) || 0) || null;
    this.retry = 0;
    this.agentsOnline = false;
    this.open = false;
    this.build();
    this.restorePending();
    this.connect();
  }

  build() {
    const css = el("link", { rel: "stylesheet", href: `${origin}/static/widget/widget.css` });
    document.head.append(css);
    this.launcher = el("button", {
      class: "ldw-launcher", type: "button", "aria-expanded": "false", "aria-controls": "ldw-panel",
      text: t("Chat with us"),
    });
    this.title = el("h2", { class: "ldw-title", id: "ldw-title", text: t("Chat with us") });
    this.status = el("p", { class: "ldw-status", role: "status", "aria-live": "polite" });
    const close = el("button", { class: "ldw-close", type: "button", "aria-label": t("Close chat"), text: "×" });
    this.list = el("ol", { class: "ldw-messages", "aria-label": t("Messages"), "aria-live": "polite" });
    this.typing = el("p", { class: "ldw-typing", text: t("Support is typing…") });
    this.typing.hidden = true;
    this.input = el("textarea", { id: "ldw-input", rows: "2", placeholder: t("Type your message…"), maxlength: "10000" });
    const label = el("label", { for: "ldw-input", class: "ldw-visually-hidden", text: t("Your message") });
    const send = el("button", { type: "submit", class: "ldw-send", text: t("Send") });
    this.fileInput = el("input", {
      id: "ldw-files", type: "file", multiple: "", class: "ldw-visually-hidden",
      accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv",
    });
    const attach = el("label", { for: "ldw-files", class: "ldw-attach", title: t("Attach files (up to 3, 10 MB each)") },
      paperclipIcon(), el("span", { class: "ldw-visually-hidden", text: t("Attach files") }));
    this.form = el("form", { class: "ldw-composer" }, label, this.input, this.fileInput, attach, send);
    this.csat = el("div", { class: "ldw-csat" });
    this.csat.hidden = true;
    this.offline = this.buildOfflineForm();
    this.offline.hidden = true;
    this.panel = el(
      "section",
      { class: "ldw-panel", id: "ldw-panel", role: "dialog", "aria-labelledby": "ldw-title", lang: language },
      el("header", { class: "ldw-header" }, this.title, close),
      this.status, this.list, this.typing, this.csat, this.offline, this.form,
    );
    this.panel.hidden = true;
    const root = el("div", { class: "ldw-root" }, this.panel, this.launcher);
    document.body.append(root);
    // Notices left for this shopper, and the web push opt-in (notices.js).
    this.extras = new WidgetExtras({
      api: `${origin}/widget-api/v1/${encodeURIComponent(store)}`, t, el, root, panel: this.panel,
      pushWorker: script?.dataset.pushWorker,
    });
    // A survey waiting for a signed-in shopper's answer, as a card above the messages (surveys.js).
    this.surveys = new SurveyCard({
      api: `${origin}/widget-api/v1/${encodeURIComponent(store)}`, t, el, panel: this.panel, before: this.list,
      language: () => language,
    });
    // The greeting of a returning, signed-in shopper in place of the store's (greeting.js).
    this.greeting = new PersonalGreeting({
      api: `${origin}/widget-api/v1/${encodeURIComponent(store)}`, origin, identity, el, list: this.list,
      language: () => language,
    });
    // Help articles as the shopper types, until a conversation starts (articles.js).
    this.articles = new ArticleSuggestions({
      api: `${origin}/widget-api/v1/${encodeURIComponent(store)}`, t, el, input: this.input, before: this.form,
      language: () => language,
      active: () => this.conversationId === null && this.messages.size === 0,
      visitorToken: () => localStorage.getItem(storageKey("visitor_token")),
    });

    // Co-browsing: the consent card when an agent asks to see the page, then the sharing (cobrowse.js).
    this.cobrowse = new Cobrowse({
      origin, store, t, el, panel: this.panel, before: this.list, ticket: () => this.ticket,
      open: () => this.open || this.toggle(true),
    });

    // Video and voice calls: "Call us" while an agent is online, the incoming call card, the call (call.js).
    this.calls = new WidgetCalls({ origin, store, t, el, panel: this.panel, before: this.list, widget: this });

    this.launcher.addEventListener("click", () => this.toggle(!this.open));
    close.addEventListener("click", () => this.toggle(false));
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.toggle(false);
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendMessage();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.sendMessage();
      }
    });
    this.input.addEventListener("input", () => this.sendTyping());
    this.fileInput.addEventListener("change", () => this.sendFiles());
  }

  buildOfflineForm() {
    const name = el("input", { id: "ldw-off-name", name: "name", required: "", autocomplete: "name" });
    const email = el("input", { id: "ldw-off-email", name: "email", type: "email", required: "", autocomplete: "email" });
    const body = el("textarea", { id: "ldw-off-body", name: "body", rows: "3", required: "" });
    const form = el(
      "form", { class: "ldw-offline" },
      el("p", { text: t("We're away right now. Leave a message and we'll answer by email.") }),
      el("label", { for: "ldw-off-name", text: t("Name") }), name,
      el("label", { for: "ldw-off-email", text: t("Email") }), email,
      el("label", { for: "ldw-off-body", text: t("Message") }), body,
      el("button", { type: "submit", class: "ldw-send", text: t("Send message") }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let response, result;
      try {
        response = await fetch(`${origin}/widget-api/v1/${store}/offline-messages`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            visitor_token: localStorage.getItem(storageKey("visitor_token")) || undefined,
            name: name.value, email: email.value, body: body.value,
          }),
        });
        result = await response.json().catch(() => ({}));
      } catch {
        this.status.textContent = t("Could not reach us; check your connection and send again.");
        return; // what was typed stays in the form
      }
      if (response.ok) {
        form.replaceChildren(el("p", { role: "status", text: t("Thank you! We'll reply by email soon.") }));
      } else {
        const reason = (result.error?.fields || []).map((f) => `${f.field}: ${f.reason}`).join("; ");
        this.status.textContent = reason || result.error?.message || t("Could not send; try again.");
      }
    });
    return form;
  }

  toggle(open) {
    this.open = open;
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      (this.offline.hidden ? this.input : this.offline.querySelector("input")).focus();
      this.markRead();
    } else {
      this.launcher.focus();
    }
  }

  connect() {
    const url = `${origin.replace(/^http/, "ws")}/ws/widget/${encodeURIComponent(store)}`;
    this.socket = new WebSocket(url);
    this.socket.addEventListener("open", () => {
      const hello = { type: "hello", visitor_token: localStorage.getItem(storageKey("visitor_token")) || undefined };
      if (identity) Object.assign(hello, identity);
      if (this.lastEventId && this.list.childElementCount) hello.last_event_id = this.lastEventId;
      this.socket.send(JSON.stringify(hello));
    });
    this.socket.addEventListener("message", (event) => this.onFrame(JSON.parse(event.data)));
    this.socket.addEventListener("close", (event) => {
      if (event.code >= 4400 && event.code < 4500) {
        // The error frame before the close said why in full; the close reason is cut at 123 bytes.
        this.status.textContent = this.refusal || event.reason || t("The chat is not available.");
        return;
      }
      this.status.textContent = t("Reconnecting…");
      const delay = Math.min(10000, 500 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    });
  }

  onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        this.retry = 0;
        // Someone answers now: an agent, or the store's assistant (which hands over to people).
        const answered = frame.agents_online || frame.assistant;
        this.status.textContent = answered ? t("We're online.") : "";
        this.agentsOnline = frame.agents_online;
        if (frame.visitor_token) localStorage.setItem(storageKey("visitor_token"), frame.visitor_token);
        this.ticket = frame.ticket;
        this.title.textContent = t(frame.settings.title);
        this.launcher.textContent = t(frame.settings.title);
        this.panel.style.setProperty("--ldw-accent", frame.settings.accent);
        this.launcher.style.setProperty("--ldw-accent", frame.settings.accent);
        if (frame.conversation) this.conversationId = frame.conversation.id;
        if (frame.messages) {
          this.list.replaceChildren();
          this.messages.clear();
          if (!frame.messages.length) {
            this.addGreeting(t(frame.settings.greeting));
            this.greeting.onWelcome(frame);
          }
          for (const message of frame.messages) this.addMessage(message);
          this.showCsat(frame.conversation);
        }
        this.offline.hidden = answered || Boolean(frame.conversation) || this.pending.size > 0;
        this.form.hidden = !this.offline.hidden;
        this.panel.classList.toggle("ldw-offline-mode", !this.offline.hidden);
        this.remember(frame.last_event_id);
        this.flushPending();
        this.extras.onWelcome(frame);
        this.surveys.onWelcome(frame);
        this.cobrowse.onWelcome(frame);
        this.calls.onWelcome(frame);
        break;
      case "event":
        this.onEvent(frame);
        this.remember(frame.id);
        break;
      case "ack":
        this.pending.delete(frame.client_message_id);
        this.savePending();
        this.conversationId = frame.conversation_id;
        break;
      case "error":
        if (frame.code) this.refusal = frame.message; // the socket is being refused; it closes next
        if (frame.client_message_id) {
          const item = this.pending.get(frame.client_message_id);
          item?.element.classList.add("ldw-failed");
          this.pending.delete(frame.client_message_id);
          this.savePending();
        }
        this.status.textContent = frame.message;
        break;
      case "typing":
        if (frame.who === "agent") {
          this.typing.hidden = !frame.typing;
          clearTimeout(this.typingTimer);
          if (frame.typing) this.typingTimer = setTimeout(() => (this.typing.hidden = true), 6000);
        }
        break;
      case "ping":
        this.socket.send(JSON.stringify({ type: "pong" }));
        break;
      case "csat_thanks":
        this.csat.replaceChildren(el("p", { role: "status", text: t("Thank you for your rating!") }));
        break;
    }
  }

  onEvent(frame) {
    const data = frame.data;
    if (frame.event.startsWith("calls.")) {
      // A call's events, for whichever part handles its kind (cobrowse.js; call.js for video and voice).
      const detail = { event: frame.event, session: { ...data, id: data.session_id } };
      window.dispatchEvent(new CustomEvent("loyaldesk:call", { detail }));
      return;
    }
    if (frame.event === "widget.notice_posted") {
      this.extras.refresh();
    } else if (frame.event === "conversation.message_posted") {
      this.conversationId = frame.conversation_id;
      this.calls.refresh();
      this.addMessage(data.message);
      if (data.message.author_kind !== "customer") {
        this.typing.hidden = true;
        if (this.open) this.markRead();
        else this.launcher.classList.add("ldw-unread");
      }
    } else if (frame.event === "csat.requested") {
      this.showCsat({ id: frame.conversation_id, csat: { requested: true, rating: null } });
    } else if (frame.event === "conversation.read" && data.reader === "agent") {
      for (const [id, node] of this.messages) {
        if (id <= data.message_id && node.classList.contains("ldw-from-customer")) node.dataset.read = "true";
      }
    } else if (frame.event === "conversation.status_changed" && data.to_status === "open") {
      this.csat.hidden = true;
    }
  }

  remember(eventId) {
    if (!eventId) return;
    this.lastEventId = Math.max(this.lastEventId || 0, eventId);
    localStorage.setItem(storageKey("last_event_id"), String(this.lastEventId));
  }

  addGreeting(text) {
    this.list.append(el("li", { class: "ldw-message ldw-from-agent ldw-greeting" }, el("p", { text })));
  }

  addMessage(message) {
    if (this.messages.has(message.id)) return; // the same message from history and stream: once
    const pending = message.client_message_id && this.pending.get(message.client_message_id);
    const mine = message.author_kind === "customer";
    const body = el("div", { class: "ldw-body" });
    body.innerHTML = trustedHtml(message.body_html); // sanitized by the server (nh3); see the module comment
    for (const link of body.querySelectorAll("a")) link.setAttribute("target", "_blank");
    const node = el(
      "li",
      {
        // The store's assistant speaks like an agent, under its own name (and class, for the store's CSS).
        class: `ldw-message ${mine ? "ldw-from-customer" : "ldw-from-agent"}${message.author_kind === "assistant" ? " ldw-from-assistant" : ""}`,
        "data-message-id": message.id,
      },
      mine ? null : el("p", { class: "ldw-author", text: message.author_name }),
      body,
    );
    for (const file of message.attachments || []) node.append(this.fileLink(file));
    const existing = this.list.querySelector(`[data-client-id="${CSS.escape(message.client_message_id || "")}"]`);
    if (existing) existing.replaceWith(node);
    else this.list.append(node);
    if (pending) this.pending.delete(message.client_message_id);
    this.messages.set(message.id, node);
    this.list.scrollTop = this.list.scrollHeight;
  }

  fileLink(file) {
    const href = `${origin}/widget-api/v1/${store}/attachments/${file.id}?ticket=${encodeURIComponent(this.ticket || "")}`;
    const size = file.size >= 1048576 ? `${(file.size / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(file.size / 1024))} KB`;
    const link = el("a", { class: "ldw-file", href, download: file.filename }, el("span", { text: `${file.filename} (${size})` }));
    if (file.content_type.startsWith("image/")) link.prepend(el("img", { src: href, alt: "", loading: "lazy" }));
    return el("p", {}, link);
  }

  // Files go over HTTP (the socket carries text); the message comes back as an event like any other.
  async sendFiles() {
    const files = [...this.fileInput.files];
    this.fileInput.value = "";
    if (!files.length || !this.ticket) return;
    const data = new FormData();
    data.set("ticket", this.ticket);
    data.set("client_message_id", crypto.randomUUID());
    data.set("body", this.input.value.trim());
    if (this.conversationId) data.set("conversation_id", String(this.conversationId));
    for (const file of files) data.append("files", file);
    this.status.textContent = t("Sending {files}…", { files: files.map((f) => f.name).join(", ") });
    let response;
    try {
      response = await fetch(`${origin}/widget-api/v1/${store}/messages`, { method: "POST", body: data });
    } catch {
      this.status.textContent = t("The file could not be sent; check your connection and try again.");
      return;
    }
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      const reason = (result.error?.fields || []).map((f) => f.reason).join("; ");
      this.status.textContent = reason || result.error?.message || t("The file could not be sent.");
      return;
    }
    this.status.textContent = "";
    this.input.value = "";
    if (this.conversationId !== result.conversation_id) {
      this.conversationId = result.conversation_id;
      this.socket?.send(JSON.stringify({ type: "watch", conversation_id: result.conversation_id }));
    }
  }

  sendMessage() {
    const body = this.input.value.trim();
    if (!body) return;
    this.articles.hide(); // the conversation starts: a person (or the assistant) answers from here
    const clientId = crypto.randomUUID();
    const element = el("li", { class: "ldw-message ldw-from-customer ldw-sending", "data-client-id": clientId }, el("p", { text: body }));
    this.list.append(element);
    this.list.scrollTop = this.list.scrollHeight;
    this.pending.set(clientId, { body, element });
    this.savePending();
    this.input.value = "";
    this.transmit(clientId, body);
  }

  transmit(clientId, body) {
    if (this.socket?.readyState !== WebSocket.OPEN) return; // sent again after reconnecting
    const frame = { type: "message", client_message_id: clientId, body };
    if (this.conversationId) frame.conversation_id = this.conversationId;
    this.socket.send(JSON.stringify(frame));
  }

  flushPending() {
    for (const [clientId, item] of this.pending) {
      if (!item.element.isConnected) {
        item.element = el("li", { class: "ldw-message ldw-from-customer ldw-sending", "data-client-id": clientId }, el("p", { text: item.body }));
        this.list.append(item.element);
      }
      this.transmit(clientId, item.body);
    }
  }

  savePending() {
    const items = [...this.pending].map(([id, item]) => [id, item.body]);
    sessionStorage.setItem(storageKey("pending"), JSON.stringify(items));
  }

  restorePending() {
    try {
      for (const [id, body] of JSON.parse(sessionStorage.getItem(storageKey("pending")) || "[]")) {
        this.pending.set(id, { body, element: document.createElement("li") });
      }
    } catch {
      sessionStorage.removeItem(storageKey("pending"));
    }
  }

  sendTyping() {
    if (!this.conversationId || this.socket?.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    if (now - (this.lastTypingSent || 0) < 2000) return;
    this.lastTypingSent = now;
    this.socket.send(JSON.stringify({ type: "typing", conversation_id: this.conversationId, typing: true }));
  }

  markRead() {
    this.launcher.classList.remove("ldw-unread");
    const ids = [...this.messages.keys()];
    if (!this.conversationId || !ids.length || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ type: "read", conversation_id: this.conversationId, message_id: Math.max(...ids) }));
  }

  showCsat(conversation) {
    if (!conversation?.csat?.requested || conversation.csat.rating) {
      this.csat.hidden = true;
      return;
    }
    const buttons = el("div", { class: "ldw-rating", role: "group", "aria-label": t("Rate this conversation from 1 to 5") });
    const comment = el("textarea", { id: "ldw-csat-comment", rows: "2", maxlength: "2000" });
    let rating = 0;
    for (let value = 1; value <= 5; value++) {
      const button = el("button", { type: "button", "aria-pressed": "false", "aria-label": t("{value} out of 5", { value }), text: "★".repeat(1) + value });
      button.addEventListener("click", () => {
        rating = value;
        for (const other of buttons.children) other.setAttribute("aria-pressed", String(other === button));
      });
      buttons.append(button);
    }
    const submit = el("button", { type: "button", class: "ldw-send", text: t("Send rating") });
    submit.addEventListener("click", () => {
      if (!rating) return;
      this.socket.send(JSON.stringify({ type: "csat", conversation_id: conversation.id, rating, comment: comment.value || undefined }));
    });
    this.csat.replaceChildren(
      el("p", { class: "ldw-csat-question", text: t("How did we do?") }), buttons,
      el("label", { for: "ldw-csat-comment", text: t("Anything to add? (optional)") }), comment, submit,
    );
    this.csat.hidden = false;
  }
}

if (store) loadTexts().then(() => (window.loyaldeskChat = new ChatWidget()));
