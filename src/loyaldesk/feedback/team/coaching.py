"""Coaching: an agent's low-rated answers (the detractor bucket of any survey that names them) with the
customer's comment and the conversation, and the private notes their team lead or a manager left on
them. Who may see which list is ``staff.may_coach`` (plus the agent for their own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.feedback.models import CoachingNote, SurveyResponse
from loyaldesk.feedback.team.staff import may_coach, staff_member
from loyaldesk.feedback.vocab import Bucket
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound, PermissionDenied
from loyaldesk.stores import StaffAccount, record_audit

MAX_NOTE = 2000


@dataclass(frozen=True)
class NoteItem:
    id: int
    author: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class LowRated:
    response_id: int
    survey_kind: str
    score: int | None
    comment: str | None
    conversation_id: int | None
    created_at: datetime
    notes: list[NoteItem] = field(default_factory=list)


def low_rated(session: Session, store_id: int, agent_id: int, *, limit: int = 100) -> list[LowRated]:
    """The agent's detractor answers, newest first, each with its coaching notes (oldest first). The
    caller has checked that the viewer is the agent, their lead or a manager."""
    responses = list(
        session.scalars(
            select(SurveyResponse)
            .where(
                SurveyResponse.store_id == store_id,
                SurveyResponse.agent_id == agent_id,
                SurveyResponse.bucket == Bucket.DETRACTOR.value,
            )
            .order_by(SurveyResponse.created_at.desc(), SurveyResponse.id.desc())
            .limit(limit)
        )
    )
    notes: dict[int, list[NoteItem]] = {}
    if responses:
        for note, name in session.execute(
            select(CoachingNote, StaffAccount.name)
            .outerjoin(StaffAccount, StaffAccount.id == CoachingNote.author_id)
            .where(
                CoachingNote.store_id == store_id,
                CoachingNote.agent_id == agent_id,
                CoachingNote.response_id.in_([response.id for response in responses]),
            )
            .order_by(CoachingNote.created_at, CoachingNote.id)
        ):
            notes.setdefault(note.response_id, []).append(
                NoteItem(note.id, name or "A former colleague", note.note, note.created_at)
            )
    return [
        LowRated(
            response_id=response.id,
            survey_kind=response.survey_kind,
            score=response.score,
            comment=response.comment,
            conversation_id=response.conversation_id,
            created_at=response.created_at,
            notes=notes.get(response.id, []),
        )
        for response in responses
    ]


def add_coaching_note(
    uow: UnitOfWork, actor: Actor, store_id: int, response_id: int, note: str
) -> CoachingNote:
    """A team lead of the agent (or a manager) leaves a private note on one of the agent's low-rated
    answers. Refused, storing nothing: anyone else (``PermissionDenied``, the agent themselves
    included), an answer of another store, of no agent or not low-rated (``NotFound``), an empty or too
    long note (``Invalid``). Audited; no event (the note is private: nothing is announced)."""
    if actor.kind != "staff" or actor.id is None or actor.store_id != store_id:
        raise PermissionDenied("only the agent's team lead or a manager leaves coaching notes")
    response = uow.session.get(SurveyResponse, response_id)
    if (
        response is None
        or response.store_id != store_id
        or response.agent_id is None
        or response.bucket != Bucket.DETRACTOR.value
    ):
        raise NotFound("no such low-rated answer")
    if staff_member(uow.session, store_id, response.agent_id) is None:
        raise NotFound("no such low-rated answer")
    if not may_coach(uow.session, store_id, actor.id, actor.role or "", response.agent_id):
        raise PermissionDenied("only the agent's team lead or a manager leaves coaching notes")
    text = (note or "").strip()
    if not text:
        raise Invalid("the note was not saved", [FieldProblem("note", "write the note")])
    if len(text) > MAX_NOTE:
        raise Invalid("the note was not saved", [FieldProblem("note", f"at most {MAX_NOTE} characters")])
    row = CoachingNote(
        store_id=store_id,
        response_id=response.id,
        agent_id=response.agent_id,
        author_id=actor.id,
        note=text,
        created_at=uow.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "feedback.coaching_note_added",
        store_id=store_id,
        target_type="staff",
        target_id=response.agent_id,
        details={"response_id": response.id, "note_id": row.id},
    )
    return row
