// The live inbox: a WebSocket keeps the list and the open conversation current; shortcuts for the keyboard.
// Rows and messages are rendered by the server (the same partial templates as the page, so times and
// everything else look the same) and inserted here; message bodies in them were sanitized by the server (nh3).
// A conversation that starts waiting for this agent (new and unassigned, or theirs) is announced: a chime
// made with WebAudio, a desktop notification when the page is not in front, and the count in the tab title.

const root = document.querySelector("[data-inbox]");
const SOUND_KEY = "loyaldesk:inbox-sound";

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

// Two soft notes, generated (no file to download). Browsers only let a page make sound after someone has
// clicked or typed in it, so the context is created or resumed on the first such gesture.
class Chime {
  constructor() {
    this.context = null;
    this.played = 0;
    this.enabled = localStorage.getItem(SOUND_KEY) !== "off";
    const unlock = () => this.unlock();
    document.addEventListener("pointerdown", unlock, { capture: true });
    document.addEventListener("keydown", unlock, { capture: true });
  }

  unlock() {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!this.context && AudioContextClass) this.context = new AudioContextClass();
    if (this.context?.state === "suspended") this.context.resume().catch(() => {});
  }

  play() {
    if (!this.enabled || !this.context) return false;
    const context = this.context;
    const start = context.currentTime + 0.02;
    [880, 1318.5].forEach((frequency, index) => {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      const at = start + index * 0.16;
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.4);
    });
    this.played += 1;
    return true;
  }
}

class LiveInbox {
  constructor(root) {
    this.root = root;
    this.store = root.dataset.store;
    this.csrf = root.dataset.csrf;
    this.conversationId = Number(root.dataset.conversation) || null;
    this.list = root.querySelector("[data-conversation-list]");
    this.messages = root.querySelector("[data-message-list]");
    this.typing = root.querySelector("[data-typing]");
    this.liveStatus = root.querySelector("[data-live-status]");
    this.composer = root.querySelector("[data-composer]");
    // The page shows everything up to this event; the socket resumes from it (nothing is lost in between).
    this.lastEventId = root.dataset.lastEventId ? Number(root.dataset.lastEventId) : null;
    this.retry = 0;
    this.baseTitle = root.dataset.title || document.title;
    // Conversations waiting for this agent, as the page was rendered: only later ones are announced.
    this.waiting = new Set((root.dataset.waiting || "").split(",").filter(Boolean).map(Number));
    this.chime = new Chime();
    this.notifications = [];
    this.bindAlerts();
    this.bindGoodwill();
    this.bindComposer();
    this.bindShortcuts();
    this.connect();
    this.scrollToEnd();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new WebSocket(`${scheme}://${location.host}/ws/console/${encodeURIComponent(this.store)}`);
    this.socket.addEventListener("open", () => {
      if (this.lastEventId !== null) this.socket.send(JSON.stringify({ type: "resume", last_event_id: this.lastEventId }));
    });
    this.socket.addEventListener("message", (event) => this.onFrame(JSON.parse(event.data)));
    this.socket.addEventListener("close", (event) => {
      this.root.dataset.live = "false";
      if (event.code === 4401) {
        // The session ended (logout, password change, expiry): log in again; the draft stays on the page.
        const next = encodeURIComponent(location.pathname + location.search);
        this.liveStatus.dataset.ended = "true";
        this.liveStatus.replaceChildren(
          "Your session ended. ",
          el("a", { href: `/login?next=${next}`, "data-login-again": "", text: "Log in again" }),
        );
        return;
      }
      // 4403: no longer allowed here (removed from the store, a role without it): say why and stay down.
      if (event.code >= 4400 && event.code < 4500) this.liveStatus.dataset.ended = "true";
      this.liveStatus.textContent = event.code >= 4400 && event.code < 4500 ? event.reason : "Reconnecting…";
      if (event.code >= 4400 && event.code < 4500) return;
      setTimeout(() => this.connect(), Math.min(10000, 500 * 2 ** this.retry++));
    });
  }

  onFrame(frame) {
    if (frame.type === "ready") {
      this.retry = 0;
      this.liveStatus.textContent = "Live";
      this.root.dataset.live = "true";
      if (frame.reset) location.reload();
      this.lastEventId = frame.last_event_id;
      this.refreshList(); // whatever arrived between the page's rendering (or a reconnect) and now
    } else if (frame.type === "event") {
      this.lastEventId = Math.max(this.lastEventId || 0, frame.id);
      this.onEvent(frame);
    } else if (frame.type === "typing") {
      if (frame.conversation_id === this.conversationId && frame.who === "customer" && this.typing) {
        this.typing.hidden = !frame.typing;
        clearTimeout(this.typingTimer);
        if (frame.typing) this.typingTimer = setTimeout(() => (this.typing.hidden = true), 6000);
      }
    } else if (frame.type === "ping") {
      this.socket.send(JSON.stringify({ type: "pong" }));
    }
  }

  onEvent(frame) {
    if (frame.conversation_id && frame.conversation_id === this.conversationId) {
      if (frame.event === "conversation.message_posted") {
        this.addMessage(frame.data.message);
        if (frame.data.message.author_kind === "customer" && this.typing) this.typing.hidden = true;
      } else if (frame.event === "conversation.status_changed") {
        const status = this.root.querySelector("[data-status-text]");
        if (status) status.textContent = frame.data.to_status;
      }
    }
    if (frame.event.startsWith("conversation.") || frame.event.startsWith("csat.")) this.refreshList();
    if (frame.event === "feedback.kudos_received" || frame.event === "feedback.shoutout_received") this.recognise(frame);
    if (frame.event.startsWith("calls.")) {
      // A call's events (a shopper ringing): console-call.js shows the notice, like the widget's loader.js.
      const detail = { event: frame.event, session: { ...frame.data, id: frame.data.session_id } };
      window.dispatchEvent(new CustomEvent("loyaldesk:call", { detail }));
    }
  }

  // Kudos from a customer or a colleague's shout-out: the event carries ids only; the server says whether
  // it is for the person looking (and how many kudos are new), and the inbox shows it above the list.
  async recognise(frame) {
    const response = await fetch(`/console/${this.store}/team/notices.json`, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const notices = await response.json();
    if (frame.data.agent_id !== notices.staff_id && frame.data.to_staff_id !== notices.staff_id) return;
    const text = frame.event === "feedback.kudos_received"
      ? `A customer sent you kudos (${notices.unseen_kudos} new).`
      : "A colleague gave you a shout-out.";
    let banner = document.querySelector("[data-recognition]");
    if (!banner) {
      banner = el("p", { class: "notice notice-success", role: "status", "data-recognition": "" });
      this.root.before(banner);
    }
    banner.replaceChildren(`${text} `, el("a", { href: notices.profile_url, text: "See it on your profile" }));
    this.chime.play();
  }

  // A message as the server renders it: the HTML came with the reply just sent, or is fetched.
  async addMessage(message) {
    if (!this.messages || this.messages.querySelector(`[data-message-id="${message.id}"]`)) return;
    let html = message.html;
    if (!html) {
      const response = await fetch(`/console/${this.store}/inbox/${message.conversation_id}/messages/${message.id}`);
      if (!response.ok) return;
      html = await response.text();
    }
    if (this.messages.querySelector(`[data-message-id="${message.id}"]`)) return; // arrived meanwhile
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const item = template.content.firstElementChild;
    // In id order, whatever order the fetches finished in.
    const later = [...this.messages.querySelectorAll("[data-message-id]")].find((node) => Number(node.dataset.messageId) > message.id);
    this.messages.insertBefore(item, later || null);
    this.scrollToEnd();
  }

  scrollToEnd() {
    if (this.messages) this.messages.scrollTop = this.messages.scrollHeight;
  }

  refreshList() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      const params = new URLSearchParams({
        view: this.root.dataset.view, status: this.root.dataset.status, q: this.root.dataset.q, label: this.root.dataset.label,
      });
      if (this.root.dataset.team) params.set("team", this.root.dataset.team);
      if (this.root.dataset.sort === "due") params.set("sort", "due");
      if (this.conversationId) params.set("c", this.conversationId);
      const response = await fetch(`/console/${this.store}/inbox.json?${params}`, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const { html, attention } = await response.json();
      this.renderList(html);
      this.attend(attention);
    }, 150);
  }

  renderList(html) {
    const focused = document.activeElement?.closest?.("[data-conversation-id]")?.dataset.conversationId;
    this.list.innerHTML = html; // rendered by the server from inbox/_rows.html, like the page itself
    if (focused) this.list.querySelector(`[data-conversation-id="${focused}"] a`)?.focus();
  }

  // The counts in the tab title and beside "Unassigned"; an alert for each conversation newly waiting.
  attend(attention) {
    const count = this.root.querySelector("[data-unassigned-count]");
    if (count) {
      count.textContent = String(attention.unassigned);
      count.hidden = attention.unassigned === 0;
    }
    const waiting = attention.waiting.length;
    document.title = waiting ? `(${waiting}) ${this.baseTitle}` : this.baseTitle;
    const arrived = attention.waiting.filter((item) => !this.waiting.has(item.id));
    this.waiting = new Set(attention.waiting.map((item) => item.id));
    if (arrived.length) this.announce(arrived);
  }

  announce(arrived) {
    this.chime.play();
    const first = arrived[0];
    const who = first.contact_name;
    const text = arrived.length > 1 ? `${arrived.length} conversations are waiting, the latest from ${who}` : `${who} is waiting for an answer`;
    const banner = this.root.querySelector("[data-new-arrival]");
    if (banner && !this.list.querySelector(`[data-conversation-id="${first.id}"]`)) {
      // Not in the view that is open (such as Mine while the chat is unassigned): say so, with a link.
      banner.replaceChildren(`${text}. `, Object.assign(document.createElement("a"), {
        href: `/console/${this.store}/inbox?view=all&c=${first.id}`, textContent: "Open it",
      }));
      banner.hidden = false;
    }
    const away = document.visibilityState !== "visible" || !document.hasFocus();
    if (away && "Notification" in window && Notification.permission === "granted") {
      for (const item of arrived.slice(0, 3)) {
        const notice = new Notification(item.assigned_to_viewer ? `${item.contact_name} wrote` : `New conversation: ${item.contact_name}`, {
          body: item.preview, tag: `loyaldesk-conversation-${item.id}`,
        });
        notice.addEventListener("click", () => {
          window.focus();
          location.assign(`/console/${this.store}/inbox?view=all&c=${item.id}`);
        });
        this.notifications.push(notice);
      }
    }
  }

  bindAlerts() {
    const sound = this.root.querySelector("[data-sound]");
    const showSound = () => {
      sound.textContent = this.chime.enabled ? "Sound on" : "Sound off";
      sound.setAttribute("aria-pressed", String(this.chime.enabled));
    };
    if (sound) {
      showSound();
      sound.addEventListener("click", () => {
        this.chime.enabled = !this.chime.enabled;
        localStorage.setItem(SOUND_KEY, this.chime.enabled ? "on" : "off");
        showSound();
        if (this.chime.enabled) {
          this.chime.unlock();
          this.chime.play(); // what it sounds like
        }
      });
    }
    const ask = this.root.querySelector("[data-notifications-ask]");
    const state = this.root.querySelector("[data-notifications-state]");
    const showPermission = () => {
      if (!("Notification" in window)) {
        state.textContent = "This browser shows no desktop notifications.";
        return;
      }
      ask.hidden = Notification.permission !== "default";
      state.textContent = Notification.permission === "denied" ? "Desktop notifications are blocked for this site in the browser's settings." : "";
    };
    if (ask && state) {
      showPermission();
      ask.addEventListener("click", async () => {
        await Notification.requestPermission();
        showPermission();
      });
    }
  }

  // Goodwill given from the sidebar: confirmed beside the form with what was given, the budget redrawn.
  bindGoodwill() {
    const form = this.root.querySelector("[data-goodwill]");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = form.querySelector("[data-goodwill-result]");
      const error = form.querySelector("[data-goodwill-error]");
      const response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const reasons = (body.error?.fields || []).map((f) => `${f.field}: ${f.reason}`).join("; ");
        error.textContent = reasons || body.error?.message || "The goodwill could not be given.";
        error.hidden = false;
        result.hidden = true;
        return; // what was typed stays in the form
      }
      error.hidden = true;
      result.textContent = body.message;
      result.hidden = false;
      form.querySelector("[name=points]").value = "";
      form.querySelector("[name=reason]").value = "";
      const reward = form.querySelector("[name=reward_id]");
      if (reward) reward.value = "";
      const budget = form.querySelector("[data-budget]");
      if (budget && body.budget_left !== null && body.budget_left !== undefined) {
        budget.textContent = `${body.budget_left.toLocaleString("en")} of ${body.budget_limit.toLocaleString("en")} points left this month.`;
      }
      const points = this.root.querySelector("[data-points]");
      if (points && body.balance !== null && body.balance !== undefined) points.textContent = body.balance.toLocaleString("en");
    });
  }

  bindComposer() {
    if (!this.composer) return;
    const textarea = this.composer.querySelector("textarea");
    this.composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(this.composer);
      const files = this.composer.querySelector("[data-files]");
      if (!String(data.get("body") || "").trim() && !files?.files.length) return;
      data.set("client_message_id", crypto.randomUUID());
      const sent = textarea.value;
      const response = await fetch(this.composer.action, { method: "POST", body: data, headers: { Accept: "application/json" } });
      const result = await response.json();
      if (response.ok) {
        if (textarea.value === sent) textarea.value = ""; // keep whatever was typed while it was sending
        if (files) files.value = "";
        this.addMessage(result);
      } else {
        const reasons = (result.error?.fields || []).map((f) => f.reason).join("; ");
        this.liveStatus.textContent = reasons || result.error?.message || "Could not send.";
      }
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) this.composer.requestSubmit();
      else this.sendTyping();
    });
    const canned = this.composer.querySelector("[data-canned]");
    canned?.addEventListener("change", async () => {
      if (!canned.value) return;
      const response = await fetch(`/console/${this.store}/inbox/${this.conversationId}/canned/${canned.value}`);
      if (response.ok) {
        const { body } = await response.json();
        textarea.value = textarea.value ? `${textarea.value}\n${body}` : body;
        textarea.focus();
      }
      canned.value = "";
    });
    this.loadAssistantPanel(textarea);
  }

  // The assistant's panel (suggested articles and reply, hand-back) comes after the page, so it never
  // slows the conversation down; "Insert" puts the suggested reply into the composer.
  async loadAssistantPanel(textarea) {
    const slot = document.querySelector("[data-assistant-slot]");
    if (!slot) return;
    const response = await fetch(slot.dataset.src, { headers: { accept: "text/html" } });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text(); // our own server's fragment, escaped by Jinja
    slot.replaceChildren(template.content);
    slot.querySelector("[data-insert-reply]")?.addEventListener("click", () => {
      const reply = slot.querySelector("[data-suggested-reply]")?.textContent || "";
      textarea.value = textarea.value ? `${textarea.value}\n${reply}` : reply;
      textarea.focus();
    });
  }

  sendTyping() {
    const now = Date.now();
    if (now - (this.lastTyping || 0) < 2000 || this.socket?.readyState !== WebSocket.OPEN) return;
    this.lastTyping = now;
    this.socket.send(JSON.stringify({ type: "typing", conversation_id: this.conversationId, typing: true }));
  }

  bindShortcuts() {
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target.closest("input, textarea, select, [contenteditable]")) {
        if (event.key === "Escape") target.blur();
        return;
      }
      const links = [...this.list.querySelectorAll(".conversation-item a")];
      const index = links.indexOf(document.activeElement);
      if (event.key === "j" || event.key === "k") {
        event.preventDefault();
        const next = event.key === "j" ? Math.min(links.length - 1, index + 1) : Math.max(0, index - 1);
        links[next]?.focus();
      } else if (event.key === "r") {
        event.preventDefault();
        this.root.querySelector("[data-shortcut-reply]")?.focus();
      } else if (event.key === "e") {
        this.root.querySelector("[data-shortcut-resolve]")?.click();
      } else if (event.key === "/") {
        event.preventDefault();
        this.root.querySelector("[data-shortcut-search]")?.focus();
      }
    });
  }
}

if (root) window.loyaldeskInbox = new LiveInbox(root);
