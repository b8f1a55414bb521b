"""The survey builder's form, without JSON: a survey (``feedback.SurveyIn``) as flat form fields and
back, the editor's own steps (add, remove and move a question; redraw for new languages), and a domain
refusal's place (``questions[2].options`` → the options box of question 3).

Field names: ``name``, ``languages`` ("en, de"), ``channel``, ``trigger_kind`` (``event``, ``schedule``,
``api``), ``trigger_event``, ``trigger_delay_days``, ``schedule_recurrence``, ``schedule_sample_percent``;
per question ``i`` (0-based): ``q{i}_id``, ``q{i}_type``, ``q{i}_required``, ``q{i}_text_{lang}``,
``q{i}_options_{lang}`` (one per line; ``q{i}_option_ids`` keeps their ids), ``q{i}_min``, ``q{i}_max``,
``q{i}_low_{lang}``, ``q{i}_high_{lang}``, ``q{i}_show_question``, ``q{i}_show_op``, ``q{i}_show_value``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from loyaldesk.feedback.rules.triggers import EVENT_LABELS, EVENTS, RECURRENCES
from loyaldesk.feedback.vocab import QuestionType, SurveyKind, label

MAX_QUESTIONS = 30
SHOW_OPERATORS = (("lte", "is at most (≤)"), ("gte", "is at least (≥)"), ("eq", "is (=)"))
TRIGGER_KINDS = (
    ("event", "After an event, N days later"),
    ("schedule", "On a schedule, to a sample of customers"),
    ("api", "Only when my site or app asks (API)"),
)
_WHERE = re.compile(r"^questions\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?(?:\.(\w+))?")


def languages_of(text: str) -> list[str]:
    """``"en, de"`` → ``["en", "de"]`` (checked by the domain)."""
    return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]


def when_it_asks(trigger: Mapping[str, Any]) -> str:
    """A trigger in words, for the list."""
    kind = trigger.get("kind")
    if kind == "event":
        event = str(trigger.get("event", ""))
        days = int(trigger.get("delay_days", 0) or 0)
        what = EVENT_LABELS.get(event, event).lower()
        return f"{days} days after: {what}" if days else f"When {what}"
    if kind == "schedule":
        recurrence = str(trigger.get("recurrence", "monthly")).capitalize()
        return f"{recurrence}, to {trigger.get('sample_percent', 10)}% of customers"
    return "Only through the API"


def survey_form(survey: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for a survey (``name``, ``kind``, ``languages``, ``questions``, ``trigger``,
    ``channel``)."""
    languages = list(survey.get("languages") or ["en"])
    trigger = dict(survey.get("trigger") or {"kind": "api"})
    form: dict[str, Any] = {
        "name": survey.get("name", ""),
        "kind": survey.get("kind", SurveyKind.CUSTOM.value),
        "languages": ", ".join(languages),
        "channel": survey.get("channel", "email"),
        "trigger_kind": trigger.get("kind", "api"),
        "trigger_event": trigger.get("event", EVENTS[0]),
        "trigger_delay_days": trigger.get("delay_days", 7),
        "schedule_recurrence": trigger.get("recurrence", "monthly"),
        "schedule_sample_percent": trigger.get("sample_percent", 10),
    }
    questions = list(survey.get("questions") or [])
    form["question_count"] = len(questions)
    for index, question in enumerate(questions):
        prefix = f"q{index}_"
        form[prefix + "id"] = question.get("id", "")
        form[prefix + "type"] = question.get("type", "text")
        form[prefix + "required"] = bool(question.get("required"))
        form[prefix + "min"] = question.get("min", 1)
        form[prefix + "max"] = question.get("max", 5)
        options = question.get("options") or []
        form[prefix + "option_ids"] = ",".join(str(option.get("id", "")) for option in options)
        for language in languages:
            form[f"{prefix}text_{language}"] = (question.get("text") or {}).get(language, "")
            form[f"{prefix}low_{language}"] = (question.get("low") or {}).get(language, "")
            form[f"{prefix}high_{language}"] = (question.get("high") or {}).get(language, "")
            form[f"{prefix}options_{language}"] = "\n".join(
                (option.get("text") or {}).get(language, "") for option in options
            )
        condition = question.get("show_if") or {}
        form[prefix + "show_question"] = condition.get("question", "")
        form[prefix + "show_op"] = condition.get("op", "lte")
        value = condition.get("value", "")
        form[prefix + "show_value"] = "" if value is None else str(value)
    return form


def form_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What was posted, as the form shows it again (a checkbox as a bool)."""
    values = {key: value for key, value in raw.items() if key != "csrf_token"}
    count = _count(values)
    values["question_count"] = count
    for index in range(count):
        values[f"q{index}_required"] = str(values.get(f"q{index}_required", "")) in ("yes", "on", "true")
    return values


def _count(values: Mapping[str, Any]) -> int:
    try:
        count = int(str(values.get("question_count", "0")))
    except ValueError:
        count = 0
    return max(0, min(count, MAX_QUESTIONS))


def edit(values: dict[str, Any], step: str) -> tuple[dict[str, Any], str]:
    """Apply an editor step (``add``, ``remove:i``, ``up:i``, ``down:i``, ``refresh``) to the form's
    values; the new values and where to put the focus (a field's id)."""
    count = values["question_count"]
    questions = [_question_fields(values, index) for index in range(count)]
    verb, _, number = step.partition(":")
    index = int(number) if number.isdigit() else -1
    focus = ""
    if verb == "add" and count < MAX_QUESTIONS:
        kind = str(values.get("new_type") or "text")
        kind = kind if kind in set(QuestionType) else "text"
        taken = {str(fields.get("id", "")) for fields in questions}
        new_id = next(f"q{n}" for n in range(1, 100) if f"q{n}" not in taken)
        questions.append({"id": new_id, "type": kind, "required": kind != "text", "min": 1, "max": 5})
        focus = f"f-q{len(questions) - 1}_type"
    elif verb == "remove" and 0 <= index < count:
        questions.pop(index)
        focus = "f-new_type"
    elif verb in ("up", "down") and 0 <= index < count:
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < count:
            questions[index], questions[other] = questions[other], questions[index]
            focus = f"f-q{other}_type"
    kept = {key: value for key, value in values.items() if not re.match(r"^q\d+_", key)}
    for new_index, fields in enumerate(questions):
        for key, value in fields.items():
            kept[f"q{new_index}_{key}"] = value
    kept["question_count"] = len(questions)
    return kept, focus


def _question_fields(values: Mapping[str, Any], index: int) -> dict[str, Any]:
    prefix = f"q{index}_"
    return {key[len(prefix) :]: value for key, value in values.items() if key.startswith(prefix)}


def survey_data(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The form's values as ``SurveyIn``'s fields (checked by the domain, which names what is wrong)."""
    languages = languages_of(str(values.get("languages", ""))) or ["en"]
    questions: list[dict[str, Any]] = []
    for index in range(_count(values)):
        questions.append(_question(values, index, languages, questions))
    trigger_kind = values.get("trigger_kind", "api")
    trigger: dict[str, Any] = {"kind": trigger_kind}
    if trigger_kind == "event":
        trigger["event"] = values.get("trigger_event", "")
        trigger["delay_days"] = _number(values.get("trigger_delay_days"))
    elif trigger_kind == "schedule":
        trigger["recurrence"] = values.get("schedule_recurrence", "monthly")
        trigger["sample_percent"] = _number(values.get("schedule_sample_percent"), decimal=True)
    return {
        "name": str(values.get("name", "")),
        "kind": kind,
        "languages": languages,
        "questions": questions,
        "trigger": trigger,
        "channel": values.get("channel", "email"),
    }


def _number(value: Any, *, decimal: bool = False) -> Any:
    text = str(value if value is not None else "").strip()
    try:
        number = float(text)
    except ValueError:
        return text  # the domain names it ("a whole number of days...")
    return number if decimal and not number.is_integer() else int(number)


def _question(
    values: Mapping[str, Any], index: int, languages: list[str], earlier: list[dict[str, Any]]
) -> dict[str, Any]:
    prefix = f"q{index}_"
    kind = str(values.get(prefix + "type", "text"))
    question: dict[str, Any] = {
        "id": str(values.get(prefix + "id", "")).strip() or f"q{index + 1}",
        "type": kind,
        "required": bool(values.get(prefix + "required")),
        "text": {lang: str(values.get(f"{prefix}text_{lang}", "")) for lang in languages},
    }
    if kind == QuestionType.SCALE:
        question["min"] = _number(values.get(prefix + "min"))
        question["max"] = _number(values.get(prefix + "max"))
    if kind in (QuestionType.NPS, QuestionType.SCALE):
        question["low"] = {lang: str(values.get(f"{prefix}low_{lang}", "")) for lang in languages}
        question["high"] = {lang: str(values.get(f"{prefix}high_{lang}", "")) for lang in languages}
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        lines = {
            lang: [line.strip() for line in str(values.get(f"{prefix}options_{lang}", "")).splitlines()]
            for lang in languages
        }
        first = [line for line in lines[languages[0]] if line]
        ids = [part for part in str(values.get(prefix + "option_ids", "")).split(",") if part]
        options: list[dict[str, Any]] = []
        for number in range(len(first)):
            option_id = ids[number] if number < len(ids) else f"o{number + 1}"
            texts: dict[str, str] = {}
            for lang in languages:
                words = [line for line in lines[lang] if line]
                if number < len(words):
                    texts[lang] = words[number]
            options.append({"id": option_id, "text": texts})
        # Ids stay unique when options were added between others.
        seen: set[str] = set()
        for number, option in enumerate(options):
            while option["id"] in seen:
                option["id"] = f"o{number + 1}_{len(seen)}"
            seen.add(option["id"])
        question["options"] = options
    target = str(values.get(prefix + "show_question", "")).strip()
    if target:
        op = str(values.get(prefix + "show_op", "lte"))
        raw = str(values.get(prefix + "show_value", "")).strip()
        question["show_if"] = {"question": target, "op": op, "value": _condition_value(raw, target, earlier)}
    return question


def _condition_value(raw: str, target: str, earlier: list[dict[str, Any]]) -> Any:
    """A number for a score, an option's id for a choice (its words are accepted too)."""
    if raw.lstrip("-").isdigit():
        return int(raw)
    for question in earlier:
        if question["id"] == target:
            for option in question.get("options") or []:
                if raw == option["id"] or raw.lower() in (text.lower() for text in option["text"].values()):
                    return option["id"]
    return raw


def field_of(where: str, languages: list[str]) -> str:
    """The form field a domain refusal names: ``questions[2].options`` → ``q2_options_en``."""
    first = languages[0] if languages else "en"
    match = _WHERE.match(where)
    if match:
        index, part, _option, sub = match.groups()
        prefix = f"q{index}_"
        if part in ("text", "low", "high", "options"):
            language = sub if sub in languages else first
            return f"{prefix}{part}_{language}"
        if part == "show_if":
            return prefix + (
                "show_value" if sub == "value" else "show_op" if sub == "op" else "show_question"
            )
        if part in ("min", "max", "id"):
            return prefix + ("min" if part != "id" else "type")
        return prefix + "type"
    return {
        "trigger.event": "trigger_event",
        "trigger.delay_days": "trigger_delay_days",
        "trigger.recurrence": "schedule_recurrence",
        "trigger.sample_percent": "schedule_sample_percent",
        "trigger.kind": "trigger_kind",
        "trigger": "trigger_kind",
    }.get(where, where.split(".")[0].split("[")[0])


def kind_label(kind: str) -> str:
    """A survey kind's label."""
    return label(SurveyKind(kind))


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.value, kind_label(kind)) for kind in SurveyKind]


def type_choices() -> list[tuple[str, str]]:
    return [(kind.value, label(kind)) for kind in QuestionType]


def event_choices() -> list[tuple[str, str]]:
    return [(event, EVENT_LABELS[event]) for event in EVENTS]


def recurrence_choices() -> list[tuple[str, str]]:
    return [(key, key.capitalize()) for key in RECURRENCES]
