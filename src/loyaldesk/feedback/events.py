"""Events of feedback. Payloads carry ids and scores, never the customer's words."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class SurveyAsked(DomainEvent):
    """A customer was asked a survey (an invitation exists; on email it is queued through journeys)."""

    event_type = "feedback.survey_asked"
    subject_type = "feedback_invitation"
    invitation_id: int
    survey_id: int
    survey_kind: str
    channel: str

    def subject_id(self) -> int | None:
        return self.invitation_id


class SurveyAnswered(DomainEvent):
    """A customer answered (the first answer or more of it, or the last). ``first`` is true once per
    response: when its first answer arrived; ``complete`` when every required question is answered;
    ``bucket`` where the score puts them (None without a score yet). Journeys may trigger on it
    (a detractor follow-up, a thank-you)."""

    event_type = "feedback.survey_answered"
    subject_type = "feedback_response"
    response_id: int
    survey_id: int
    survey_kind: str
    score: int | None = None
    bucket: str | None = None
    complete: bool = False
    first: bool = False
    has_comment: bool = False
    # The chat's own rating kept with the other answers (support's csat.submitted already told loyalty).
    mirrored: bool = False

    def subject_id(self) -> int | None:
        return self.response_id


class ThemeFixed(DomainEvent):
    """A theme (or a set of answers) was marked fixed: a "we fixed it" broadcast was queued."""

    event_type = "feedback.theme_fixed"
    subject_type = "feedback_loop_closure"
    closure_id: int
    theme_id: int | None = None
    recipient_count: int = 0

    def subject_id(self) -> int | None:
        return self.closure_id


class KudosReceived(DomainEvent):
    """A customer praised an agent (a top score with a comment); the agent is notified."""

    event_type = "feedback.kudos_received"
    subject_type = "staff"
    agent_id: int
    response_id: int

    def subject_id(self) -> int | None:
        return self.agent_id
