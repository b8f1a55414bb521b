// The live inbox: a WebSocket keeps the list and the open conversation current; shortcuts for the keyboard.
// Message bodies arrive as HTML sanitized by the server (nh3); everything else is set as text.

const root = document.querySelector("[data-inbox]");

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

function clock(iso) {
  return iso ? new Date(iso).toTimeString().slice(0, 5) : "";
}

// The SLA state of a list row, as the server renders it (null when no policy applies).
function slaBadge(row) {
  if ((row.sla_state === "running" || row.sla_state === "warning") && row.sla_due_at) {
    const due = new Date(row.sla_due_at);
    const shown = due.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
    return el("span", { class: `sla sla-${row.sla_state}`, "data-sla": "" }, "SLA due ", el("time", { datetime: row.sla_due_at, text: shown }));
  }
  if (row.sla_state === "breached") return el("span", { class: "sla sla-breached", "data-sla": "", text: "SLA breached" });
  if (row.sla_state === "paused") return el("span", { class: "sla sla-paused", "data-sla": "", text: "SLA paused" });
  return null;
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
    this.lastEventId = null;
    this.retry = 0;
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
  }

  addMessage(message) {
    if (!this.messages || this.messages.querySelector(`[data-message-id="${message.id}"]`)) return;
    const body = el("div", { class: "message-body" });
    body.innerHTML = message.body_html;
    const kind = `message message-${message.author_kind}${message.internal ? " message-internal" : ""}`;
    const author = `${message.author_name}${message.internal ? " · internal note" : ""} · `;
    this.messages.append(
      el("li", { class: kind, "data-message-id": message.id },
        el("p", { class: "message-author" }, author, el("time", { datetime: message.created_at, text: clock(message.created_at) })),
        body, ...(message.attachments || []).map((file) => this.fileLink(message.conversation_id, file))),
    );
    this.scrollToEnd();
  }

  fileLink(conversationId, file) {
    const href = `/console/${this.store}/inbox/${conversationId}/attachments/${file.id}`;
    const size = file.size >= 1048576 ? `${(file.size / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(file.size / 1024))} KB`;
    const link = el("a", { class: "message-file", href, download: file.filename }, el("span", { text: `${file.filename} (${size})` }));
    if (file.content_type.startsWith("image/")) link.prepend(el("img", { src: href, alt: "", loading: "lazy" }));
    return el("p", {}, link);
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
      const response = await fetch(`/console/${this.store}/inbox.json?${params}`, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const { conversations } = await response.json();
      this.renderList(conversations, params);
    }, 150);
  }

  renderList(conversations, params) {
    const items = conversations.map((row) => {
      params.set("c", row.id);
      const current = row.id === this.conversationId ? " is-current" : "";
      const waiting = row.unread ? " is-waiting" : "";
      const meta = `${row.channel} · ${row.status} · ${row.assignee_name || "unassigned"}` +
        (row.waiting_since ? ` · waiting since ${clock(row.waiting_since)}` : "");
      return el("li", { class: `conversation-item priority-${row.priority}${current}${waiting}`, "data-conversation-id": row.id },
        el("a", { href: `/console/${this.store}/inbox?${params}` },
          el("span", { class: "conversation-top" },
            el("span", { class: "conversation-name", text: row.contact_name }),
            el("span", { class: `badge badge-${row.priority}`, title: row.priority_reason, text: row.priority })),
          slaBadge(row),
          el("span", { class: "conversation-preview", text: row.last_message_preview || row.subject }),
          el("span", { class: "conversation-meta", text: meta })));
    });
    if (!items.length) items.push(el("li", { class: "empty-state", text: "No conversations here. New chats appear as they arrive." }));
    this.list.replaceChildren(...items);
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
