// Calls in the console (web/console/calls.py): on the inbox, the notice when a shopper rings; on the call
// page, the call itself (CallSession and CallPanel from the widget's call.js: one WebRTC implementation).

import { CallPanel, CallSession } from "./widget/call.js";

// -- the inbox: a shopper rings -------------------------------------------------------------------------
const inbox = document.querySelector("[data-inbox]");
if (inbox) {
  const store = inbox.dataset.store;
  const notices = document.createElement("div");
  notices.className = "call-notices";
  notices.setAttribute("role", "status");
  notices.setAttribute("aria-live", "assertive");
  inbox.prepend(notices);
  window.addEventListener("loyaldesk:call", (event) => {
    const { event: name, session } = event.detail || {};
    if (!session || (session.kind !== "video" && session.kind !== "voice")) return;
    const id = session.id ?? session.session_id;
    if (name === "calls.session_requested" && session.requested_by === "shopper" && session.conversation_id) {
      if (notices.querySelector(`[data-call-notice="${id}"]`)) return;
      const notice = document.createElement("p");
      notice.className = "notice notice-info call-notice";
      notice.dataset.callNotice = String(id);
      const link = document.createElement("a");
      link.href = `/console/${encodeURIComponent(store)}/calls/${id}`;
      link.className = "button button-small";
      link.textContent = "Answer";
      notice.append(`A customer is calling (${session.kind}) from conversation #${session.conversation_id}. `, link);
      notices.append(notice);
    } else if (name === "calls.session_ended" || name === "calls.session_answered") {
      notices.querySelector(`[data-call-notice="${id}"]`)?.remove();
    }
  });
}

// -- the call page ---------------------------------------------------------------------------------------
const page = document.querySelector("[data-call-page]");
const stage = page?.querySelector("[data-call-stage]");
if (page && stage) {
  const { store, session: sessionId, kind } = page.dataset;
  const socketUrl = `${location.origin.replace(/^http/, "ws")}/ws/calls/${encodeURIComponent(store)}/${sessionId}`;
  const answerBox = page.querySelector("[data-call-answer]");
  const mustAnswer = answerBox && !answerBox.hidden;
  const start = (audioOnly, accept) => {
    const call = new CallSession({
      socketUrl, hello: { type: "hello", as: "agent" }, party: "agent",
      // A booked session's call: joining is the answer; a shopper's ring: the agent's button.
      autoAnswer: !mustAnswer, audioOnly,
    });
    window.loyaldeskCall = call;
    new CallPanel({ call, container: stage, canShareScreen: kind === "video" || kind === "voice", otherName: "The customer" });
    if (mustAnswer) {
      call.addEventListener("session", (event) => {
        if (event.detail.state === "requested" && !call.answeredOnce && !call.isCaller) {
          call.answeredOnce = true;
          call.answer(accept, audioOnly).catch((error) => call.emit("error", String(error)));
        }
      });
    }
    call.start();
  };
  if (mustAnswer) {
    for (const button of answerBox.querySelectorAll("[data-call-accept]")) {
      button.addEventListener("click", () => {
        answerBox.hidden = true;
        start(button.dataset.callAccept === "voice" || kind === "voice", true);
      });
    }
    answerBox.querySelector("[data-call-decline]").addEventListener("click", () => {
      answerBox.hidden = true;
      start(true, false);
    });
  } else {
    start(kind === "voice", true);
  }
}
