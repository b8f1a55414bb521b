// The survey page (templates/member/surveys/page.html). Without this script the page works as a plain form
// (the server shows what applies after "Save and continue"); with it:
// * the answer chosen in the email (?a=, data-record) is recorded at once;
// * each answer is saved as it is given (partial answers are kept), through the survey's JSON API;
// * a question whose condition ("show only if") starts or stops holding appears or hides at once.
// The logic of conditions mirrors feedback.rules.questions.visible.

const form = document.getElementById("survey-form");
const status = document.getElementById("survey-status");

function valueOf(block) {
  const type = block.dataset.type;
  if (type === "multiple") {
    return [...block.querySelectorAll("input:checked")].map((input) => input.value);
  }
  if (type === "text") return block.querySelector("textarea").value.trim();
  const chosen = block.querySelector("input:checked");
  if (!chosen) return null;
  return type === "single" ? chosen.value : Number(chosen.value);
}

function holds(condition, answer) {
  const { op, value } = condition;
  if (op === "answered") return answer !== null && answer !== "" && !(Array.isArray(answer) && !answer.length);
  if (answer === null || answer === "" || (Array.isArray(answer) && !answer.length)) return false;
  if (op === "eq") return answer === value || (Array.isArray(answer) && answer.includes(value));
  if (op === "ne") return answer !== value && !(Array.isArray(answer) && answer.includes(value));
  if (op === "lte" || op === "gte") {
    if (typeof answer !== "number") return false;
    return op === "lte" ? answer <= value : answer >= value;
  }
  const chosen = Array.isArray(answer) ? answer : [answer];
  return chosen.some((item) => (value || []).includes(item));
}

function blocks() {
  return [...form.querySelectorAll("[data-question]")];
}

function answers() {
  const result = {};
  for (const block of blocks()) result[block.dataset.question] = valueOf(block);
  return result;
}

// Show the questions that apply now, in order; a hidden one's fields are disabled (not sent).
function refresh() {
  const given = answers();
  const shown = new Set();
  for (const block of blocks()) {
    const condition = block.dataset.showIf ? JSON.parse(block.dataset.showIf) : null;
    const visible = !condition || (shown.has(condition.question) && holds(condition, given[condition.question]));
    if (visible) shown.add(block.dataset.question);
    block.hidden = !visible;
    for (const field of block.querySelectorAll("input, textarea")) field.disabled = !visible;
  }
}

async function save(partial) {
  const response = await fetch(form.dataset.api, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ answers: partial, language: form.dataset.language }),
  });
  return response;
}

function empty(value) {
  return value === null || value === "" || (Array.isArray(value) && !value.length);
}

// An answer that completes the survey while optional questions are still open waits for "Send": a
// complete survey takes no more answers, and the comment would be lost.
function wouldCloseEarly() {
  const shown = blocks().filter((block) => !block.hidden);
  const complete = shown.every((block) => !("required" in block.dataset) || !empty(valueOf(block)));
  return complete && shown.some((block) => empty(valueOf(block)));
}

async function saveQuestion(block) {
  const value = valueOf(block);
  if (empty(value) || wouldCloseEarly()) return;
  try {
    const response = await save({ [block.dataset.question]: value });
    if (response.ok) status.textContent = form.dataset.saved;
  } catch {
    status.textContent = form.dataset.failed;
  }
}

async function recordFromEmail() {
  const id = form.dataset.record;
  const block = form.querySelector(`[data-question="${CSS.escape(id)}"]`);
  if (!block) return;
  const value = valueOf(block);
  if (value === null) return;
  try {
    const response = await save({ [id]: value });
    if (!response.ok) throw new Error(String(response.status));
    status.textContent = form.dataset.recorded.replace("{answer}", Array.isArray(value) ? value.join(", ") : String(value));
    status.dataset.recorded = String(value);
  } catch {
    status.textContent = form.dataset.failed;
  }
}

if (form) {
  refresh();
  form.addEventListener("change", (event) => {
    refresh();
    const block = event.target.closest("[data-question]");
    if (block) saveQuestion(block);
  });
  if (form.dataset.record) recordFromEmail();
  document.getElementById("error-summary")?.focus();
}
