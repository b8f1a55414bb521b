// loyaldesk chat widget: a survey card for a signed-in shopper with a survey waiting for their answer
// (GET /widget-api/v1/{store}/surveys/pending). One question at a time, the first one first; each answer is
// saved as it is given (partial answers are kept), except that an answer that would complete the survey
// waits while optional questions are still to come (a complete survey takes no more answers). Loaded by
// loader.js, which passes its helpers; every text from the store is inserted as text.

function empty(value) {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length);
}

// Which questions apply given the answers: as feedback.rules.questions.visible decides.
function holds(condition, answer) {
  const { op, value } = condition;
  if (op === "answered") return !empty(answer);
  if (empty(answer)) return false;
  if (op === "eq") return answer === value || (Array.isArray(answer) && answer.includes(value));
  if (op === "ne") return answer !== value && !(Array.isArray(answer) && answer.includes(value));
  if (op === "lte" || op === "gte") return typeof answer === "number" && (op === "lte" ? answer <= value : answer >= value);
  return (Array.isArray(answer) ? answer : [answer]).some((item) => (value || []).includes(item));
}

export function visibleQuestions(questions, answers) {
  const shown = new Set();
  return questions.filter((question) => {
    const condition = question.show_if;
    if (condition && (!shown.has(condition.question) || !holds(condition, answers[condition.question]))) return false;
    shown.add(question.id);
    return true;
  });
}

export class SurveyCard {
  constructor({ api, t, el, panel, before, language }) {
    this.api = api; // `${origin}/widget-api/v1/${store}`
    this.t = t;
    this.el = el;
    this.language = language;
    this.ticket = null;
    this.survey = null;
    this.card = el("section", { class: "ldw-survey", "aria-labelledby": "ldw-survey-title" });
    this.card.hidden = true;
    panel.insertBefore(this.card, before);
  }

  async onWelcome(frame) {
    this.ticket = frame.ticket;
    if (!frame.identified || this.survey) return; // anonymous visitors are never asked
    let surveys = [];
    try {
      const query = new URLSearchParams({ ticket: this.ticket, language: this.language() });
      const response = await fetch(`${this.api}/surveys/pending?${query}`);
      if (!response.ok) return;
      surveys = (await response.json()).surveys || [];
    } catch {
      return;
    }
    if (!surveys.length) return;
    this.survey = surveys[0];
    this.answers = { ...(this.survey.answers || {}) };
    this.unsent = {};
    this.show();
  }

  // The next question to ask: the first that applies and is not answered yet.
  next() {
    return visibleQuestions(this.survey.questions, this.answers).find((q) => empty(this.answers[q.id]) && !this.skipped?.has(q.id));
  }

  wouldComplete(answers) {
    return visibleQuestions(this.survey.questions, answers).every((q) => !q.required || !empty(answers[q.id]));
  }

  show() {
    const { t, el } = this;
    const question = this.next();
    const title = el("h3", { class: "ldw-survey-title", id: "ldw-survey-title", text: t("Tell us how we did") });
    this.note = el("p", { class: "ldw-survey-note", role: "status" });
    if (!question) {
      this.finish();
      return;
    }
    const later = el("button", { type: "button", class: "ldw-survey-later", text: t("Later") });
    later.addEventListener("click", () => this.close());
    const answering = this.card.contains(document.activeElement); // keep a keyboard user in the card
    this.card.replaceChildren(title, this.questionNode(question), this.note, later);
    this.card.hidden = false;
    if (answering) this.card.querySelector(".ldw-survey-question button, .ldw-survey-question textarea, .ldw-survey-question input")?.focus();
  }

  questionNode(question) {
    const { t, el } = this;
    const group = el("div", { class: "ldw-survey-question", role: "group", "aria-labelledby": `ldw-q-${question.id}` },
      el("p", { class: "ldw-survey-text", id: `ldw-q-${question.id}`, text: question.text }));
    if (question.type === "nps" || question.type === "scale") {
      const row = el("div", { class: "ldw-survey-scale" });
      for (let n = question.min; n <= question.max; n++) {
        const button = el("button", { type: "button", class: "ldw-survey-point", text: String(n), "aria-label": String(n) });
        button.addEventListener("click", () => this.answer(question, n));
        row.append(button);
      }
      group.append(row);
      if (question.low || question.high) {
        group.append(el("p", { class: "ldw-survey-ends" }, el("span", { text: `${question.min}: ${question.low}` }), el("span", { text: `${question.max}: ${question.high}` })));
      }
    } else if (question.type === "single") {
      for (const option of question.options) {
        const button = el("button", { type: "button", class: "ldw-survey-option", text: option.text });
        button.addEventListener("click", () => this.answer(question, option.id));
        group.append(button);
      }
    } else if (question.type === "multiple") {
      const boxes = question.options.map((option) => {
        const id = `ldw-o-${question.id}-${option.id}`;
        const box = el("input", { type: "checkbox", id, value: option.id });
        group.append(el("div", { class: "ldw-survey-check" }, box, el("label", { for: id, text: option.text })));
        return box;
      });
      const next = el("button", { type: "button", class: "ldw-send", text: t("Next") });
      next.addEventListener("click", () => this.answer(question, boxes.filter((b) => b.checked).map((b) => b.value)));
      group.append(next);
    } else {
      const id = `ldw-survey-text-${question.id}`;
      const area = el("textarea", { id, rows: "3", maxlength: "5000", "aria-labelledby": `ldw-q-${question.id}` });
      const send = el("button", { type: "button", class: "ldw-send", text: t("Send") });
      send.addEventListener("click", () => this.answer(question, area.value.trim()));
      group.append(area, send);
    }
    return group;
  }

  async answer(question, value) {
    if (empty(value)) {
      if (question.required) {
        this.note.textContent = this.t("Please answer this question.");
        return;
      }
      (this.skipped ||= new Set()).add(question.id);
    } else {
      this.answers[question.id] = value;
      this.unsent[question.id] = value;
    }
    const rest = visibleQuestions(this.survey.questions, this.answers).filter((q) => empty(this.answers[q.id]) && !this.skipped?.has(q.id));
    // Hold back the answer that completes the survey while optional questions remain: it takes no more after.
    if (this.wouldComplete(this.answers) && rest.length) {
      this.show();
      return;
    }
    if (Object.keys(this.unsent).length && !(await this.send())) return;
    this.show();
  }

  async send() {
    const { t } = this;
    try {
      const response = await fetch(`${this.api}/surveys/${this.survey.id}/answers`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ticket: this.ticket, answers: this.unsent, language: this.survey.language }),
      });
      const result = await response.json().catch(() => ({}));
      if (!response.ok) {
        if (response.status === 409) {
          this.finish(result.error?.message);
          return false;
        }
        this.note.textContent = result.error?.fields?.map((f) => f.reason).join("; ") || t("Could not send; try again.");
        return false;
      }
      this.unsent = {};
      this.survey.status = result.status;
      return true;
    } catch {
      this.note.textContent = t("Could not reach us; check your connection and send again.");
      return false;
    }
  }

  async close() {
    if (Object.keys(this.unsent || {}).length) await this.send(); // what was answered is kept
    this.card.hidden = true;
  }

  finish(message) {
    const { t, el } = this;
    this.card.replaceChildren(el("p", { class: "ldw-survey-thanks", role: "status", text: message || t("Thank you for your answers!") }));
    this.card.hidden = false;
  }
}
