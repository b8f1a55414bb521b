// The video call of a booked expert session on the member page (web/member/booking_calls.py): the shopper
// joins (the call opens through the member API; the expert's call is joined, or the expert is rung), then
// the widget's call.js runs it, saying hello on the calls socket as the member (the page's signed identity).

import { CallPanel, CallSession } from "../widget/call.js";

const config = JSON.parse(document.getElementById("call-config").textContent);
const words = config.words || {};
const t = (text, values = {}) => {
  let result = words[text] || text;
  for (const [name, value] of Object.entries(values)) result = result.replaceAll(`{${name}}`, String(value));
  return result;
};
const root = document.querySelector("[data-member-call]");
const joinBox = root.querySelector("[data-call-join]");
const stage = root.querySelector("[data-call-stage]");
const problem = document.getElementById("call-error");
const when = root.querySelector("[data-local-time]");
if (when) when.textContent = new Date(when.getAttribute("datetime")).toLocaleString();

async function join(audioOnly) {
  problem.hidden = true;
  let response, result;
  try {
    response = await fetch(config.api, { method: "POST", headers: config.headers });
    result = await response.json().catch(() => ({}));
  } catch {
    response = null;
  }
  if (!response?.ok) {
    problem.textContent = result?.error?.message || t("The call is not available.");
    problem.hidden = false;
    return;
  }
  joinBox.hidden = true;
  const hello = { ...config.hello };
  if (hello.expires === null) delete hello.expires;
  const call = new CallSession({
    socketUrl: `${location.origin.replace(/^http/, "ws")}${result.socket}`, hello, party: "shopper",
    autoAnswer: true, audioOnly,
  });
  window.loyaldeskCall = call;
  new CallPanel({ call, t, container: stage, otherName: config.expert || t("your expert") });
  call.addEventListener("ended", () => (joinBox.hidden = false));
  call.start();
}

root.querySelector("[data-call-join-video]").addEventListener("click", () => join(false));
root.querySelector("[data-call-join-voice]").addEventListener("click", () => join(true));
