"""Feedback's tables: surveys and who was asked (the invitations, which carry the store's one throttle),
the answers with their context, the store's themes and what each answer was tagged with, the classifier
trained on them, "we fixed it" broadcasts and who they reached, and the team's side: kudos, shout-outs,
coaching notes and the staff pulse.

An answer (``SurveyResponse``) carries its context as it was when the customer answered (the order or
conversation, the agent, the tier, the customer's value), so reports slice by what was true then.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, JSONType, UTCDateTime


class Survey(Base):
    """A survey: its kind, its questions (validated JSON, ``feedback.rules.questions``) in one or more
    languages, when it asks (``trigger``: an event and a delay, a schedule with a sample, or only when the
    store's site asks through the API) and on which channel. Active surveys with a trigger have a journeys
    rule (``rule_id``) whose ``ask_survey`` step asks; ``builtin_key`` names the store's default surveys."""

    __tablename__ = "feedback_surveys"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    builtin_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # [{"id", "type", "text": {lang: str}, "required", "min", "max", "low": {..}, "high": {..},
    #   "options": [{"id", "text": {..}}], "show_if": {"question", "op", "value"}}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)  # the first is the default
    # {"kind": "event", "event": "order.delivered", "delay_days": 7} | {"kind": "schedule",
    #  "recurrence": "monthly", "sample_percent": 10, "at": ...} | {"kind": "api"}
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    template_key: Mapped[str | None] = mapped_column(String(64))  # the invitation's message template
    rule_id: Mapped[int | None] = mapped_column(IdType)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("store_id", "builtin_key"),
        Index("ix_feedback_surveys_store_status", "store_id", "status"),
    )


class SurveyInvitation(Base):
    """One customer asked one survey on one channel, with the context it asks about. Its ``token`` (in
    the link, the widget, the member page) is how an answer proves which invitation it answers. The
    store's throttle counts these: no customer gets a second within the window, whatever the survey or
    channel (``asked_at``, indexed by customer)."""

    __tablename__ = "feedback_invitations"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    survey_id: Mapped[int] = mapped_column(ForeignKey("feedback_surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType)
    channel: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="asked")
    order_id: Mapped[int | None] = mapped_column(IdType)
    conversation_id: Mapped[int | None] = mapped_column(IdType)
    agent_id: Mapped[int | None] = mapped_column(IdType)
    product_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    # The detractor answer a recovery follow-up measures (asked after its conversation was resolved).
    follow_up_of_id: Mapped[int | None] = mapped_column(IdType)
    send_id: Mapped[int | None] = mapped_column(IdType)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_feedback_invitations_customer_asked", "customer_id", "asked_at"),
        Index("ix_feedback_invitations_survey", "survey_id", "asked_at"),
    )


class SurveyResponse(Base):
    """A customer's answer to one invitation (or to a survey the store's site showed through the API),
    partial or complete; answering more later updates it. ``score`` is the answer to the survey's score
    question (NPS 0-10, CSAT 1-5, CES 1-7) and ``bucket`` where it puts the customer."""

    __tablename__ = "feedback_responses"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    survey_id: Mapped[int] = mapped_column(ForeignKey("feedback_surveys.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(IdType, unique=True)
    customer_id: Mapped[int | None] = mapped_column(IdType)
    survey_kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="en")
    order_id: Mapped[int | None] = mapped_column(IdType)
    conversation_id: Mapped[int | None] = mapped_column(IdType)
    agent_id: Mapped[int | None] = mapped_column(IdType)
    product_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    tier: Mapped[str | None] = mapped_column(String(100))  # the loyalty tier's name when answering
    # The customer's net spend so far (the store currency's minor units) when answering.
    customer_value: Mapped[int | None] = mapped_column(BigInteger)
    score: Mapped[int | None] = mapped_column(Integer)
    bucket: Mapped[str | None] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # question id -> answer
    comment: Mapped[str | None] = mapped_column(Text)  # the text answers joined (what themes read)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_of_id: Mapped[int | None] = mapped_column(IdType)  # a recovery answer: the detractor answer
    # A detractor's conversation in the inbox, and when the team first replied in it (loop closure).
    detractor_conversation_id: Mapped[int | None] = mapped_column(IdType)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    themes_tagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_feedback_responses_store_created", "store_id", "created_at"),
        Index("ix_feedback_responses_survey", "survey_id", "created_at"),
        Index("ix_feedback_responses_customer", "customer_id"),
        Index("ix_feedback_responses_agent", "agent_id", "created_at"),
        Index("ix_feedback_responses_conversation", "detractor_conversation_id"),
    )


class Theme(Base):
    """A store's theme (delivery, damaged item, price...): the team that owns complaints about it, and
    when it was marked fixed (with the note the customers were told)."""

    __tablename__ = "feedback_themes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_team_id: Mapped[int | None] = mapped_column(IdType)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fixed_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "key"),)


class ResponseTheme(Base):
    """An answer tagged with a theme. ``source`` says who: the classifier or a person. A person's
    correction is kept as a row too: ``present`` false means "not this theme" (the classifier learns
    from both)."""

    __tablename__ = "feedback_response_themes"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_responses.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_themes.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(IdType)
    source: Mapped[str] = mapped_column(String(16))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    staff_id: Mapped[int | None] = mapped_column(IdType)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_feedback_response_themes_theme", "theme_id", "present"),)


class ThemeModel(Base):
    """A store's trained theme classifier (arrays and JSON in ``blob``, never a pickle), its
    cross-validated report, and the request to retrain (``requested_at`` after a correction)."""

    __tablename__ = "feedback_theme_models"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # training, ready, failed
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    example_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trained_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("store_id", "version"),)


class LoopClosure(Base):
    """ "We fixed it": a theme (or a hand-picked set of answers) marked fixed with a note, the message and
    the goodwill points it sends, and to how many customers."""

    __tablename__ = "feedback_loop_closures"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    theme_id: Mapped[int | None] = mapped_column(IdType)
    note: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    template_key: Mapped[str] = mapped_column(String(64))
    goodwill_points: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # answers from this date on
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoopClosureRecipient(Base):
    """One customer a "we fixed it" broadcast is for (once per broadcast, whatever they raised)."""

    __tablename__ = "feedback_loop_closure_recipients"

    closure_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_loop_closures.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True)
    response_id: Mapped[int] = mapped_column(IdType)
    send_id: Mapped[int | None] = mapped_column(IdType)
    points_granted: Mapped[int] = mapped_column(Integer, default=0)


class FeedbackSettings(Base):
    """A store's feedback settings."""

    __tablename__ = "feedback_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    throttle_days: Mapped[int] = mapped_column(Integer, default=30)  # no customer asked twice within
    invitation_days: Mapped[int] = mapped_column(Integer, default=30)  # how long an invitation takes answers
    detractor_conversations: Mapped[bool] = mapped_column(Boolean, default=True)
    detractor_sla_hours: Mapped[int] = mapped_column(Integer, default=48)
    detractor_team_id: Mapped[int | None] = mapped_column(IdType)  # when no theme's owner applies
    recovery_survey: Mapped[bool] = mapped_column(Boolean, default=True)
    team_min_answers: Mapped[int] = mapped_column(Integer, default=5)  # the team page's minimum volume
    pulse_min_answers: Mapped[int] = mapped_column(Integer, default=5)  # anonymity floor of the pulse
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Kudos(Base):
    """A customer's praise of the agent who served them (a top score with a comment)."""

    __tablename__ = "feedback_kudos"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    agent_id: Mapped[int] = mapped_column(IdType)
    response_id: Mapped[int] = mapped_column(IdType, unique=True)
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_feedback_kudos_agent", "agent_id", "created_at"),)


class Shoutout(Base):
    """One staff member thanking another, about a conversation."""

    __tablename__ = "feedback_shoutouts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    from_staff_id: Mapped[int] = mapped_column(IdType)
    to_staff_id: Mapped[int] = mapped_column(IdType)
    conversation_id: Mapped[int | None] = mapped_column(IdType)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_feedback_shoutouts_to", "store_id", "to_staff_id", "created_at"),)


class CoachingNote(Base):
    """A team lead's private note on one of an agent's low-rated answers."""

    __tablename__ = "feedback_coaching_notes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(IdType)
    response_id: Mapped[int] = mapped_column(ForeignKey("feedback_responses.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(IdType)
    author_id: Mapped[int] = mapped_column(IdType)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffPulse(Base):
    """A pulse survey of the store's staff: eNPS and a few questions, open for a while, repeated on a
    schedule. Results are shown only from ``min_answers`` answers on (anonymity)."""

    __tablename__ = "feedback_staff_pulses"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    recurrence: Mapped[str | None] = mapped_column(String(16))  # monthly, quarterly, or once
    status: Mapped[str] = mapped_column(String(16), default="open")
    min_answers: Mapped[int] = mapped_column(Integer, default=5)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffPulseParticipant(Base):
    """Who answered a pulse (so nobody answers twice), kept apart from what they answered."""

    __tablename__ = "feedback_staff_pulse_participants"

    pulse_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_staff_pulses.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(IdType, primary_key=True)


class StaffPulseAnswer(Base):
    """One anonymous pulse answer: no staff id, and only the day it was given (not the moment, which
    could be matched with the participants' activity)."""

    __tablename__ = "feedback_staff_pulse_answers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    pulse_id: Mapped[int] = mapped_column(ForeignKey("feedback_staff_pulses.id", ondelete="CASCADE"))
    enps: Mapped[int | None] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[date] = mapped_column(Date)
