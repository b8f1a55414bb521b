"""A survey's questions and a customer's answers, pure.

Questions are JSON a store builds in the console or sends through the API::

    {"id": "q1", "type": "nps", "text": {"en": "How likely...?", "de": "Wie wahrscheinlich...?"},
     "required": true, "low": {"en": "Not likely"}, "high": {"en": "Very likely"}}
    {"id": "q2", "type": "single", "text": {...}, "options": [{"id": "a", "text": {...}}, ...],
     "show_if": {"question": "q1", "op": "lte", "value": 6}}

``validate_questions`` normalises them or raises ``InvalidQuestions`` naming the part that is wrong;
``visible`` says which questions apply given the answers so far (``show_if``: ``eq``, ``ne``, ``lte``,
``gte``, ``in``, ``answered``); ``check_answers`` checks a customer's answers against the questions and
returns them normalised, or the problems, one per question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loyaldesk.feedback.vocab import QuestionType

MAX_QUESTIONS = 30
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 5000
_ID = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
OPERATORS = ("eq", "ne", "lte", "gte", "in", "answered")


class InvalidQuestions(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


@dataclass(frozen=True)
class AnswerProblem:
    question: str  # the question's id
    reason: str


def _texts(
    value: Any, where: str, languages: Sequence[str], longest: int, required: bool = True
) -> dict[str, str]:
    if value is None and not required:
        return {}
    if isinstance(value, str):
        value = {languages[0]: value}
    if not isinstance(value, dict):
        raise InvalidQuestions(where, 'text per language, like {"en": "..."}')
    texts = {}
    for language, text in value.items():
        if language not in languages:
            raise InvalidQuestions(where, f"{language!r} is not one of the survey's languages")
        if not isinstance(text, str) or len(text.strip()) > longest:
            raise InvalidQuestions(f"{where}.{language}", f"text of at most {longest} characters")
        if text.strip():
            texts[language] = text.strip()
    if required and languages[0] not in texts:
        raise InvalidQuestions(where, f"needs its text in {languages[0]} (the survey's first language)")
    return texts


def validate_languages(languages: Any) -> list[str]:
    if not isinstance(languages, list) or not languages or len(languages) > 10:
        raise InvalidQuestions("languages", 'one to ten language codes, like ["en", "de"]')
    for language in languages:
        if not isinstance(language, str) or not _LANGUAGE.match(language):
            raise InvalidQuestions("languages", f"{language!r} is not a language code like en or de")
    if len(set(languages)) != len(languages):
        raise InvalidQuestions("languages", "a language is listed twice")
    return list(languages)


def validate_questions(questions: Any, languages: Sequence[str]) -> list[dict[str, Any]]:
    """The questions normalised (types checked, texts per language, ranges, conditions pointing back to
    earlier questions only), or ``InvalidQuestions``."""
    if not isinstance(questions, list) or not questions:
        raise InvalidQuestions("questions", "a survey needs at least one question")
    if len(questions) > MAX_QUESTIONS:
        raise InvalidQuestions("questions", f"at most {MAX_QUESTIONS} questions")
    seen: dict[str, dict[str, Any]] = {}
    result = []
    for index, question in enumerate(questions):
        where = f"questions[{index}]"
        if not isinstance(question, dict):
            raise InvalidQuestions(where, "must be an object")
        qid = question.get("id") or f"q{index + 1}"
        if not isinstance(qid, str) or not _ID.match(qid):
            raise InvalidQuestions(f"{where}.id", "1 to 32 lowercase letters, digits or _")
        if qid in seen:
            raise InvalidQuestions(f"{where}.id", f"{qid!r} is used twice")
        try:
            kind = QuestionType(str(question.get("type")))
        except ValueError:
            raise InvalidQuestions(f"{where}.type", f"one of {', '.join(QuestionType)}") from None
        clean: dict[str, Any] = {
            "id": qid,
            "type": kind.value,
            "text": _texts(question.get("text"), f"{where}.text", languages, 500),
            "required": bool(question.get("required", kind is not QuestionType.TEXT)),
        }
        if kind is QuestionType.NPS:
            clean["min"], clean["max"] = 0, 10
        elif kind is QuestionType.SCALE:
            low, high = question.get("min", 1), question.get("max", 5)
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not (
                0 <= low < high <= 10
            ):
                raise InvalidQuestions(
                    f"{where}.min", "a scale from a whole number to a larger one, within 0-10"
                )
            clean["min"], clean["max"] = low, high
        if kind in (QuestionType.NPS, QuestionType.SCALE):
            for end in ("low", "high"):
                clean[end] = _texts(question.get(end), f"{where}.{end}", languages, 60, required=False)
        if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            options = question.get("options")
            if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
                raise InvalidQuestions(f"{where}.options", f"2 to {MAX_OPTIONS} options")
            clean_options, ids = [], set()
            for number, option in enumerate(options):
                here = f"{where}.options[{number}]"
                if isinstance(option, str):
                    option = {"text": option}
                if not isinstance(option, dict):
                    raise InvalidQuestions(here, "an option with its text")
                oid = option.get("id") or f"o{number + 1}"
                if not isinstance(oid, str) or not _ID.match(oid) or oid in ids:
                    raise InvalidQuestions(f"{here}.id", "a unique id of lowercase letters, digits or _")
                ids.add(oid)
                clean_options.append(
                    {"id": oid, "text": _texts(option.get("text"), f"{here}.text", languages, 200)}
                )
            clean["options"] = clean_options
        condition = question.get("show_if")
        if condition is not None:
            clean["show_if"] = _validate_condition(condition, f"{where}.show_if", seen)
        seen[qid] = clean
        result.append(clean)
    return result


def _validate_condition(condition: Any, where: str, earlier: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise InvalidQuestions(where, 'like {"question": "q1", "op": "lte", "value": 6}')
    target = condition.get("question")
    if target not in earlier:
        raise InvalidQuestions(f"{where}.question", "must name an earlier question")
    op = condition.get("op", "eq")
    if op not in OPERATORS:
        raise InvalidQuestions(f"{where}.op", f"one of {', '.join(OPERATORS)}")
    value = condition.get("value")
    if op in ("lte", "gte") and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise InvalidQuestions(f"{where}.value", "a number")
    if op == "in" and not isinstance(value, list):
        raise InvalidQuestions(f"{where}.value", "a list of answers")
    return {"question": target, "op": op, "value": value}


def _holds(condition: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    answer = answers.get(condition["question"])
    op: str = condition["op"]
    value: Any = condition.get("value")
    if op == "answered":
        return answer not in (None, "", [])
    if answer is None:
        return False
    if op == "eq":
        return bool(answer == value or (isinstance(answer, list) and value in answer))
    if op == "ne":
        return bool(answer != value and not (isinstance(answer, list) and value in answer))
    if op in ("lte", "gte"):
        if not isinstance(answer, int | float) or isinstance(answer, bool):
            return False
        return bool(answer <= value) if op == "lte" else bool(answer >= value)
    chosen = answer if isinstance(answer, list) else [answer]
    return any(item in value for item in chosen)


def visible(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The questions that apply given ``answers`` (a question whose condition fails is skipped, and so
    is anything that depends only on a skipped one)."""
    shown: list[Mapping[str, Any]] = []
    shown_ids: set[str] = set()
    for question in questions:
        condition = question.get("show_if")
        if condition and (condition["question"] not in shown_ids or not _holds(condition, answers)):
            continue
        shown.append(question)
        shown_ids.add(str(question["id"]))
    return shown


def check_answers(
    questions: Sequence[Mapping[str, Any]], answers: Any
) -> tuple[dict[str, Any], list[AnswerProblem]]:
    """``answers`` (question id -> answer) checked against the questions: each must name a question and
    fit it (a whole number in the scale's range, an option's id, a list of option ids, text up to
    5,000 characters). Returns the normalised answers and the problems (empty when all is well).
    Unanswered questions are not problems here (partial answers are kept); ``is_complete`` decides."""
    if not isinstance(answers, Mapping):
        return {}, [AnswerProblem("answers", "must map question ids to answers")]
    by_id = {str(q["id"]): q for q in questions}
    clean: dict[str, Any] = {}
    problems: list[AnswerProblem] = []
    for qid, answer in answers.items():
        question = by_id.get(str(qid))
        if question is None:
            problems.append(AnswerProblem(str(qid), "is not a question of this survey"))
            continue
        if answer is None or answer == "" or answer == []:
            continue
        kind = QuestionType(question["type"])
        if kind in (QuestionType.NPS, QuestionType.SCALE):
            if isinstance(answer, str) and answer.strip().lstrip("-").isdigit():
                answer = int(answer.strip())
            low, high = question["min"], question["max"]
            if isinstance(answer, bool) or not isinstance(answer, int) or not low <= answer <= high:
                problems.append(AnswerProblem(str(qid), f"must be a whole number from {low} to {high}"))
                continue
        elif kind is QuestionType.SINGLE:
            if not isinstance(answer, str) or answer not in {o["id"] for o in question["options"]}:
                problems.append(AnswerProblem(str(qid), "must be one of the question's options"))
                continue
        elif kind is QuestionType.MULTIPLE:
            answer = [answer] if isinstance(answer, str) else answer
            options = {o["id"] for o in question["options"]}
            if not isinstance(answer, list) or not all(
                isinstance(item, str) and item in options for item in answer
            ):
                problems.append(AnswerProblem(str(qid), "must be a list of the question's options"))
                continue
            answer = [o["id"] for o in question["options"] if o["id"] in answer]
        else:
            if not isinstance(answer, str) or len(answer) > MAX_TEXT_ANSWER:
                problems.append(
                    AnswerProblem(str(qid), f"must be text of at most {MAX_TEXT_ANSWER} characters")
                )
                continue
            answer = answer.strip()
            if not answer:
                continue
        clean[str(qid)] = answer
    return clean, problems


def is_complete(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> bool:
    """Every required question that applies is answered."""
    return all(
        answers.get(str(q["id"])) not in (None, "", [])
        for q in visible(questions, answers)
        if q.get("required")
    )


def text_of(texts: Mapping[str, str], language: str, languages: Sequence[str]) -> str:
    """A question's or option's words in ``language``, else in the survey's first language."""
    return texts.get(language) or texts.get(language.split("-")[0]) or texts.get(languages[0]) or ""
