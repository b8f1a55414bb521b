"""What a detractor's conversation says, pure: its subject and its first message (the score, each answer
in words, the comment, and what the answer was about). The team reads it in the inbox; nothing here is
sent to the customer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loyaldesk.feedback.rules.scoring import SCORE_RANGES, score_question
from loyaldesk.feedback.vocab import QuestionType, SurveyKind


def _text(value: Any, language: str) -> str:
    """A question's or option's text in ``language``, else in the first language it has."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and value:
        return str(value.get(language) or next(iter(value.values())))
    return ""


def score_range(kind: str, questions: Sequence[Mapping[str, Any]]) -> tuple[int, int] | None:
    """The range of the survey's score (NPS 0-10, CSAT 1-5, CES 1-7, else the score question's own)."""
    try:
        known = SCORE_RANGES.get(SurveyKind(kind))
    except ValueError:
        known = None
    if known is not None:
        return known
    question = score_question(list(questions))  # type: ignore[arg-type]
    if question is None:
        return None
    return int(question.get("min", 1)), int(question.get("max", 5))


def subject(survey_name: str, kind: str, score: int | None, questions: Sequence[Mapping[str, Any]]) -> str:
    """``"Detractor: Customer satisfaction: 2/5"``: the survey and the score, short enough for the inbox."""
    scale = score_range(kind, questions)
    shown = f"{score}/{scale[1]}" if score is not None and scale else "no score"
    return f"Detractor: {survey_name}: {shown}"[:200]


def answer_in_words(question: Mapping[str, Any], answer: Any, language: str) -> str:
    """One answer as a person reads it: a scale as "2 of 5", options by their text."""
    kind = question.get("type")
    options = {
        str(option.get("id")): _text(option.get("text"), language) for option in question.get("options") or []
    }
    if kind == QuestionType.NPS:
        return f"{answer} of 10"
    if kind == QuestionType.SCALE:
        return f"{answer} of {question.get('max', 5)}"
    if kind == QuestionType.SINGLE:
        return options.get(str(answer), str(answer))
    if kind == QuestionType.MULTIPLE and isinstance(answer, list | tuple):
        return ", ".join(options.get(str(item), str(item)) for item in answer) or "(none)"
    return str(answer)


def first_message(
    *,
    survey_name: str,
    kind: str,
    score: int | None,
    questions: Sequence[Mapping[str, Any]],
    answers: Mapping[str, Any],
    comment: str | None,
    language: str,
    about: Sequence[str] = (),
) -> str:
    """The conversation's first message: the score, each answered question with its answer in words,
    the comment, and what the answer was about (an order, an earlier conversation). Plain text."""
    scale = score_range(kind, questions)
    lines = [
        f"{survey_name}: score {score if score is not None else '-'}" + (f" of {scale[1]}" if scale else "")
    ]
    for question in questions:
        qid = str(question.get("id"))
        if qid not in answers or question.get("type") == QuestionType.TEXT:
            continue
        lines.append(
            f"- {_text(question.get('text'), language)} {answer_in_words(question, answers[qid], language)}"
        )
    if comment:
        lines += ["", "Comment:", comment]
    if about:
        lines += ["", *about]
    return "\n".join(lines)
