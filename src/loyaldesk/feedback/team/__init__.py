"""The team that serves: kudos from customers, shout-outs between staff, the team page, the anonymous
staff pulse (eNPS) and coaching. Modules: ``kudos``, ``shoutouts``, ``pulse`` (writers and the pulse
job), ``coaching`` (the low-rated list and notes), ``queries`` (team page, profiles), ``pulse_results``
(results for managers), ``staff`` (who is on the staff, who leads whom), ``rules`` (pure figures),
``events``, ``handlers`` (``register(handlers, jobs)``)."""

from loyaldesk.feedback.team.coaching import LowRated, add_coaching_note, low_rated
from loyaldesk.feedback.team.events import ShoutoutReceived
from loyaldesk.feedback.team.handlers import register
from loyaldesk.feedback.team.kudos import mark_kudos_seen, record_kudos, top_score, unseen_kudos
from loyaldesk.feedback.team.pulse import (
    ENPS_QUESTION,
    MAX_QUESTIONS,
    PulseIn,
    PulseQuestionIn,
    answer_pulse,
    create_pulse,
    has_answered,
    is_open,
    run_pulses,
)
from loyaldesk.feedback.team.pulse_results import PulseResults, pulse_of, pulse_results, pulses_of
from loyaldesk.feedback.team.queries import AgentCard, Profile, agent_profile, team_cards
from loyaldesk.feedback.team.shoutouts import MAX_MESSAGE, give_shoutout
from loyaldesk.feedback.team.staff import StaffMember, may_coach, staff_member, staff_of

__all__ = [
    "ENPS_QUESTION",
    "MAX_MESSAGE",
    "MAX_QUESTIONS",
    "AgentCard",
    "LowRated",
    "Profile",
    "PulseIn",
    "PulseQuestionIn",
    "PulseResults",
    "ShoutoutReceived",
    "StaffMember",
    "add_coaching_note",
    "agent_profile",
    "answer_pulse",
    "create_pulse",
    "give_shoutout",
    "has_answered",
    "is_open",
    "low_rated",
    "mark_kudos_seen",
    "may_coach",
    "pulse_of",
    "pulse_results",
    "pulses_of",
    "record_kudos",
    "register",
    "run_pulses",
    "staff_member",
    "staff_of",
    "team_cards",
    "top_score",
    "unseen_kudos",
]
