"""The composition root: the one place where loyaldesk's capabilities are put together.

Domains define handlers, jobs, extension implementations and channel adapters; none of them registers
itself. ``compose(settings)`` wires them explicitly, in this order:

1. every domain's tables (``load_all_models``: ``Base.metadata`` complete for migrations and tests);
2. the customer record's extensions: export sections, erasure steps (commerce before support, the order
   erasure runs them), timeline describers, the loyalty facts provider, the goodwill granter;
3. event handlers, subscribed by event class (``kernel.dispatcher``), and periodic jobs (``kernel.jobs``);
4. the channel adapters (email, API), with the install's settings: they react to the desk's events and
   call its actions; the desk never imports them;
5. ``store_setup_steps``: what a new store gets created with (``stores.setup_steps``).

Settings reach jobs and handlers from here (the mail domain, the SMTP server, the outbound policy), never
through a process-wide ``get_settings()`` in domain code. The web app and ``loyaldesk worker`` compose
through ``Runtime``; the CLI, the benchmarks and the tests call ``compose`` themselves. Composing again
(another ``Settings``) replaces what was registered: a handler or job is registered once, by identity or
name.

Some capabilities still register through decorators in modules of their own (``customers.timeline``,
``commerce.customer_data``, ``loyalty.queries.timeline``, ``loyalty.actions.grant_goodwill``, the ``jobs``
modules of stores, loyalty and analytics): those modules are imported here, by name, and nowhere else
for that purpose.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.dispatcher import handlers as default_handlers
from loyaldesk.kernel.jobs import JobRegistry
from loyaldesk.kernel.jobs import jobs as default_jobs
from loyaldesk.settings import Settings, get_settings
from loyaldesk.stores.setup_steps import StoreSetupStep, set_store_setup_steps

DOMAINS = (
    "stores",
    "customers",
    "commerce",
    "loyalty",
    "support",
    "journeys",
    "feedback",
    "recommendations",
    "bookings",
    "community",
    "calls",
    "analytics",
)
# Channels with tables of their own (web push's keys and subscriptions, SMS settings, the widget's
# notices, outgoing webhooks' endpoints and deliveries).
CHANNEL_TABLES = ("push", "sms", "widget", "webhooks")
# The assistant's tables, by module (the assistant's parts are built side by side).
ASSISTANT_TABLES = (
    "loyaldesk.assistant.knowledge.models",
    "loyaldesk.assistant.tools.models",
    "loyaldesk.assistant.dialog.models",  # the assistant's settings and dialogue state
    "loyaldesk.assistant.teaching.models",  # the store's intents, examples and trained models
)

# Modules that register with the customer record or the job registry when imported (their owners'
# decorators), in the order the registrations must happen.
_REGISTERING_MODULES = (
    "loyaldesk.customers.timeline",
    "loyaldesk.commerce.customer_data",
    "loyaldesk.loyalty.queries.timeline",
    "loyaldesk.loyalty.actions.grant_goodwill",
    "loyaldesk.stores.jobs",
    "loyaldesk.loyalty.jobs",
    "loyaldesk.analytics.jobs",
    "loyaldesk.feedback.timeline",
    "loyaldesk.bookings.timeline",
    "loyaldesk.community.timeline",
    "loyaldesk.calls.timeline",
)


def load_all_models() -> None:
    """Import every domain's tables so that ``Base.metadata`` is complete (no handlers, no jobs)."""
    import loyaldesk.kernel.events
    import loyaldesk.kernel.idempotency  # noqa: F401

    for name in DOMAINS:
        importlib.import_module(f"loyaldesk.{name}.models")
    for name in CHANNEL_TABLES:
        importlib.import_module(f"loyaldesk.channels.{name}.models")
    for module in ASSISTANT_TABLES:
        importlib.import_module(module)


def store_setup_steps() -> list[StoreSetupStep]:
    """What every new store is created with, in order (see ``stores.setup_steps``)."""
    from loyaldesk.feedback import create_default_surveys, create_feedback_settings
    from loyaldesk.journeys import create_messaging_settings
    from loyaldesk.loyalty import create_program
    from loyaldesk.recommendations import create_recommendation_settings
    from loyaldesk.support import create_desk_settings

    steps: list[StoreSetupStep] = [
        create_program,
        create_desk_settings,
        create_messaging_settings,
        create_feedback_settings,
        create_default_surveys,
        create_recommendation_settings,
    ]
    # feedback: themes (the built-in retail themes; stores made before get them on first use)
    from loyaldesk.feedback.themes import ensure_default_themes

    steps.append(ensure_default_themes)
    return steps


def compose(
    settings: Settings | None = None,
    *,
    handlers: HandlerRegistry = default_handlers,
    jobs: JobRegistry = default_jobs,
) -> None:
    """Wire every capability of loyaldesk into ``handlers`` and ``jobs`` (the process-wide registries by
    default) with ``settings`` (the environment's when not given). Idempotent."""
    settings = settings or get_settings()
    load_all_models()
    for module in _REGISTERING_MODULES:
        importlib.import_module(module)

    from loyaldesk import channels
    from loyaldesk.analytics import customer_scores
    from loyaldesk.assistant import ports as assistant_ports
    from loyaldesk.assistant import teaching
    from loyaldesk.assistant.dialog import handlers as assistant_dialog_handlers
    from loyaldesk.assistant.dialog import privacy as assistant_privacy
    from loyaldesk.assistant.dialog.first_line import assistant_takes
    from loyaldesk.assistant.dialog.llm_drafts import write_drafts as write_llm_drafts
    from loyaldesk.assistant.knowledge import customer_data as knowledge_customer_data
    from loyaldesk.assistant.knowledge import jobs as knowledge_jobs
    from loyaldesk.assistant.retrieval import search_articles
    from loyaldesk.assistant.teaching import jobs as teaching_jobs
    from loyaldesk.assistant.teaching.actions.privacy import erase_examples
    from loyaldesk.assistant.tools import register_product_tools
    from loyaldesk.bookings import customer_data as booking_customer_data
    from loyaldesk.calls import customer_data as call_customer_data
    from loyaldesk.community import customer_data as community_customer_data
    from loyaldesk.customers import erasure_step
    from loyaldesk.feedback import SurveyAnswered
    from loyaldesk.feedback import customer_data as feedback_customer_data
    from loyaldesk.feedback import handlers as feedback_handlers
    from loyaldesk.feedback.actions.ask import FeedbackAsker
    from loyaldesk.journeys import customer_data as journey_customer_data
    from loyaldesk.journeys import handlers as journey_handlers
    from loyaldesk.journeys import jobs as journey_jobs
    from loyaldesk.journeys import provide_scores, provide_survey_asker
    from loyaldesk.journeys.actions.deliver import DeliveryConfig
    from loyaldesk.kernel import idempotency
    from loyaldesk.kernel.mail_transport import transport_from
    from loyaldesk.loyalty import customer_data as loyalty_customer_data
    from loyaldesk.loyalty import handlers as loyalty_handlers
    from loyaldesk.recommendations import customer_data as recommendation_customer_data
    from loyaldesk.stores import account_mail
    from loyaldesk.support import CsatSubmitted
    from loyaldesk.support import handlers as support_handlers
    from loyaldesk.support import jobs as support_jobs
    from loyaldesk.support.actions import privacy as support_privacy
    from loyaldesk.support.first_line import provide_first_line

    # The customer record's extensions (commerce's registered on import above, before the desk's).
    loyalty_customer_data.register()
    support_privacy.register()
    journey_customer_data.register()
    feedback_customer_data.register()  # surveys asked and answers given; erasure keeps scores only
    knowledge_customer_data.register()
    assistant_privacy.register()
    recommendation_customer_data.register()  # what the customer prefers: exported, deleted on erasure
    booking_customer_data.register()  # sessions taken; erasure gives back upcoming seats, leaves waitlists
    community_customer_data.register()  # posts exported; erasure anonymises them, removes votes and RSVPs
    call_customer_data.register()  # calls exported; erasure deletes recordings, unlinks the sessions

    # Reactions and scheduled work, in the order they run for one event.
    jobs.every_outside(10, name="stores.send_account_mail")(
        lambda database: account_mail.send_due(database, transport_from(settings))
    )
    loyalty_handlers.register(handlers)
    handlers.on(CsatSubmitted)(loyalty_handlers.survey_answered)
    channels.register(handlers, jobs, settings)
    support_handlers.register(handlers)
    support_jobs.register(jobs)
    # The assistant answers chat and API conversations first when the store switched it on.
    assistant_dialog_handlers.register(handlers)
    provide_first_line(assistant_takes)
    jobs.every_outside(1, name="assistant.write_llm_answers")(write_llm_drafts)  # the LLM, unlocked
    # feedback: the chat's rating kept with the other answers, loyalty's points for answering, and the
    # journeys step that asks a survey (through feedback's one throttle).
    feedback_handlers.register(handlers)
    handlers.on(SurveyAnswered)(loyalty_handlers.feedback_answered)
    provide_survey_asker(FeedbackAsker(settings.public_base_url))
    # recommendations: the products block of journeys' emails (journeys never imports recommendations)
    from loyaldesk.journeys import provide_product_picker
    from loyaldesk.recommendations.email_block import cards_for_email

    provide_product_picker(cards_for_email)
    # feedback: themes (a comment is tagged in its answer's transaction, before the reactions that read
    # its themes, such as a detractor's conversation routed by theme; corrections retrain in the background)
    from loyaldesk.feedback.themes import run_due_theme_training, tag_answered

    handlers.on(SurveyAnswered)(tag_answered)
    jobs.every_outside(10, name="feedback.train_themes")(run_due_theme_training)

    # feedback: acting on what customers say (detractors' conversations, loop closure, recovery)
    from loyaldesk.feedback import detractors as feedback_detractors

    feedback_detractors.register(handlers, jobs, base_url=settings.public_base_url)
    # recommendations: a paid order rescoring its customer's picks from the stored model (a batch
    # handler, in the background), and the refit of each store when its interval passed and orders came
    from loyaldesk.recommendations import handlers as recommendation_handlers
    from loyaldesk.recommendations.jobs import REFIT_CHECK_SECONDS, run_due_fits

    recommendation_handlers.register(handlers)
    jobs.every_outside(REFIT_CHECK_SECONDS, name="recommendations.refit")(run_due_fits)
    # Journeys react last: an event's own domains have done their part (points earned, conversation
    # routed) before a rule reads the customer's facts.
    journey_handlers.register(handlers)
    journey_jobs.register(
        jobs, DeliveryConfig(base_url=settings.public_base_url, secret_source=settings.resolved_secret_key)
    )
    provide_scores(customer_scores)  # rules read the analytics' cached scores
    knowledge_jobs.register(jobs)  # widget deflections settle after their waiting time
    assistant_ports.provide_article_finder(search_articles)  # the help center's retrieval
    register_product_tools(public_base_url=settings.public_base_url)  # the assistant's tools, by intent

    # The assistant reads intents with the store's own model when it has one (its examples, retrained in
    # the background), else with the default intents.
    assistant_ports.provide_intent_reader(teaching.read_store_intents)
    erasure_step("assistant_examples")(erase_examples)  # examples labelled from the customer's messages
    teaching_jobs.register(jobs)

    # feedback: the team that serves (kudos from top answers with a comment, the staff pulse's series)
    from loyaldesk.feedback import team as feedback_team

    feedback_team.register(handlers, jobs)

    # recommendations: personal offers (a paid order converts its customer's assignments; offers end
    # when their time is up; the analytics' RFM segments are what an offer may target)
    from loyaldesk.analytics import Segment
    from loyaldesk.recommendations import offer_handlers, offer_jobs
    from loyaldesk.recommendations.offer_ports import provide_offer_segments

    offer_handlers.register(handlers)
    offer_jobs.register(jobs)
    provide_offer_segments(
        {segment.value: segment.label for segment in Segment},
        lambda session, store_id, ids: {
            customer_id: scores.segment
            for customer_id, scores in customer_scores(session, store_id, ids).items()
        },
    )

    # bookings: holds nobody confirmed are given back (their seat offered to the waitlist), and an
    # attended session asks the store's CSAT survey (through feedback's throttle)
    from loyaldesk.bookings import handlers as booking_handlers
    from loyaldesk.bookings.jobs import register as register_booking_jobs

    booking_handlers.register(handlers, base_url=settings.public_base_url)
    register_booking_jobs(jobs)

    # calls: requests nobody answered are marked missed (the gateway ends a ring first when it watches)
    from loyaldesk.calls.jobs import register as register_call_jobs

    register_call_jobs(jobs)

    ttl = timedelta(hours=settings.idempotency_key_ttl_hours)
    jobs.every(3600, name="kernel.purge_idempotency_keys")(lambda uow: idempotency.purge_expired(uow, ttl))

    set_store_setup_steps(store_setup_steps())
