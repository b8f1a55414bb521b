"""The pulses a staff member sees, and a pulse's results for managers: eNPS with its interval, each
question's distribution, the recurring keyphrases of the comments. Results stay hidden below the
pulse's minimum number of answers and then grow in whole groups of that size: the results of ``m``
answers are those of the first ``m`` (``m`` a multiple of the minimum), so no two views differ by fewer
answers than the minimum, and no view tells who answered what. Nothing here ever returns a staff id with
an answer, an answer's id, or a single comment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.feedback.models import StaffPulse, StaffPulseAnswer, StaffPulseParticipant
from loyaldesk.feedback.team.pulse import ENPS_ID, is_open
from loyaldesk.feedback.team.rules import Enps, enps, keyphrases


@dataclass(frozen=True)
class PulseRow:
    pulse: StaffPulse
    answered: int  # how many answered (the participants)
    open: bool
    answered_by_viewer: bool


@dataclass(frozen=True)
class QuestionResult:
    question: dict[str, Any]
    counts: list[tuple[int, int]] = field(default_factory=list)  # (value, how many) for number questions
    answered: int = 0
    phrases: list[tuple[str, int]] = field(default_factory=list)  # for text questions


@dataclass(frozen=True)
class PulseResults:
    """``shown`` is None while fewer than ``min_answers`` answered (``needed`` more are needed)."""

    answered: int
    min_answers: int
    counted: int = 0
    enps: Enps | None = None
    questions: list[QuestionResult] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.counted == 0

    @property
    def needed(self) -> int:
        return max(0, self.min_answers - self.answered)


def pulses_of(session: Session, store_id: int, viewer_id: int, now: datetime) -> list[PulseRow]:
    """The store's pulses, newest first, with how many answered and whether the viewer did."""
    pulses = list(
        session.scalars(
            select(StaffPulse)
            .where(StaffPulse.store_id == store_id, StaffPulse.opens_at <= now)
            .order_by(StaffPulse.opens_at.desc(), StaffPulse.id.desc())
            .limit(100)
        )
    )
    ids = [pulse.id for pulse in pulses]
    counts = dict(
        session.execute(
            select(StaffPulseParticipant.pulse_id, func.count())
            .where(StaffPulseParticipant.pulse_id.in_(ids))
            .group_by(StaffPulseParticipant.pulse_id)
        ).all()
    )
    mine = set(
        session.scalars(
            select(StaffPulseParticipant.pulse_id).where(
                StaffPulseParticipant.pulse_id.in_(ids), StaffPulseParticipant.staff_id == viewer_id
            )
        )
    )
    return [
        PulseRow(pulse, int(counts.get(pulse.id, 0)), is_open(pulse, now), pulse.id in mine)
        for pulse in pulses
    ]


def pulse_of(session: Session, store_id: int, pulse_id: int) -> StaffPulse | None:
    pulse = session.get(StaffPulse, pulse_id)
    return pulse if pulse is not None and pulse.store_id == store_id else None


def pulse_results(session: Session, pulse: StaffPulse) -> PulseResults:
    """The results of ``pulse`` as managers see them (the caller checked they may)."""
    answered = int(
        session.scalar(
            select(func.count())
            .select_from(StaffPulseParticipant)
            .where(StaffPulseParticipant.pulse_id == pulse.id)
        )
        or 0
    )
    group = max(3, pulse.min_answers)
    counted = (answered // group) * group
    if counted == 0:
        return PulseResults(answered=answered, min_answers=group)
    rows = session.execute(
        select(StaffPulseAnswer.enps, StaffPulseAnswer.answers)
        .where(StaffPulseAnswer.pulse_id == pulse.id)
        .order_by(StaffPulseAnswer.id)
        .limit(counted)
    ).all()
    scores = [int(score) for score, _ in rows if score is not None]
    results: list[QuestionResult] = []
    all_texts: list[str] = []
    for question in pulse.questions:
        qid = str(question["id"])
        if qid == ENPS_ID:
            values = scores
        else:
            values = [
                answers.get(qid) for _, answers in rows if answers and answers.get(qid) not in (None, "")
            ]
        if question["type"] == "text":
            texts = [str(value) for value in values]
            all_texts.extend(texts)
            results.append(QuestionResult(question, answered=len(texts), phrases=keyphrases(texts)))
            continue
        low, high = int(question.get("min", 0)), int(question.get("max", 10))
        counts = [(value, sum(1 for v in values if int(v) == value)) for value in range(low, high + 1)]
        results.append(QuestionResult(question, counts=counts, answered=len(values)))
    return PulseResults(
        answered=answered,
        min_answers=group,
        counted=counted,
        enps=enps(scores),
        questions=results,
        themes=keyphrases(all_texts),
    )
