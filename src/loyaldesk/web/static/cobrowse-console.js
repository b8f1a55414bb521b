// The agent's side of co-browsing (/console/{store}/cobrowse/{session}): the calls socket as "agent",
// the shopper's page replayed live with rrweb's Replayer (from npm, served under /static/vendor/), the
// agent's pointer and highlights sent to the shopper, and clicks and typing for them once they allow it.
// Protocol: docs/realtime.md, "The calls socket".

const root = document.querySelector("[data-cobrowse]");
const stateText = root?.querySelector("[data-cobrowse-state]");
const peerText = root?.querySelector("[data-cobrowse-peer]");
const stage = root?.querySelector("[data-cobrowse-stage]");
const mount = root?.querySelector("[data-cobrowse-replayer]");
const overlay = root?.querySelector("[data-cobrowse-overlay]");
const highlightButton = root?.querySelector("[data-cobrowse-highlight]");
const askButton = root?.querySelector("[data-cobrowse-ask-control]");
const stopButton = root?.querySelector("[data-cobrowse-stop]");
const typeForm = root?.querySelector("[data-cobrowse-type]");
const typeInput = typeForm?.querySelector("input");

const STATES = {
  requested: "Waiting for the shopper to agree to share their page.",
  active: "The shopper is sharing their page.",
  control: "The shopper is sharing their page and lets you click and type for them.",
  declined: "The shopper said no. Nothing was shared.",
  ended: "Co-browsing ended.",
  missed: "Co-browsing ended.",
};

class AgentView {
  constructor(rrweb) {
    this.rrweb = rrweb;
    this.session = null;
    this.replayer = null;
    this.lastPointer = 0;
    this.selectedNode = null;
    this.highlighting = false;
    this.received = []; // every frame's text, for the browser tests (window.loyaldeskCobrowse.received)
    this.connect();
    this.wire();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/ws/calls/${encodeURIComponent(root.dataset.store)}/${root.dataset.session}`;
    this.socket = new WebSocket(url);
    this.socket.addEventListener("open", () => this.send({ type: "hello", as: "agent" }));
    this.socket.addEventListener("message", (event) => {
      this.received.push(event.data);
      this.onFrame(JSON.parse(event.data));
    });
    this.socket.addEventListener("close", (event) => {
      if (this.session && ["requested", "active"].includes(this.session.state) && event.code < 4000) {
        stateText.textContent = "Reconnecting…";
        setTimeout(() => this.connect(), 1000);
      } else if (event.code >= 4400) {
        stateText.textContent = this.refusal || event.reason || "Co-browsing is not available.";
      }
      this.enableTools();
    });
  }

  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  onFrame(frame) {
    switch (frame.type) {
      case "joined":
        this.showState(frame.session);
        this.showPeer(frame.peer_present);
        break;
      case "state":
        this.showState(frame.session);
        break;
      case "peer":
        this.showPeer(frame.present);
        break;
      case "rrweb":
        this.play(frame.events);
        break;
      case "error":
        if (frame.code?.startsWith("refused_")) this.refusal = frame.message;
        else stateText.textContent = `${this.describe()} (${frame.message})`;
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
    }
  }

  describe() {
    const session = this.session;
    if (!session) return "Connecting…";
    if (session.state === "active" && session.control_allowed) return STATES.control;
    return STATES[session.state] || session.state;
  }

  showState(session) {
    this.session = session;
    stateText.textContent = this.describe();
    root.dataset.state = session.state + (session.control_allowed ? " control" : "");
    typeForm.hidden = !(session.state === "active" && session.control_allowed);
    this.enableTools();
  }

  showPeer(present) {
    peerText.textContent = present ? "The shopper is connected." : "The shopper is not connected right now.";
  }

  enableTools() {
    const active = this.session?.state === "active" && this.socket?.readyState === WebSocket.OPEN;
    highlightButton.disabled = !active;
    askButton.disabled = !active || Boolean(this.session?.control_allowed);
    stopButton.disabled = !this.session || !["requested", "active"].includes(this.session.state);
  }

  play(events) {
    // Stamped on arrival: the shopper's clock is not ours, and live mode plays what is due now.
    const now = Date.now();
    for (const event of events) {
      event.timestamp = now;
      if (!this.replayer) {
        if (event.type !== this.rrweb.EventType.Meta && event.type !== this.rrweb.EventType.FullSnapshot) continue;
        this.replayer = new this.rrweb.Replayer([], {
          root: mount, liveMode: true, mouseTail: false, showWarning: false, triggerFocus: false,
        });
        this.replayer.startLive(now);
        window.loyaldeskCobrowse.replayer = this.replayer;
      }
      this.replayer.addEvent(event);
    }
  }

  // Page coordinates (the shopper's viewport) of a mouse event over the replayed page, and its element.
  at(event) {
    const frame = this.replayer?.iframe;
    if (!frame) return null;
    const box = frame.getBoundingClientRect();
    const scale = box.width / (frame.offsetWidth || box.width) || 1;
    const x = Math.round((event.clientX - box.left) / scale);
    const y = Math.round((event.clientY - box.top) / scale);
    if (x < 0 || y < 0 || x > frame.offsetWidth || y > frame.offsetHeight) return null;
    return { x, y, node: frame.contentDocument?.elementFromPoint(x, y) || null };
  }

  wire() {
    overlay.addEventListener("mousemove", (event) => {
      const point = this.at(event);
      if (!point) return;
      if (this.dragFrom) this.drawBox(this.dragFrom, point);
      const now = performance.now();
      if (now - this.lastPointer < 50) return; // at most 20 a second
      this.lastPointer = now;
      this.send({ type: "pointer", x: point.x, y: point.y });
    });
    overlay.addEventListener("mousedown", (event) => {
      const point = this.at(event);
      if (point && (this.highlighting || event.shiftKey)) this.dragFrom = point;
    });
    overlay.addEventListener("mouseup", (event) => {
      const point = this.at(event);
      if (this.dragFrom && point) {
        const from = this.dragFrom;
        this.dragFrom = null;
        const box = {
          x: Math.min(from.x, point.x), y: Math.min(from.y, point.y),
          width: Math.abs(point.x - from.x), height: Math.abs(point.y - from.y),
        };
        if (box.width > 3 && box.height > 3) this.send({ type: "highlight", ...box });
        this.clearBox();
        this.justHighlighted = true;
      }
    });
    overlay.addEventListener("click", (event) => {
      if (this.justHighlighted) {
        this.justHighlighted = false;
        return;
      }
      const point = this.at(event);
      if (!point?.node) return;
      const nodeId = this.replayer.getMirror().getId(point.node);
      if (!(nodeId > 0)) return;
      this.selectedNode = nodeId;
      // Sent even before the shopper allowed it: the gateway refuses it and says so (control_not_allowed).
      this.send({ type: "control", action: "click", node_id: nodeId });
      if (this.session?.control_allowed && ["INPUT", "TEXTAREA"].includes(point.node.nodeName)) typeInput.focus();
    });
    highlightButton.addEventListener("click", () => {
      this.highlighting = !this.highlighting;
      highlightButton.setAttribute("aria-pressed", String(this.highlighting));
    });
    askButton.addEventListener("click", () => {
      this.send({ type: "ask_control" });
      stateText.textContent = "Asked the shopper to let you click and type for them…";
    });
    stopButton.addEventListener("click", () => this.send({ type: "stop" }));
    typeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!this.selectedNode) {
        stateText.textContent = "Click a field on the shopper's page first.";
        return;
      }
      this.send({ type: "control", action: "input", node_id: this.selectedNode, text: typeInput.value });
      typeInput.value = "";
    });
  }

  drawBox(from, to) {
    if (!this.box) {
      this.box = document.createElement("div");
      this.box.className = "cobrowse-box";
      overlay.append(this.box);
    }
    const frame = this.replayer.iframe.getBoundingClientRect();
    const area = overlay.getBoundingClientRect();
    this.box.style.left = `${frame.left - area.left + Math.min(from.x, to.x)}px`;
    this.box.style.top = `${frame.top - area.top + Math.min(from.y, to.y)}px`;
    this.box.style.width = `${Math.abs(to.x - from.x)}px`;
    this.box.style.height = `${Math.abs(to.y - from.y)}px`;
  }

  clearBox() {
    this.box?.remove();
    this.box = null;
  }
}

async function start() {
  if (!root) return;
  window.loyaldeskCobrowse = {};
  if (!root.dataset.rrweb) return; // the page already says co-browsing needs `make install`
  let rrweb;
  try {
    rrweb = await import(root.dataset.rrweb);
  } catch {
    stateText.textContent = "The co-browsing player could not be loaded; reload the page.";
    return;
  }
  window.loyaldeskCobrowse.view = new AgentView(rrweb);
  window.loyaldeskCobrowse.received = window.loyaldeskCobrowse.view.received;
}

start();
