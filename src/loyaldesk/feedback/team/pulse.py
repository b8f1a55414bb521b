"""The staff pulse: a manager asks the store's staff the eNPS question and up to five questions of
their own, open for some days, once or again every month or quarter. Every staff member answers once.

Anonymity is the design: who answered (``StaffPulseParticipant``, so nobody answers twice) is kept apart
from what was answered (``StaffPulseAnswer``: no staff id, only the day). Answering writes no audit row
and emits no event (either would carry the moment and the person). Results are shown only from the
pulse's minimum number of answers on, and grow in whole groups of that size (``pulse_results``), so
that comparing two views never isolates one person's answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.feedback.actions.settings import feedback_settings
from loyaldesk.feedback.models import StaffPulse, StaffPulseAnswer, StaffPulseParticipant
from loyaldesk.feedback.vocab import PulseStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound, PermissionDenied
from loyaldesk.stores import Permission, authorize, record_audit

ENPS_QUESTION = "How likely are you to recommend working here to a friend?"
ENPS_ID = "enps"
SCALE_MIN, SCALE_MAX = 1, 5
MAX_QUESTIONS = 5
MAX_TEXT_ANSWER = 2000
Recurrence = Literal["once", "monthly", "quarterly"]
MONTHS = {"monthly": 1, "quarterly": 3}


class PulseQuestionIn(BaseModel):
    text: str = Field(min_length=1, max_length=300)
    type: Literal["scale", "text"] = "scale"

    @field_validator("text")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("write the question")
        return value


class PulseIn(BaseModel):
    """A new pulse: its title, the manager's own questions (the eNPS question always comes first),
    how many days it takes answers, and whether it repeats."""

    title: str = Field(min_length=1, max_length=200)
    questions: list[PulseQuestionIn] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    open_days: int = Field(default=7, ge=1, le=60)
    recurrence: Recurrence = "once"


def pulse_questions(questions: list[PulseQuestionIn]) -> list[dict[str, Any]]:
    """The stored questions: eNPS (0-10) first, then the manager's (a 1-5 scale, or text)."""
    stored: list[dict[str, Any]] = [
        {"id": ENPS_ID, "type": "nps", "text": ENPS_QUESTION, "min": 0, "max": 10}
    ]
    for number, question in enumerate(questions, start=1):
        item: dict[str, Any] = {"id": f"q{number}", "type": question.type, "text": question.text}
        if question.type == "scale":
            item.update(min=SCALE_MIN, max=SCALE_MAX)
        stored.append(item)
    return stored


def create_pulse(uow: UnitOfWork, actor: Actor, store_id: int, spec: PulseIn) -> StaffPulse:
    """A manager opens a pulse now, until ``open_days`` days from now. Its minimum number of answers
    is the store's ``pulse_min_answers`` (never below 3). Audited."""
    authorize(actor, store_id, scope="feedback:write", permission=Permission.MANAGE_FEEDBACK)
    now = uow.now()
    pulse = StaffPulse(
        store_id=store_id,
        title=spec.title.strip(),
        questions=pulse_questions(spec.questions),
        recurrence=spec.recurrence,
        status=PulseStatus.OPEN.value,
        min_answers=max(3, feedback_settings(uow.session, store_id).pulse_min_answers),
        opens_at=now,
        closes_at=now + timedelta(days=spec.open_days),
        created_by=actor.id if actor.kind == "staff" else None,
        created_at=now,
    )
    uow.session.add(pulse)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "feedback.pulse_created",
        store_id=store_id,
        target_type="staff_pulse",
        target_id=pulse.id,
        details={"recurrence": spec.recurrence, "open_days": spec.open_days},
    )
    return pulse


def is_open(pulse: StaffPulse, now: datetime) -> bool:
    return pulse.status == PulseStatus.OPEN and pulse.opens_at <= now < pulse.closes_at


def has_answered(session: Session, pulse_id: int, staff_id: int) -> bool:
    """Whether ``staff_id`` answered the pulse (only ever asked about the viewer themselves)."""
    return session.get(StaffPulseParticipant, (pulse_id, staff_id)) is not None


def check_pulse_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers cleaned (numbers as int, text stripped, empty text left out), or ``Invalid`` naming
    every question that is wrong. The eNPS question must be answered; the others may be skipped."""
    clean: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for question in questions:
        qid = str(question["id"])
        raw = answers.get(qid)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if qid == ENPS_ID:
                problems.append(FieldProblem(qid, "choose a number from 0 to 10"))
            continue
        if question["type"] in ("nps", "scale"):
            low, high = int(question.get("min", 0)), int(question.get("max", 10))
            try:
                number = int(str(raw).strip())
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                problems.append(FieldProblem(qid, f"choose a number from {low} to {high}"))
                continue
            clean[qid] = number
        else:
            text = str(raw).strip()
            if len(text) > MAX_TEXT_ANSWER:
                problems.append(FieldProblem(qid, f"at most {MAX_TEXT_ANSWER} characters"))
                continue
            clean[qid] = text
    if problems:
        raise Invalid("some answers do not fit their questions", problems)
    return clean


def answer_pulse(
    uow: UnitOfWork, actor: Actor, store_id: int, pulse_id: int, answers: dict[str, Any]
) -> None:
    """The acting staff member answers the store's pulse, once. Refused, storing nothing: someone not
    on the store's staff (``PermissionDenied``), a pulse of another store or none (``NotFound``), a
    closed pulse or a second answer (``Conflict``), answers that do not fit (``Invalid``). Stores who
    answered apart from an answer that names nobody and carries only the day; no audit row, no event."""
    if actor.kind != "staff" or actor.id is None or actor.store_id != store_id:
        raise PermissionDenied("only the store's staff answer its pulse")
    # The pulse's row locked (PostgreSQL; SQLite has one writer): answers to one pulse take turns, so a
    # second answer sent from two tabs at once finds the first instead of failing on the primary key.
    pulse = uow.session.get(StaffPulse, pulse_id, with_for_update=True)
    if pulse is None or pulse.store_id != store_id:
        raise NotFound("no such pulse")
    if not is_open(pulse, uow.now()):
        raise Conflict("this pulse is closed and takes no more answers")
    if uow.session.get(StaffPulseParticipant, (pulse.id, actor.id)) is not None:
        raise Conflict("you already answered this pulse (answers are anonymous and cannot be changed)")
    clean = check_pulse_answers(pulse.questions, answers)
    texts = [
        str(clean[str(q["id"])]) for q in pulse.questions if q["type"] == "text" and clean.get(str(q["id"]))
    ]
    uow.session.add(StaffPulseParticipant(pulse_id=pulse.id, staff_id=actor.id))
    uow.session.add(
        StaffPulseAnswer(
            pulse_id=pulse.id,
            enps=clean.get(ENPS_ID),
            answers={key: value for key, value in clean.items() if key != ENPS_ID},
            comment="\n\n".join(texts) or None,
            answered_on=uow.now().date(),
        )
    )
    uow.session.flush()


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=min(moment.day, 28))


def run_pulses(uow: UnitOfWork) -> int:
    """Job: close the pulses whose time is up, and open the next pulse of each monthly or quarterly
    series when its day comes (same title, questions, length and minimum; a period missed while the
    server was down is skipped, never opened late). Idempotent. Returns how many pulses changed."""
    now = uow.now()
    changed = 0
    for pulse in uow.session.scalars(
        select(StaffPulse).where(StaffPulse.status == PulseStatus.OPEN, StaffPulse.closes_at <= now)
    ):
        pulse.status = PulseStatus.CLOSED.value
        changed += 1
    recurring = list(
        uow.session.scalars(
            select(StaffPulse).where(StaffPulse.recurrence.in_(tuple(MONTHS))).order_by(StaffPulse.id)
        )
    )
    for pulse in recurring:
        months = MONTHS[str(pulse.recurrence)]
        length = pulse.closes_at - pulse.opens_at
        opens = _add_months(pulse.opens_at, months)
        if opens > now:
            continue
        while opens + length <= now:  # that one's time passed unopened
            opens = _add_months(opens, months)
        if opens > now:
            continue
        later = uow.session.scalar(
            select(StaffPulse.id).where(
                StaffPulse.store_id == pulse.store_id,
                StaffPulse.title == pulse.title,
                StaffPulse.opens_at > pulse.opens_at,
            )
        )
        if later is not None:
            continue  # the series went on already
        uow.session.add(
            StaffPulse(
                store_id=pulse.store_id,
                title=pulse.title,
                questions=pulse.questions,
                recurrence=pulse.recurrence,
                status=PulseStatus.OPEN.value,
                min_answers=pulse.min_answers,
                opens_at=opens,
                closes_at=opens + length,
                created_by=pulse.created_by,
                created_at=now,
            )
        )
        uow.session.flush()
        changed += 1
    return changed
