"""Events of the community. Payloads carry ids, never what people wrote."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class QuestionAsked(DomainEvent):
    """A thread was started (a question, a discussion). ``customer_id``: the asker, when a shopper."""

    event_type = "community.question_asked"
    subject_type = "community_thread"
    thread_id: int
    space_kind: str
    product_id: str | None = None
    category_id: int | None = None
    buyers_notified: int = 0

    def subject_id(self) -> int | None:
        return self.thread_id


class AnswerPosted(DomainEvent):
    """An answer was posted in a thread. ``customer_id``: its author, when a shopper."""

    event_type = "community.answer_posted"
    subject_type = "community_post"
    thread_id: int
    post_id: int
    is_staff: bool = False
    verified_buyer: bool = False

    def subject_id(self) -> int | None:
        return self.post_id


class AnswerAccepted(DomainEvent):
    """An answer was accepted. ``customer_id``: the answer's author (when a shopper); ``points``: what
    they were credited for it (0: none, see ``outcome``)."""

    event_type = "community.answer_accepted"
    subject_type = "community_post"
    thread_id: int
    post_id: int
    points: int = 0
    outcome: str = ""

    def subject_id(self) -> int | None:
        return self.post_id


class AnswerVoted(DomainEvent):
    """A member voted an answer helpful. ``customer_id``: the voter; ``points``: what the answer's author
    was credited for a milestone this vote reached (0: none)."""

    event_type = "community.answer_voted"
    subject_type = "community_post"
    post_id: int
    helpful_votes: int
    milestone: int | None = None
    points: int = 0

    def subject_id(self) -> int | None:
        return self.post_id


class ContentReported(DomainEvent):
    """Someone reported a thread or a post (``post_id`` None: the thread)."""

    event_type = "community.content_reported"
    subject_type = "community_report"
    report_id: int
    thread_id: int
    post_id: int | None = None

    def subject_id(self) -> int | None:
        return self.report_id


class ContentModerated(DomainEvent):
    """Staff hid or restored a thread or a post (``hidden`` says which)."""

    event_type = "community.content_moderated"
    subject_type = "community_thread"
    thread_id: int
    post_id: int | None = None
    hidden: bool

    def subject_id(self) -> int | None:
        return self.thread_id


class RsvpChanged(DomainEvent):
    """A member said they are going to an event, or no longer going. ``customer_id``: the member."""

    event_type = "community.rsvp_changed"
    subject_type = "community_thread"
    thread_id: int
    going: bool
    going_count: int

    def subject_id(self) -> int | None:
        return self.thread_id


class AnswerPublishedAsArticle(DomainEvent):
    """A thread's accepted answer became a knowledge-base article."""

    event_type = "community.answer_published"
    subject_type = "community_thread"
    thread_id: int
    post_id: int
    article_id: int

    def subject_id(self) -> int | None:
        return self.thread_id


class EventAnnounced(DomainEvent):
    """Staff announced an event (a thread of the events space)."""

    event_type = "community.event_announced"
    subject_type = "community_thread"
    thread_id: int
    capacity: int | None = None

    def subject_id(self) -> int | None:
        return self.thread_id
