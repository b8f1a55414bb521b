// Co-browsing, the shopper's side. loader.js re-dispatches the calls.* events of the shopper's own
// conversations as window CustomEvent "loyaldesk:call" {event, session}; for a co-browsing request this
// shows a consent card in the chat. Nothing is loaded or sent before the shopper agrees: rrweb's recorder
// (from npm, served by loyaldesk under /static/vendor/) is fetched and the calls socket opened only after
// "Share this page". While sharing: a banner with Stop, masking on by default (every input's value, the
// store's .ld-mask / [data-ld-mask] text and [data-ld-block] elements; [data-ld-unmask] shows a field),
// the agent's pointer as a labelled dot and highlights as a box; the agent clicks and types only after a
// second consent, which the shopper can take back. The server masks the stream again (calls.StreamSanitiser).
// Tests may set window.LoyaldeskCobrowseTesting = {unmasked: true} before sharing to switch this page's
// masking off and prove the server's alone.

const RRWEB_MODULE = "/static/vendor/rrweb/rrweb.js";
const FLUSH_MS = 50;
const MAX_FRAME_CHARS = 1900 * 1024; // under the gateway's 2 MB
const MASK_TEXT = ".ld-mask, [data-ld-mask], [contenteditable]:not([contenteditable='false'])";
const BLOCK = "[data-ld-block], .ldw-root, .ldc-layer";
const ALWAYS_MASKED_TYPES = new Set(["password", "hidden"]);
// rrweb's maskAllInputs leaves hidden inputs out; every type is named here.
const MASK_INPUT_OPTIONS = Object.fromEntries(
  ["color", "date", "datetime-local", "email", "month", "number", "range", "search", "tel", "text", "time",
    "url", "week", "textarea", "select", "password", "hidden"].map((name) => [name, true]),
);

export class Cobrowse {
  constructor({ origin, store, t, el, panel, before, ticket, open }) {
    Object.assign(this, { origin, store, t, el, panel, before, ticket, open });
    this.storageKey = `loyaldesk:${store}:cobrowse`;
    this.session = null;
    this.socket = null;
    this.stopRecording = null;
    this.buffer = [];
    this.card = null;
    this.controlAllowed = false;
    document.head.append(el("link", { rel: "stylesheet", href: `${origin}/static/widget/cobrowse.css` }));
    window.addEventListener("loyaldesk:call", (event) => this.onCall(event.detail || {}));
  }

  // The widget's socket welcomed us: a page shared before the shopper moved here is shared again
  // (the consent was given for the session, which is still active).
  onWelcome() {
    const resumed = Number(sessionStorage.getItem(this.storageKey) || 0);
    if (resumed && !this.socket) this.connect({ id: resumed }, { resume: true });
  }

  onCall({ event, session }) {
    if (!session || session.kind !== "cobrowse") return;
    if (event === "calls.session_requested" && session.requested_by !== "shopper") this.askConsent(session);
    else if (event === "calls.session_ended" || (event === "calls.session_answered" && !session.accepted)) {
      if (this.session?.id === session.id || this.card?.dataset.session === String(session.id)) this.finish();
    }
  }

  agentName(session) {
    return session.agent_name || this.t("Support");
  }

  askConsent(session) {
    if (this.session) return; // already sharing
    this.removeCard();
    const { el, t } = this;
    const agent = this.agentName(session);
    const keep = el("input", { type: "checkbox", id: "ldc-keep" });
    const share = el("button", { type: "button", class: "ldw-send", "data-ldc-share": "", text: t("Share this page") });
    const decline = el("button", { type: "button", class: "ldc-secondary", text: t("No thanks") });
    this.card = el(
      "div", { class: "ldc-card", role: "group", "aria-label": t("Screen sharing request"), "data-session": String(session.id) },
      el("p", { text: t("{agent} asks to see this page. Nothing is shared until you agree.", { agent }) }),
      el("p", { class: "ldc-keep" }, keep, el("label", { for: "ldc-keep", text: t("Let the store keep a recording") })),
      el("div", { class: "ldc-buttons" }, share, decline),
    );
    share.addEventListener("click", () => {
      this.removeCard();
      this.connect({ ...session, agent }, { consent: { type: "consent", mode: "view", granted: true, keep_recording: keep.checked } });
    });
    decline.addEventListener("click", () => {
      this.removeCard();
      this.connect({ ...session, agent }, { consent: { type: "consent", mode: "view", granted: false }, declining: true });
    });
    this.panel.insertBefore(this.card, this.before);
    this.open?.();
    share.focus();
  }

  removeCard() {
    this.card?.remove();
    this.card = null;
  }

  connect(session, { consent = null, declining = false, resume = false } = {}) {
    this.session = declining ? null : session;
    this.agent = session.agent || this.agentName(session);
    if (!declining) {
      sessionStorage.setItem(this.storageKey, String(session.id));
      this.recorder = import(`${this.origin}${RRWEB_MODULE}`); // fetched now: the shopper agreed
    }
    const url = `${this.origin.replace(/^http/, "ws")}/ws/calls/${encodeURIComponent(this.store)}/${session.id}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "hello", as: "shopper", ticket: this.ticket() })));
    socket.addEventListener("message", (event) => this.onFrame(JSON.parse(event.data), { consent, declining, resume }));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.session && event.code < 4000 && event.code !== 1000) setTimeout(() => this.session && this.connect(this.session, { resume: true }), 1000);
      else if (this.session) this.finish();
    });
  }

  onFrame(frame, { consent, declining }) {
    switch (frame.type) {
      case "joined":
        if (frame.agent_name) this.agent = frame.agent_name;
        if (frame.store_name) this.storeName = frame.store_name;
        if (consent) this.socket.send(JSON.stringify(consent));
        else this.onState(frame.session);
        if (declining) setTimeout(() => this.socket?.close(), 200);
        break;
      case "state":
        this.onState(frame.session);
        break;
      case "peer":
        // The agent (re)joined: they need the whole page again.
        if (frame.present && this.rrweb && this.stopRecording) this.rrweb.record.takeFullSnapshot(true);
        break;
      case "pointer":
        this.showPointer(frame.x, frame.y);
        break;
      case "highlight":
        this.showHighlight(frame);
        break;
      case "ask_control":
        this.askControl();
        break;
      case "control":
        this.control(frame);
        break;
      case "ping":
        this.socket?.send(JSON.stringify({ type: "pong" }));
        break;
    }
  }

  async onState(session) {
    if (!["requested", "active"].includes(session.state)) {
      this.finish();
      return;
    }
    this.session = { ...this.session, ...session };
    this.controlAllowed = Boolean(session.control_allowed);
    if (session.state !== "active") return;
    this.showBanner();
    if (!this.stopRecording && !this.starting) await this.record();
  }

  async record() {
    this.starting = true;
    try {
      this.rrweb = await (this.recorder || import(`${this.origin}${RRWEB_MODULE}`));
    } catch {
      this.starting = false;
      this.finish(this.t("Sharing could not start; please try again."));
      return;
    }
    const unmasked = Boolean(window.LoyaldeskCobrowseTesting?.unmasked);
    const shown = (element) => {
      const type = (element?.getAttribute?.("type") || "").toLowerCase();
      const card = (element?.getAttribute?.("autocomplete") || "").startsWith("cc-");
      return Boolean(element?.closest?.("[data-ld-unmask]")) && !ALWAYS_MASKED_TYPES.has(type) && !card;
    };
    const options = {
      emit: (event) => this.queue(event),
      blockSelector: BLOCK,
      recordCanvas: false,
      collectFonts: false,
      inlineImages: false,
      sampling: { mousemove: false, scroll: 100, input: "last" },
    };
    if (!unmasked) {
      Object.assign(options, {
        maskInputOptions: MASK_INPUT_OPTIONS,
        maskInputFn: (text, element) => (shown(element) ? text : "*".repeat(text.length)),
        maskTextSelector: MASK_TEXT,
        maskTextFn: (text) => text.replace(/\S/g, "*"),
      });
    } else {
      options.maskAllInputs = false;
      options.maskInputOptions = {};
    }
    this.stopRecording = this.rrweb.record(options);
    this.starting = false;
  }

  queue(event) {
    this.buffer.push(event);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    this.flushTimer = null;
    if (this.socket?.readyState !== WebSocket.OPEN) return; // kept until the socket is back
    let batch = [];
    let size = 0;
    for (const event of this.buffer.splice(0)) {
      const text = JSON.stringify(event);
      if (size + text.length > MAX_FRAME_CHARS && batch.length) {
        this.socket.send(JSON.stringify({ type: "rrweb", events: batch }));
        batch = [];
        size = 0;
      }
      batch.push(event);
      size += text.length;
    }
    if (batch.length) this.socket.send(JSON.stringify({ type: "rrweb", events: batch }));
  }

  showBanner() {
    const { el, t } = this;
    if (!this.banner) {
      this.bannerText = el("span", {});
      const stop = el("button", { type: "button", "data-ldc-stop": "", text: t("Stop") });
      this.takeBack = el("button", { type: "button", "data-ldc-take-back": "", text: t("Take back control") });
      stop.addEventListener("click", () => this.socket?.send(JSON.stringify({ type: "stop" })));
      this.takeBack.addEventListener("click", () => this.socket?.send(JSON.stringify({ type: "consent", mode: "control", granted: false })));
      this.banner = el("div", { class: "ldc-banner ldc-layer", role: "status" }, this.bannerText, stop, this.takeBack);
      document.body.append(this.banner);
    }
    const store = this.storeName || this.agent || t("Support");
    this.bannerText.textContent = this.controlAllowed
      ? t("Sharing this page with {store} · they can click and type for you", { store })
      : t("Sharing this page with {store}", { store });
    this.takeBack.hidden = !this.controlAllowed;
  }

  askControl() {
    const { el, t } = this;
    this.controlCard?.remove();
    const allow = el("button", { type: "button", "data-ldc-allow": "", text: t("Allow") });
    const refuse = el("button", { type: "button", text: t("No") });
    this.controlCard = el("div", { class: "ldc-control ldc-layer", role: "alertdialog", "aria-label": t("Control request") },
      el("p", { text: t("Let {agent} click and type for you?", { agent: this.agent }) }), allow, refuse);
    const answer = (granted) => {
      this.controlCard?.remove();
      this.controlCard = null;
      this.socket?.send(JSON.stringify({ type: "consent", mode: "control", granted }));
    };
    allow.addEventListener("click", () => answer(true));
    refuse.addEventListener("click", () => answer(false));
    document.body.append(this.controlCard);
    allow.focus();
  }

  control(frame) {
    if (!this.controlAllowed || !this.rrweb) return; // only after the shopper's second consent
    const node = this.rrweb.record.mirror.getNode(frame.node_id);
    if (!node || node.nodeType !== Node.ELEMENT_NODE || node.closest(BLOCK)) return;
    if (frame.action === "click") {
      node.focus?.();
      node.click();
    } else if (frame.action === "input" && "value" in node) {
      node.focus?.();
      node.value = frame.text;
      node.dispatchEvent(new Event("input", { bubbles: true }));
      node.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  showPointer(x, y) {
    if (!this.pointer) {
      this.pointer = this.el("div", { class: "ldc-pointer ldc-layer", "aria-hidden": "true" }, this.el("span", { text: this.agent }));
      document.body.append(this.pointer);
    }
    this.pointer.style.left = `${x}px`;
    this.pointer.style.top = `${y}px`;
  }

  showHighlight({ x, y, width, height }) {
    const box = this.el("div", { class: "ldc-highlight ldc-layer", "aria-hidden": "true" });
    Object.assign(box.style, { left: `${x}px`, top: `${y}px`, width: `${width}px`, height: `${height}px` });
    document.body.append(box);
    setTimeout(() => box.remove(), 4000);
  }

  finish(message) {
    this.stopRecording?.();
    this.stopRecording = null;
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.buffer = [];
    for (const node of [this.banner, this.pointer, this.controlCard]) node?.remove();
    this.banner = this.pointer = this.controlCard = null;
    this.removeCard();
    sessionStorage.removeItem(this.storageKey);
    const socket = this.socket;
    this.session = null;
    this.socket = null;
    this.controlAllowed = false;
    socket?.close();
    if (message) this.panel.insertBefore(this.el("p", { class: "ldc-note", role: "status", text: message }), this.before);
  }
}
