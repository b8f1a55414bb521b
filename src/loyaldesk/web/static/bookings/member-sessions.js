// "Expert sessions" on the member page: slots in the shopper's time zone, hold -> confirm with the hold's
// countdown, the shopper's sessions (cancel, reschedule, .ics) and the waitlist, through the member API
// with the signed identity the page was opened with (web/member/bookings_api.py).

const configElement = document.getElementById("sessions-config");
const config = configElement ? JSON.parse(configElement.textContent) : null;
const words = config ? config.words : {};
const $ = (id) => document.getElementById(id);

function say(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : `{${key}}`));
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("data-") || name.startsWith("aria-") || name === "role") node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// -- the member API ---------------------------------------------------------------------------------

class ApiError extends Error {}

async function call(method, path, body) {
  const headers = {
    "X-Customer-Id": config.identity.customer,
    "X-Customer-Signature": config.identity.signature,
  };
  if (config.identity.expires) headers["X-Signature-Expires"] = config.identity.expires;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(config.api + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const problem = data.error || {};
    const field = problem.fields && problem.fields.length ? ` (${problem.fields[0].field}: ${problem.fields[0].reason})` : "";
    throw new ApiError((problem.message || response.statusText) + field);
  }
  return data;
}

function showError(error) {
  const box = $("sessions-error");
  box.textContent = say(words.error, { message: error.message });
  box.hidden = false;
}

function showStatus(text) {
  $("sessions-error").hidden = true;
  const box = $("sessions-status");
  box.textContent = text;
  box.hidden = false;
  box.focus();
}

// -- time zones and formatting ----------------------------------------------------------------------

const state = {
  zone: Intl.DateTimeFormat().resolvedOptions().timeZone || config?.store_time_zone || "UTC",
  typeId: null,
  firstDay: null,
  hold: null,
  countdown: null,
  reschedule: null,
  rescheduleTo: null,
};

// The page's language, in the browser's regional variant when it is the same language (en-GB: 24 hours).
const browserLanguage = navigator.language || "";
const locale = config && browserLanguage.split("-")[0] === config.language ? browserLanguage : config?.language;

function formatTime(iso, withDay = true) {
  const options = withDay
    ? { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: state.zone }
    : { hour: "2-digit", minute: "2-digit", timeZone: state.zone };
  return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
}

function formatDay(isoDay) {
  // A local date (YYYY-MM-DD) as the shopper reads it; noon UTC keeps it on its day in any zone.
  return new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", timeZone: "UTC",
  }).format(new Date(`${isoDay}T12:00:00Z`));
}

function todayIn(zone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date());
  const get = (type) => parts.find((part) => part.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

function addDays(isoDay, days) {
  const date = new Date(`${isoDay}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

function offsetMinutes(instant, zone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(instant);
  const get = (type) => Number(parts.find((part) => part.type === type).value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - instant.getTime()) / 60000);
}

function startOfDay(isoDay, zone) {
  // The instant the shopper's zone starts ``isoDay`` (twice corrected, for a day that changes offset).
  const guess = new Date(`${isoDay}T00:00:00Z`);
  let instant = new Date(guess.getTime() - offsetMinutes(guess, zone) * 60000);
  instant = new Date(guess.getTime() - offsetMinutes(instant, zone) * 60000);
  return instant.toISOString();
}

function fillZones() {
  const select = $("time-zone");
  if (!select) return;
  let zones = [];
  try { zones = Intl.supportedValuesOf("timeZone"); } catch { zones = []; }
  for (const zone of [state.zone, config.store_time_zone, "UTC"]) if (!zones.includes(zone)) zones.unshift(zone);
  for (const zone of zones) select.append(element("option", { value: zone, text: zone.replaceAll("_", " ") }));
  select.value = state.zone;
  select.addEventListener("change", () => {
    state.zone = select.value;
    if (state.typeId) loadSlots();
    loadMine();
  });
}

// -- slots ----------------------------------------------------------------------------------------

function typeName(typeId) {
  const item = document.querySelector(`[data-session-type="${typeId}"]`);
  return item ? item.dataset.name : "";
}

async function openPicker(typeId) {
  state.typeId = Number(typeId);
  state.firstDay = todayIn(state.zone);
  const picker = $("slot-picker");
  picker.hidden = false;
  $("picker-for").textContent = typeName(typeId);
  const from = $("wanted-from");
  const until = $("wanted-until");
  from.value = state.firstDay;
  until.value = addDays(state.firstDay, 6);
  await loadSlots();
  picker.focus();
}

async function loadSlots() {
  const box = $("slot-days");
  box.replaceChildren(element("p", { className: "muted", text: words.loading }));
  $("earlier-days").disabled = state.firstDay <= todayIn(state.zone);
  try {
    const query = new URLSearchParams({ time_zone: state.zone, from: state.firstDay, days: "7" });
    const found = await call("GET", `/bookings/session-types/${state.typeId}/slots?${query}`);
    box.replaceChildren();
    const days = found.days.filter((day) => day.slots.length);
    if (!days.length) {
      box.append(element("p", { className: "muted", text: words.no_slots }));
      return;
    }
    for (const day of days) {
      const headingId = `slots-${day.day}`;
      const list = element("ul", { className: "slots", "aria-labelledby": headingId });
      for (const slot of day.slots) {
        const label = formatTime(slot.starts_at, false);
        const button = element("button", {
          type: "button",
          className: "button slot",
          text: label,
          "data-starts-at": slot.starts_at,
          "aria-label": `${formatTime(slot.starts_at)}${slot.seats_left > 1 ? ", " + say(words.seats_left, { seats: slot.seats_left }) : ""}`,
        });
        button.addEventListener("click", () => chooseSlot(slot));
        list.append(element("li", {}, button));
      }
      box.append(element("div", { className: "slot-day" }, element("h3", { id: headingId, text: formatDay(day.day) }), list));
    }
  } catch (error) {
    box.replaceChildren();
    showError(error);
  }
}

async function chooseSlot(slot) {
  if (state.reschedule) {
    state.rescheduleTo = slot;
    const button = $("confirm-reschedule");
    button.textContent = say(words.reschedule_to, { time: formatTime(slot.starts_at) });
    button.hidden = false;
    $("reschedule-panel").focus();
    return;
  }
  try {
    if (state.hold) await releaseHold(false);
    const booking = await call("POST", "/bookings/holds", { session_type_id: state.typeId, starts_at: slot.starts_at });
    showHold(booking);
  } catch (error) {
    showError(error);
    loadSlots();
  }
}

// -- hold -> confirm ------------------------------------------------------------------------------

function showHold(booking) {
  state.hold = booking;
  const panel = $("hold-panel");
  panel.hidden = false;
  $("hold-what").textContent = `${booking.session_type.name}: ${say(words.held, { time: formatTime(booking.starts_at) })} ${say(words.with_expert, { expert: booking.expert_name })}`;
  const price = Number(document.querySelector(`[data-session-type="${booking.session_type.id}"]`)?.dataset.price || 0);
  $("confirm-hold").textContent = price ? say(words.confirm_cost, { points: price }) : words.confirm_free;
  $("confirm-hold").disabled = false;
  tick();
  clearInterval(state.countdown);
  state.countdown = setInterval(tick, 1000);
  panel.focus();
}

function tick() {
  if (!state.hold) return;
  const left = Math.max(0, Math.round((new Date(state.hold.hold_expires_at) - Date.now()) / 1000));
  const text = left
    ? say(words.hold_left, { left: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` })
    : words.hold_over;
  $("hold-countdown").textContent = text;
  // Screen readers hear the countdown once a minute, not every second.
  if (left % 60 === 0 || !left) $("hold-countdown-polite").textContent = text;
  if (!left) {
    clearInterval(state.countdown);
    $("confirm-hold").disabled = true;
  }
}

function hideHold() {
  clearInterval(state.countdown);
  state.hold = null;
  $("hold-panel").hidden = true;
}

async function confirmHold() {
  const held = state.hold;
  if (!held) return;
  $("confirm-hold").disabled = true;
  try {
    const booking = await call("POST", `/bookings/${held.id}/confirm`);
    hideHold();
    showStatus(say(words.booked, { name: booking.session_type.name, time: formatTime(booking.starts_at) }));
    await Promise.all([loadMine(), refreshBalance(), loadSlots()]);
  } catch (error) {
    $("confirm-hold").disabled = false;
    showError(error);
  }
}

async function releaseHold(refresh = true) {
  const held = state.hold;
  hideHold();
  if (!held) return;
  try {
    await call("POST", `/bookings/${held.id}/cancel`, {});
  } catch {
    // an expired hold is already released
  }
  if (refresh) loadSlots();
}

// -- my sessions ----------------------------------------------------------------------------------

async function refreshBalance() {
  const balance = $("sessions-balance");
  if (!balance) return;
  try {
    const me = await call("GET", "/me");
    balance.textContent = new Intl.NumberFormat(locale).format(me.balance.available);
  } catch {
    // the page still shows the last balance
  }
}

function icsLink(booking) {
  const query = new URLSearchParams(config.identity);
  return `${config.page}/${booking.id}/invitation.ics?${query}`;
}

function sessionItem(booking) {
  const upcoming = booking.status === "confirmed" && new Date(booking.ends_at) > new Date();
  const item = element("li", { className: "my-session", "data-booking": booking.id, "data-status": booking.status });
  const title = element("h3", { text: `${booking.session_type.name} · ${formatTime(booking.starts_at)}` });
  const status = element("span", { className: `status status-${booking.status}`, text: words[`status_${booking.status}`] || booking.status });
  const details = element("p", { className: "muted small", text: `${say(words.with_expert, { expert: booking.expert_name })}${booking.points_paid ? " · " + say(words.points_paid, { points: booking.points_paid }) : ""}` });
  item.append(element("div", {}, title, status, details));
  if (!upcoming) return item;
  const actions = element("div", { className: "session-actions" });
  const cancelNote = element("p", { className: "small", id: `cancel-note-${booking.id}` });
  const permission = booking.can_cancel || {};
  if (permission.allowed) {
    cancelNote.textContent = permission.deadline
      ? say(words.cancel_until, { deadline: formatTime(permission.deadline), points: booking.refund_on_cancel })
      : "";
  } else {
    cancelNote.textContent = permission.deadline
      ? `${say(words.cancel_closed, { deadline: formatTime(permission.deadline) })} ${permission.reason || ""}`
      : permission.reason || "";
  }
  const cancel = element("button", {
    type: "button", className: "button", text: words.cancel, "aria-describedby": cancelNote.id, "data-cancel": booking.id,
  });
  cancel.addEventListener("click", () => cancelBooking(booking));
  actions.append(cancel);
  const move = booking.can_reschedule || {};
  if (move.allowed) {
    const reschedule = element("button", { type: "button", className: "button", text: words.reschedule, "data-reschedule": booking.id });
    reschedule.addEventListener("click", () => startReschedule(booking));
    actions.append(reschedule);
  }
  actions.append(element("a", { href: icsLink(booking), className: "button", text: words.ics, download: `session-${booking.id}.ics` }));
  item.append(actions, cancelNote);
  return item;
}

async function loadMine() {
  const box = $("my-sessions");
  if (!box) return;
  try {
    const mine = await call("GET", "/bookings");
    const shown = mine.bookings.filter((booking) => booking.status !== "held");
    box.replaceChildren(
      shown.length
        ? element("ul", { className: "my-sessions" }, ...shown.map(sessionItem))
        : element("p", { className: "muted", text: words.no_sessions }),
    );
    renderWaitlist(mine.waitlist);
  } catch (error) {
    showError(error);
  }
}

async function cancelBooking(booking) {
  try {
    const result = await call("POST", `/bookings/${booking.id}/cancel`, {});
    showStatus(result.points_refunded ? say(words.cancelled, { points: result.points_refunded }) : words.cancelled_free);
    await Promise.all([loadMine(), refreshBalance()]);
    if (state.typeId) loadSlots();
  } catch (error) {
    showError(error);
  }
}

function startReschedule(booking) {
  state.reschedule = booking;
  state.rescheduleTo = null;
  $("reschedule-panel").hidden = false;
  $("reschedule-what").textContent = say(words.reschedule_pick, { name: `${booking.session_type.name} · ${formatTime(booking.starts_at)}` });
  $("confirm-reschedule").hidden = true;
  openPicker(booking.session_type.id);
}

function stopReschedule() {
  state.reschedule = null;
  state.rescheduleTo = null;
  $("reschedule-panel").hidden = true;
}

async function confirmReschedule() {
  const booking = state.reschedule;
  const slot = state.rescheduleTo;
  if (!booking || !slot) return;
  try {
    const moved = await call("POST", `/bookings/${booking.id}/reschedule`, { starts_at: slot.starts_at });
    stopReschedule();
    showStatus(say(words.moved, { time: formatTime(moved.starts_at) }));
    await Promise.all([loadMine(), loadSlots(), refreshBalance()]);
  } catch (error) {
    showError(error);
  }
}

// -- waitlist -------------------------------------------------------------------------------------

function renderWaitlist(entries) {
  const box = $("my-waitlist");
  if (!box) return;
  const live = entries.filter((entry) => entry.status === "waiting" || entry.status === "offered");
  if (!live.length) {
    box.replaceChildren(element("p", { className: "muted", text: words.no_waitlist }));
    return;
  }
  const list = element("ul", { className: "my-sessions" });
  for (const entry of live) {
    const item = element("li", { className: "my-session", "data-waitlist": entry.id, "data-status": entry.status });
    const text = entry.status === "offered"
      ? say(words.waitlist_offered, { time: formatTime(entry.offered_starts_at), expires: formatTime(entry.offer_expires_at) })
      : say(words.waitlist_waiting, { from: formatTime(entry.wanted_from), until: formatTime(entry.wanted_until) });
    item.append(element("div", {}, element("h3", { text: entry.session_type.name }), element("p", { text })));
    const actions = element("div", { className: "session-actions" });
    if (entry.status === "offered") {
      const accept = element("button", { type: "button", className: "button button-primary", text: words.waitlist_accept, "data-accept": entry.id });
      accept.addEventListener("click", () => acceptOffer(entry));
      actions.append(accept);
    }
    const leave = element("button", { type: "button", className: "button", text: words.waitlist_leave, "data-leave": entry.id });
    leave.addEventListener("click", () => leaveWaitlist(entry));
    actions.append(leave);
    item.append(actions);
    list.append(item);
  }
  box.replaceChildren(list);
}

async function joinWaitlist(event) {
  event.preventDefault();
  const from = $("wanted-from").value;
  const until = $("wanted-until").value;
  try {
    await call("POST", "/bookings/waitlist", {
      session_type_id: state.typeId,
      wanted_from: startOfDay(from, state.zone),
      wanted_until: startOfDay(addDays(until, 1), state.zone),
    });
    showStatus(words.waitlist_joined);
    $("waitlist-details").open = false;
    loadMine();
  } catch (error) {
    showError(error);
  } finally {
    // member.js disables a submitted form's button (one click, one redemption); this form stays usable.
    event.target.querySelector("button[type=submit]").disabled = false;
  }
}

async function acceptOffer(entry) {
  try {
    const booking = await call("POST", `/bookings/waitlist/${entry.id}/accept`);
    showStatus(say(words.booked, { name: booking.session_type.name, time: formatTime(booking.starts_at) }));
    await Promise.all([loadMine(), refreshBalance()]);
  } catch (error) {
    showError(error);
    loadMine();
  }
}

async function leaveWaitlist(entry) {
  try {
    await call("DELETE", `/bookings/waitlist/${entry.id}`);
    showStatus(words.waitlist_withdrawn);
    loadMine();
  } catch (error) {
    showError(error);
  }
}

// -- wiring ---------------------------------------------------------------------------------------

if (config && $("my-sessions")) {
  fillZones();
  document.querySelectorAll("[data-pick]").forEach((button) => {
    button.addEventListener("click", () => {
      stopReschedule();
      openPicker(button.dataset.pick);
    });
  });
  $("earlier-days").addEventListener("click", () => {
    const earliest = todayIn(state.zone);
    const earlier = addDays(state.firstDay, -7);
    state.firstDay = earlier < earliest ? earliest : earlier;
    loadSlots();
  });
  $("later-days").addEventListener("click", () => {
    state.firstDay = addDays(state.firstDay, 7);
    loadSlots();
  });
  $("confirm-hold").addEventListener("click", confirmHold);
  $("release-hold").addEventListener("click", () => releaseHold(true));
  $("confirm-reschedule").addEventListener("click", confirmReschedule);
  $("stop-reschedule").addEventListener("click", stopReschedule);
  $("waitlist-form").addEventListener("submit", joinWaitlist);
  loadMine();
}
