// Video and voice calls between the desk and a shopper: WebRTC in the browser, signalling over loyaldesk's
// calls socket (/ws/calls/{store}/{session}: realtime/calls_socket.py; the protocol is in docs/calls.md).
// Plain ES module, no build step. Used by the chat widget (WidgetCalls, loaded by loader.js), the member
// page's booked sessions and the console (console-call.js imports CallSession and CallPanel from here).
//
// Who offers: the party that rang (the session's requested_by), once the session is active and the other
// party is on the socket; the answering party is "polite" in the perfect negotiation pattern (it rolls back
// its own offer on a collision), so renegotiation (turning the camera on in a voice-only answer, the
// agent's screen in a call without video) works from either side.
//
// Where the install runs a media server (LOYALDESK_MEDIA_SERVER jitsi or livekit), the gateway's joined frame
// names this party's room (media_room: provider, url, room, token for LiveKit): no RTCPeerConnection is made
// and, once the call is active, the panel shows the room (Jitsi: the meeting in an iframe and a link to open
// it in a new window; LiveKit: the server and the room). Hanging up still stops the session on the socket,
// so the conversation's history and the report keep the call and its length.

const N_ = (text) => text; // marks the texts for the catalog; t() translates them where the page has words

function node(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (value !== undefined && value !== null && value !== false) element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

export function formatDuration(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

// One party's side of one call: the socket, the local media, the RTCPeerConnection. Dispatches events:
// "session" (detail: the session JSON after joined/state), "local" and "remote" (detail: MediaStream),
// "peer-media" (detail: {audio_only, screen} the other side announced), "connection" (detail: the
// RTCPeerConnection's state), "error" (detail: message), "ended" (detail: the last session).
export class CallSession extends EventTarget {
  constructor({ socketUrl, hello, party, autoAnswer = false, audioOnly = false }) {
    super();
    this.socketUrl = socketUrl;
    this.hello = hello;
    this.party = party; // "agent" or "shopper": the side of the call this page is on
    this.autoAnswer = autoAnswer; // booked sessions: joining is the answer
    this.audioOnly = audioOnly;
    this.session = null;
    this.peerPresent = false;
    this.iceServers = [];
    this.icePolicy = "all";
    this.pc = null;
    this.mediaRoom = null; // the store's media server room (joined frame), or null: browser to browser
    this.localStream = null;
    this.remoteStream = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.sharingScreen = false;
    this.cameraTrack = null;
    this.timings = { answeredAt: null, connectedAt: null, connectMs: null };
    this.ended = false;
  }

  get isCaller() {
    return this.session?.requested_by === this.party;
  }

  get kind() {
    return this.session?.kind || "video";
  }

  start() {
    this.socket = new WebSocket(this.socketUrl);
    this.socket.addEventListener("open", () => this.socket.send(JSON.stringify(this.hello)));
    // One frame at a time: a candidate must not overtake the offer it belongs to.
    this.frames = Promise.resolve();
    this.socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      this.frames = this.frames.then(() => this.onFrame(frame)).catch((error) => this.emit("error", String(error)));
    });
    this.socket.addEventListener("close", (event) => {
      if (!this.ended && event.code >= 4400) this.emit("error", event.reason || N_("The call is not available."));
      this.finish();
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  async onFrame(frame) {
    switch (frame.type) {
      case "joined":
        this.iceServers = frame.ice_servers || [];
        this.icePolicy = frame.ice_transport_policy || "all";
        this.mediaRoom = frame.media_room || null;
        this.peerPresent = Boolean(frame.peer_present);
        this.setSession(frame.session);
        if (this.session.state === "requested" && !this.isCaller && this.autoAnswer) await this.answer(true, this.audioOnly);
        else if (this.session.state === "requested" && this.isCaller) await this.ensureLocalMedia();
        else if (this.session.state === "active") await this.ensureLocalMedia();
        this.maybeOffer();
        break;
      case "peer":
        this.peerPresent = frame.present;
        if (!frame.present) this.closePeer();
        else this.maybeOffer();
        break;
      case "state":
        this.setSession(frame.session);
        this.maybeOffer();
        break;
      case "signal":
        await this.onSignal(frame);
        break;
      case "media":
        this.emit("peer-media", { audio_only: Boolean(frame.audio_only), screen: Boolean(frame.screen) });
        break;
      case "error":
        this.emit("error", frame.message || frame.code);
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
    }
  }

  setSession(session) {
    this.session = session;
    if (session.state === "active" && !this.timings.answeredAt) this.timings.answeredAt = performance.now();
    this.emit("session", session);
    if (!session.is_open) this.finish();
  }

  // The local camera and microphone; without a camera (or when the shopper chose voice) audio only, and the
  // other side is told with a media frame.
  async ensureLocalMedia() {
    if (this.mediaRoom) return null; // the media server's own page takes the camera and microphone
    if (this.localStream) return this.localStream;
    const wantVideo = this.kind === "video" && !this.audioOnly;
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: wantVideo });
    } catch (error) {
      if (!wantVideo) throw error;
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      this.audioOnly = true;
    }
    this.cameraTrack = this.localStream.getVideoTracks()[0] || null;
    this.emit("local", this.localStream);
    if (this.kind === "video" && !this.cameraTrack) this.announceMedia();
    return this.localStream;
  }

  announceMedia() {
    this.send({ type: "media", audio_only: !this.cameraTrack || !this.cameraTrack.enabled, screen: this.sharingScreen });
  }

  async answer(accept, audioOnly = false) {
    if (!accept) {
      this.send({ type: "answer", accept: false });
      return;
    }
    this.audioOnly = audioOnly || this.kind === "voice";
    this.timings.answeredAt = performance.now();
    await this.ensureLocalMedia();
    this.send({ type: "answer", accept: true, audio_only: this.audioOnly });
  }

  maybeOffer() {
    if (this.mediaRoom || this.pc || !this.isCaller || this.session?.state !== "active" || !this.peerPresent || !this.localStream) return;
    this.createPeer();
    for (const track of this.localStream.getTracks()) this.pc.addTrack(track, this.localStream);
  }

  createPeer() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.icePolicy });
    this.pc = pc;
    this.remoteStream = new MediaStream();
    this.emit("remote", this.remoteStream);
    pc.addEventListener("track", (event) => {
      this.remoteStream.addTrack(event.track);
      event.track.addEventListener("ended", () => this.remoteStream.removeTrack(event.track));
      this.emit("remote", this.remoteStream);
    });
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate) this.send({ type: "signal", candidate: event.candidate.toJSON() });
    });
    pc.addEventListener("negotiationneeded", async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        this.send({ type: "signal", description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
      } catch (error) {
        this.emit("error", String(error));
      } finally {
        this.makingOffer = false;
      }
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected" && !this.timings.connectedAt) {
        this.timings.connectedAt = performance.now();
        this.timings.connectMs = this.timings.connectedAt - (this.timings.answeredAt ?? this.timings.connectedAt);
      }
      this.emit("connection", pc.connectionState);
    });
    return pc;
  }

  async onSignal({ description, candidate }) {
    if (this.mediaRoom) return;
    if (description) {
      const polite = !this.isCaller;
      if (!this.pc) {
        if (description.type !== "offer") return;
        this.createPeer();
      }
      const pc = this.pc;
      const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !polite && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        // The answering side adds its media to the offered transceivers before answering.
        if (!pc.getSenders().some((sender) => sender.track)) {
          const stream = await this.ensureLocalMedia();
          for (const track of stream.getTracks()) pc.addTrack(track, stream);
        }
        await pc.setLocalDescription();
        this.send({ type: "signal", description: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
      }
    } else if (candidate && this.pc) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer) this.emit("error", String(error));
      }
    }
  }

  toggleMute() {
    const track = this.localStream?.getAudioTracks()[0];
    if (!track) return false;
    track.enabled = !track.enabled;
    return !track.enabled;
  }

  toggleCamera() {
    if (!this.cameraTrack) return false;
    this.cameraTrack.enabled = !this.cameraTrack.enabled;
    this.announceMedia();
    return !this.cameraTrack.enabled;
  }

  // The agent shows their screen in place of the camera (replaceTrack: no renegotiation), or adds it when
  // the call had no video; the camera comes back when the sharing stops.
  async shareScreen() {
    if (this.sharingScreen || !this.pc) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const screen = display.getVideoTracks()[0];
    const sender = this.pc.getSenders().find((item) => item.track?.kind === "video" || (!item.track && this.screenSender === item));
    if (sender) await sender.replaceTrack(screen);
    else this.screenSender = this.pc.addTrack(screen, this.localStream);
    this.sharingScreen = true;
    this.screenTrack = screen;
    this.announceMedia();
    this.emit("local", new MediaStream([screen, ...this.localStream.getAudioTracks()]));
    screen.addEventListener("ended", () => this.stopScreen());
  }

  async stopScreen() {
    if (!this.sharingScreen || !this.pc) return;
    const sender = this.pc.getSenders().find((item) => item.track === this.screenTrack);
    if (sender) await sender.replaceTrack(this.cameraTrack || null);
    this.screenTrack?.stop();
    this.sharingScreen = false;
    this.announceMedia();
    this.emit("local", this.localStream);
  }

  hangUp() {
    this.send({ type: "stop" });
  }

  closePeer() {
    this.pc?.close();
    this.pc = null;
    this.makingOffer = false;
  }

  finish() {
    if (this.ended) return;
    this.ended = true;
    this.closePeer();
    for (const track of this.localStream?.getTracks() || []) track.stop();
    this.screenTrack?.stop();
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close();
    this.emit("ended", this.session);
  }
}

// The console's words stay English: fill a text's `{name}` placeholders without translating it.
const fillPlaceholders = (text, values = {}) =>
  text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));

// What a call looks like on the page: the other side's video (or a voice-call card), one's own picture,
// the duration, mute, camera off, screen sharing (the agent), hang up. `t` translates the shopper's texts.
export class CallPanel {
  constructor({ call, t = fillPlaceholders, container, canShareScreen = false, otherName }) {
    this.call = call;
    this.t = t;
    this.otherName = otherName || t("the other side");
    this.remoteVideo = node("video", { class: "ldc-remote", autoplay: true, playsinline: true, "data-call-remote": true });
    this.localVideo = node("video", { class: "ldc-local", autoplay: true, playsinline: true, muted: true, "data-call-local": true });
    this.localVideo.muted = true;
    this.status = node("p", { class: "ldc-status", role: "status", "aria-live": "polite", "data-call-status": true, text: t("Connecting…") });
    this.duration = node("p", { class: "ldc-duration", "data-call-duration": true, "aria-label": t("Call duration") });
    this.peerMedia = node("p", { class: "ldc-peer-media", "data-call-peer-media": true, hidden: true });
    this.mute = node("button", { type: "button", class: "ldc-button", "aria-pressed": "false", "data-call-mute": true, text: t("Mute") });
    this.camera = node("button", { type: "button", class: "ldc-button", "aria-pressed": "false", "data-call-camera": true, text: t("Camera off") });
    this.screen = canShareScreen
      ? node("button", { type: "button", class: "ldc-button", "aria-pressed": "false", "data-call-screen": true, text: t("Share my screen") })
      : null;
    this.unmute = node("button", { type: "button", class: "ldc-button", hidden: true, text: t("Turn the sound on") });
    this.hangup = node("button", { type: "button", class: "ldc-button ldc-hangup", "data-call-hangup": true, text: t("Hang up") });
    this.root = node(
      "section",
      { class: "ldc-call", "aria-label": t("Call"), "data-call": true },
      node("div", { class: "ldc-videos" }, this.remoteVideo, this.localVideo),
      this.status, this.duration, this.peerMedia,
      node("div", { class: "ldc-controls" }, this.mute, this.camera, this.screen, this.unmute, this.hangup),
    );
    container.append(this.root);
    this.wire();
  }

  wire() {
    const { call, t } = this;
    this.mute.addEventListener("click", () => {
      const muted = call.toggleMute();
      this.mute.setAttribute("aria-pressed", String(muted));
      this.mute.textContent = muted ? t("Unmute") : t("Mute");
    });
    this.camera.addEventListener("click", () => {
      const off = call.toggleCamera();
      this.camera.setAttribute("aria-pressed", String(off));
      this.camera.textContent = off ? t("Camera on") : t("Camera off");
    });
    this.screen?.addEventListener("click", async () => {
      try {
        if (call.sharingScreen) await call.stopScreen();
        else await call.shareScreen();
      } catch {
        this.status.textContent = t("The screen could not be shared.");
      }
      this.screen.setAttribute("aria-pressed", String(call.sharingScreen));
      this.screen.textContent = call.sharingScreen ? t("Stop sharing") : t("Share my screen");
    });
    this.unmute.addEventListener("click", () => {
      this.remoteVideo.muted = false;
      this.remoteVideo.play().catch(() => {});
      this.unmute.hidden = true;
    });
    this.hangup.addEventListener("click", () => call.hangUp());
    call.addEventListener("local", (event) => {
      this.localVideo.srcObject = event.detail;
      this.localVideo.hidden = !event.detail.getVideoTracks().length;
      this.camera.hidden = !call.cameraTrack;
    });
    call.addEventListener("remote", (event) => {
      if (this.remoteVideo.srcObject !== event.detail) this.remoteVideo.srcObject = event.detail;
      this.remoteVideo.play().catch(() => {
        // No sound without a gesture on this page: play muted and offer the sound.
        this.remoteVideo.muted = true;
        this.remoteVideo.play().catch(() => {});
        this.unmute.hidden = false;
      });
    });
    call.addEventListener("session", (event) => this.showSession(event.detail));
    call.addEventListener("connection", (event) => {
      const state = event.detail;
      if (state === "connected") this.status.textContent = t("Connected");
      else if (state === "failed") this.status.textContent = t("The connection failed. Hang up and call again.");
      else if (state === "disconnected") this.status.textContent = t("Reconnecting…");
    });
    call.addEventListener("peer-media", (event) => {
      const { audio_only: audioOnly, screen } = event.detail;
      this.peerMedia.hidden = !audioOnly && !screen;
      this.peerMedia.textContent = screen
        ? t("{name} is sharing their screen.", { name: this.otherName })
        : t("{name} is on voice only.", { name: this.otherName });
      this.root.dataset.peerAudioOnly = String(audioOnly);
    });
    call.addEventListener("error", (event) => (this.status.textContent = event.detail));
    call.addEventListener("ended", (event) => this.showEnded(event.detail));
  }

  showSession(session) {
    const { t } = this;
    this.root.dataset.state = session.state;
    this.root.classList.toggle("ldc-voice", session.kind === "voice");
    if (session.state === "requested") {
      this.status.textContent = this.call.isCaller ? t("Calling {name}…", { name: this.otherName }) : t("Joining…");
    } else if (session.state === "active" && session.started_at && !this.timer) {
      const started = Date.parse(session.started_at);
      const tick = () => (this.duration.textContent = formatDuration((Date.now() - started) / 1000));
      tick();
      this.timer = setInterval(tick, 1000);
      if (this.status.textContent !== t("Connected")) this.status.textContent = t("Connecting…");
    }
    if (session.state === "active" && this.call.mediaRoom && !this.roomBox) this.showRoom(this.call.mediaRoom);
  }

  // The call on the store's media server: Jitsi's meeting in the panel (and in a new window), or LiveKit's
  // server and room (joined with the token of the joined frame by a LiveKit client: docs/calls.md).
  showRoom(room) {
    const { t } = this;
    for (const item of [this.root.querySelector(".ldc-videos"), this.mute, this.camera, this.screen, this.unmute]) if (item) item.hidden = true;
    this.roomBox = node("div", { class: "ldc-room", "data-call-room": room.provider });
    if (room.provider === "jitsi") {
      this.roomBox.append(
        node("iframe", { class: "ldc-room-frame", src: room.url, title: t("Video call room"), allow: "camera; microphone; display-capture; autoplay" }),
        node("p", {}, node("a", { href: room.url, target: "_blank", rel: "noopener noreferrer", "data-call-room-link": true, text: t("Open the call in a new window") })),
      );
    } else {
      // Filled here too: the console's t() leaves the placeholders as they are.
      const values = { url: room.url, room: room.room };
      let text = t("This call takes place on the media server {url}, in the room {room}.", values);
      for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
      this.roomBox.append(node("p", { "data-call-room-server": true, text }));
    }
    this.status.textContent = t("Connected");
    this.status.before(this.roomBox);
  }

  showEnded(session) {
    const { t } = this;
    clearInterval(this.timer);
    this.root.dataset.state = session?.state || "ended";
    const outcome = {
      declined: t("The call was declined."),
      missed: t("Nobody answered."),
    }[session?.state];
    const seconds = session?.duration_seconds;
    this.status.textContent = outcome || (seconds ? t("Call ended after {duration}.", { duration: formatDuration(seconds) }) : t("Call ended."));
    for (const button of [this.mute, this.camera, this.screen, this.hangup]) if (button) button.disabled = true;
    this.remoteVideo.srcObject = null;
    this.localVideo.srcObject = null;
    this.roomBox?.remove(); // leaves the media server's room
  }
}

// Marked for the catalog: CallSession's own messages.
N_("The call is not available.");

// -- the chat widget: an incoming call card, "Call us", and the call itself ------------------------------

// The calls' stylesheet, once per page (beside this module: the widget's origin on a store's page).
export function addCallStylesheet() {
  const href = new URL("./call.css", import.meta.url).href;
  if (document.querySelector(`link[href="${CSS.escape(href)}"]`)) return;
  document.head.append(node("link", { rel: "stylesheet", href }));
}

export class WidgetCalls {
  constructor({ origin, store, t, el, panel, before, widget }) {
    Object.assign(this, { origin, store, t, el, panel, widget });
    addCallStylesheet();
    this.active = null;
    this.card = el("div", { class: "ldc-incoming", role: "alertdialog", "aria-labelledby": "ldc-incoming-title", hidden: "" });
    this.card.hidden = true;
    const videoButton = el("button", { type: "button", class: "ldc-button", "data-call-us": "video", text: t("Video call") });
    const voiceButton = el("button", { type: "button", class: "ldc-button", "data-call-us": "voice", text: t("Voice call") });
    videoButton.addEventListener("click", () => this.callUs("video"));
    voiceButton.addEventListener("click", () => this.callUs("voice"));
    this.callUsBar = el("div", { class: "ldc-call-us", role: "group", "aria-label": t("Call us") }, videoButton, voiceButton);
    this.callUsBar.hidden = true;
    this.stage = el("div", { class: "ldc-stage" });
    panel.insertBefore(this.callUsBar, before);
    panel.insertBefore(this.card, before);
    panel.insertBefore(this.stage, before);
    window.addEventListener("loyaldesk:call", (event) => this.onCallEvent(event.detail || {}));
  }

  api(path) {
    return `${this.origin}/widget-api/v1/${encodeURIComponent(this.store)}${path}`;
  }

  onWelcome(frame) {
    this.refresh(frame.agents_online);
  }

  // "Call us" shows while an agent is online and the shopper has a conversation to call from.
  refresh(agentsOnline = this.widget.agentsOnline) {
    this.callUsBar.hidden = !(agentsOnline && this.widget.conversationId && !this.active);
  }

  onCallEvent({ event, session }) {
    if (!session) return;
    const kind = session.kind;
    if (kind !== "video" && kind !== "voice") return; // co-browsing is cobrowse.js's
    const id = session.session_id ?? session.id;
    if (event === "calls.session_requested" && session.requested_by === "agent" && !this.active) this.ring(id, kind);
    else if (event === "calls.session_ended" && this.ringingId === id) this.hideCard();
  }

  ring(sessionId, kind) {
    const { t, el } = this;
    this.ringingId = sessionId;
    const title = el("p", { id: "ldc-incoming-title", class: "ldc-incoming-title", text: kind === "video" ? t("Support is calling you (video).") : t("Support is calling you.") });
    const withVideo = el("button", { type: "button", class: "ldc-button ldc-answer", "data-answer": "video", text: t("Answer with video") });
    const voiceOnly = el("button", { type: "button", class: "ldc-button ldc-answer", "data-answer": "voice", text: kind === "video" ? t("Answer with voice only") : t("Answer") });
    const decline = el("button", { type: "button", class: "ldc-button ldc-decline", "data-answer": "decline", text: t("Decline") });
    withVideo.hidden = kind !== "video";
    withVideo.addEventListener("click", () => this.join(sessionId, { answer: true, audioOnly: false }));
    voiceOnly.addEventListener("click", () => this.join(sessionId, { answer: true, audioOnly: true }));
    decline.addEventListener("click", () => this.join(sessionId, { answer: false }));
    this.card.replaceChildren(title, el("div", { class: "ldc-controls" }, withVideo, voiceOnly, decline));
    this.card.hidden = false;
    this.widget.toggle?.(true);
    (kind === "video" ? withVideo : voiceOnly).focus();
  }

  hideCard() {
    this.card.hidden = true;
    this.ringingId = null;
  }

  async callUs(kind) {
    const { t } = this;
    let response, result;
    try {
      response = await fetch(this.api("/calls"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ticket: this.widget.ticket, conversation_id: this.widget.conversationId, kind }),
      });
      result = await response.json().catch(() => ({}));
    } catch {
      this.widget.status.textContent = t("Could not reach us; check your connection and try again.");
      return;
    }
    if (!response.ok) {
      this.widget.status.textContent = result.error?.message || t("The call could not be started.");
      return;
    }
    this.open(result.session.id, { answer: null, audioOnly: kind === "voice" });
  }

  join(sessionId, { answer, audioOnly }) {
    this.hideCard();
    this.open(sessionId, { answer, audioOnly });
  }

  open(sessionId, { answer, audioOnly }) {
    this.active?.call.finish();
    const socketUrl = `${this.origin.replace(/^http/, "ws")}/ws/calls/${encodeURIComponent(this.store)}/${sessionId}`;
    const call = new CallSession({ socketUrl, hello: { type: "hello", as: "shopper", ticket: this.widget.ticket }, party: "shopper", audioOnly });
    const panel = new CallPanel({ call, t: this.t, container: this.stage, otherName: this.t("Support") });
    this.active = { call, panel };
    window.loyaldeskCall = call; // for the store's own scripts and the tests: the call now
    this.refresh();
    if (answer !== null) {
      call.addEventListener("session", async (event) => {
        if (event.detail.state === "requested" && !call.answeredOnce && !call.isCaller) {
          call.answeredOnce = true;
          try {
            await call.answer(answer, audioOnly);
          } catch {
            panel.status.textContent = this.t("Your microphone is not available, so the call cannot start.");
            call.answer(false);
          }
        }
      });
    }
    call.addEventListener("ended", () => {
      this.active = null;
      setTimeout(() => panel.root.remove(), 8000);
      this.refresh();
    });
    call.start();
  }
}
