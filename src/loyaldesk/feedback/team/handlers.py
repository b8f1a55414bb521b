"""The team part's reactions and scheduled work: kudos from a top answer with a comment, and the pulse
series (closing pulses, opening the next of a recurring one). ``register`` is called by the composition
root.

The customer record's erasure also removes a customer's kudos (``privacy.erase_kudos``)."""

from __future__ import annotations

from loyaldesk.customers import erasure_step
from loyaldesk.feedback.events import SurveyAnswered
from loyaldesk.feedback.team.kudos import record_kudos
from loyaldesk.feedback.team.privacy import erase_kudos
from loyaldesk.feedback.team.pulse import run_pulses
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.jobs import JobRegistry

PULSE_JOB = "feedback.team.pulses"


def register(handlers: HandlerRegistry, jobs: JobRegistry) -> None:
    """Subscribe kudos to answers, schedule the pulse job (every ten minutes), and plug the kudos into
    the customer record's erasure."""
    handlers.on(SurveyAnswered)(record_kudos)
    erasure_step("feedback_kudos")(erase_kudos)
    jobs.every(600, name=PULSE_JOB)(run_pulses)
