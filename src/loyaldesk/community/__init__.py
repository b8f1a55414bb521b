"""Community: product questions and answers, discussions by category, events with RSVP, moderation, and
points for accepted and helpful answers through the loyalty ledger (issue 19, decision 0037).

Other packages use the community only through the names below. Actions (``actions/``) take the caller's
unit of work and make one change each; a shopper acts with ``customer_id`` (their verified identity),
staff with ``actor`` (a ``kernel.actors.Actor``; its role is checked). Queries (``queries/``) take a read
session; the web checks who may read what before calling them.
"""

from loyaldesk.community.actions.articles import publish_answer_as_article
from loyaldesk.community.actions.asking import ask_question, post_answer
from loyaldesk.community.actions.configure import save_category, save_community_settings
from loyaldesk.community.actions.gatherings import create_event, rsvp
from loyaldesk.community.actions.members import set_display_name
from loyaldesk.community.actions.moderation import (
    close_thread,
    hide_content,
    report_content,
    resolve_report,
    restore_content,
)
from loyaldesk.community.actions.voting import accept_answer, unaccept_answer, vote_helpful
from loyaldesk.community.queries.moderation import moderation_queue
from loyaldesk.community.queries.participation import participation
from loyaldesk.community.queries.reading import (
    categories,
    community_settings,
    display_name,
    events,
    product_questions,
    spaces,
    thread,
    threads,
)
from loyaldesk.community.queries.views import (
    AuthorView,
    CategoryView,
    EventView,
    Participation,
    ParticipationGroup,
    PostView,
    ReportView,
    SpaceView,
    ThreadSummary,
    ThreadView,
)
from loyaldesk.community.schemas import CategoryIn, CommunitySettingsIn, EventIn
from loyaldesk.community.vocab import (
    AwardKind,
    AwardOutcome,
    ReportResolution,
    ReportStatus,
    SpaceKind,
    ThreadStatus,
)

__all__ = [
    "AuthorView",
    "AwardKind",
    "AwardOutcome",
    "CategoryIn",
    "CategoryView",
    "CommunitySettingsIn",
    "EventIn",
    "EventView",
    "Participation",
    "ParticipationGroup",
    "PostView",
    "ReportResolution",
    "ReportStatus",
    "ReportView",
    "SpaceKind",
    "SpaceView",
    "ThreadStatus",
    "ThreadSummary",
    "ThreadView",
    "accept_answer",
    "ask_question",
    "categories",
    "close_thread",
    "community_settings",
    "create_event",
    "display_name",
    "events",
    "hide_content",
    "moderation_queue",
    "participation",
    "post_answer",
    "product_questions",
    "publish_answer_as_article",
    "report_content",
    "resolve_report",
    "restore_content",
    "rsvp",
    "save_category",
    "save_community_settings",
    "set_display_name",
    "spaces",
    "thread",
    "threads",
    "unaccept_answer",
    "vote_helpful",
]
