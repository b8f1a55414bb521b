"""Pure support rules: every status change, reopening on a customer message, snooze times, priority
policy, queue order, routing (round robin and least load) and canned replies."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaldesk.kernel.errors import Invalid
from loyaldesk.support.rules import (
    CANNED_VARIABLES,
    MAX_CANNED_REPLY_LENGTH,
    PRIORITIES,
    AgentLoad,
    ConversationStatus,
    Priority,
    PriorityPolicy,
    RoutingMethod,
    check_canned_reply,
    check_snooze_until,
    check_status_change,
    choose_agent,
    priority_for,
    priority_rank,
    queue_sort_key,
    render_canned_reply,
    status_after_customer_message,
    unknown_canned_variables,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
S = ConversationStatus

ALLOWED_CHANGES = {
    (S.OPEN, S.PENDING),
    (S.OPEN, S.SNOOZED),
    (S.OPEN, S.RESOLVED),
    (S.OPEN, S.CLOSED),
    (S.PENDING, S.OPEN),
    (S.PENDING, S.SNOOZED),
    (S.PENDING, S.RESOLVED),
    (S.PENDING, S.CLOSED),
    (S.SNOOZED, S.OPEN),
    (S.SNOOZED, S.PENDING),
    (S.SNOOZED, S.RESOLVED),
    (S.SNOOZED, S.CLOSED),
    (S.RESOLVED, S.OPEN),
    (S.RESOLVED, S.CLOSED),
    (S.CLOSED, S.OPEN),
} | {(status, status) for status in S}


def problem(error: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    (only,) = error.value.problems
    return only.field, only.reason


# --- Status --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_status_change(current: ConversationStatus, target: ConversationStatus) -> None:
    if (current, target) in ALLOWED_CHANGES:
        assert check_status_change(current.value, target.value) is target
        return
    with pytest.raises(Invalid) as error:
        check_status_change(current.value, target.value)
    field, reason = problem(error)
    assert field == "status"
    allowed = [to for (source, to) in ALLOWED_CHANGES if source == current and to != current]
    assert allowed
    for status in allowed:
        assert status.value in reason
    assert f"cannot become {target.value}" in reason


def test_rejected_change_names_allowed_targets_in_words() -> None:
    with pytest.raises(Invalid) as error:
        check_status_change("closed", "resolved")
    assert problem(error) == ("status", "a closed conversation cannot become resolved; it can become open")
    with pytest.raises(Invalid) as error:
        check_status_change("resolved", "pending")
    assert problem(error)[1].endswith("it can become open or closed")


@pytest.mark.parametrize(("current", "target"), [("open", "archived"), ("waiting", "open"), ("", "open")])
def test_unknown_status_names_the_valid_ones(current: str, target: str) -> None:
    with pytest.raises(Invalid) as error:
        check_status_change(current, target)
    field, reason = problem(error)
    assert field == "status"
    assert "open, pending, snoozed, resolved or closed" in reason


@pytest.mark.parametrize("current", list(S))
def test_customer_message_reopens_every_status(current: ConversationStatus) -> None:
    assert status_after_customer_message(current.value) is S.OPEN


def test_customer_message_on_unknown_status_is_invalid() -> None:
    with pytest.raises(Invalid):
        status_after_customer_message("deleted")


def test_snooze_until_in_range_returns_utc() -> None:
    tomorrow_in_new_york = datetime(2026, 3, 3, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    result = check_snooze_until(tomorrow_in_new_york, NOW)
    assert result == tomorrow_in_new_york
    assert result.tzinfo is UTC
    assert check_snooze_until(NOW + timedelta(days=90), NOW) == NOW + timedelta(days=90)
    assert check_snooze_until(NOW + timedelta(seconds=1), NOW) == NOW + timedelta(seconds=1)
    assert check_snooze_until(NOW + timedelta(days=7), NOW, max_days=7) == NOW + timedelta(days=7)


@pytest.mark.parametrize(
    ("until", "max_days", "reason"),
    [
        (NOW, 90, "must be in the future"),
        (NOW - timedelta(minutes=1), 90, "must be in the future"),
        (NOW + timedelta(days=90, seconds=1), 90, "must be at most 90 days ahead"),
        (NOW + timedelta(days=8), 7, "must be at most 7 days ahead"),
        (datetime(2026, 3, 3, 9, 0), 90, "must be a date and time with a time zone"),
    ],
)
def test_snooze_until_rejected(until: datetime, max_days: int, reason: str) -> None:
    with pytest.raises(Invalid) as error:
        check_snooze_until(until, NOW, max_days=max_days)
    assert problem(error) == ("snoozed_until", reason)


def test_snooze_with_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="now"):
        check_snooze_until(NOW + timedelta(days=1), datetime(2026, 3, 2, 10, 0))


# --- Priority ------------------------------------------------------------------------------------------


def test_priorities_in_rank_order() -> None:
    assert [priority_rank(priority) for priority in PRIORITIES] == [0, 1, 2, 3]
    assert PRIORITIES == (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
    assert priority_rank("urgent") == 3
    with pytest.raises(Invalid) as error:
        priority_rank("critical")
    assert problem(error)[0] == "priority"
    assert "low, normal, high or urgent" in problem(error)[1]


POLICY = PriorityPolicy(
    tier_priorities={"Gold": Priority.HIGH, "Platinum": Priority.URGENT, "Bronze": Priority.LOW},
    high_value_threshold_minor=100_000,
    channel_priorities={"webchat": Priority.NORMAL, "email": Priority.LOW, "phone": Priority.HIGH},
)


@pytest.mark.parametrize(
    ("tier", "perks", "spend", "channel", "expected"),
    [
        (None, (), 0, "api", (Priority.NORMAL, "default")),
        (None, (), 0, "webchat", (Priority.NORMAL, "webchat channel default")),
        (None, (), 0, "email", (Priority.LOW, "email channel default")),
        (None, (), 0, "phone", (Priority.HIGH, "phone channel default")),
        ("Gold", (), 0, "email", (Priority.HIGH, "tier Gold")),
        ("gold", (), 0, "email", (Priority.HIGH, "tier gold")),
        ("Platinum", (), 0, "webchat", (Priority.URGENT, "tier Platinum")),
        # A low tier does not pull a customer below the channel's baseline.
        ("Bronze", (), 0, "webchat", (Priority.NORMAL, "webchat channel default")),
        ("Bronze", (), 0, "email", (Priority.LOW, "tier Bronze")),
        ("Silver", (), 0, "api", (Priority.NORMAL, "default")),
        ("Silver", ("priority_support",), 0, "email", (Priority.HIGH, "priority support perk (Silver)")),
        (None, ("priority_support",), 0, "email", (Priority.HIGH, "priority support perk")),
        ("Silver", ("free_shipping",), 0, "email", (Priority.LOW, "email channel default")),
        (None, (), 99_999, "email", (Priority.LOW, "email channel default")),
        (None, (), 100_000, "email", (Priority.HIGH, "high value customer")),
        # Ties go to the customer's own reason: tier, then perk, then spend, then the baseline.
        ("Gold", ("priority_support",), 500_000, "webchat", (Priority.HIGH, "tier Gold")),
        (
            "Silver",
            ("priority_support",),
            500_000,
            "phone",
            (Priority.HIGH, "priority support perk (Silver)"),
        ),
        (None, (), 500_000, "phone", (Priority.HIGH, "high value customer")),
        ("Platinum", ("priority_support",), 500_000, "phone", (Priority.URGENT, "tier Platinum")),
    ],
)
def test_priority_for(
    tier: str | None, perks: tuple[str, ...], spend: int, channel: str, expected: tuple[Priority, str]
) -> None:
    assert (
        priority_for(POLICY, tier_name=tier, tier_perks=perks, lifetime_spend_minor=spend, channel=channel)
        == expected
    )


def test_priority_policy_defaults_and_perk_level() -> None:
    empty = PriorityPolicy()
    assert priority_for(empty, tier_name="Gold", lifetime_spend_minor=10**12, channel="webchat") == (
        Priority.NORMAL,
        "default",
    )
    urgent_perk = PriorityPolicy(priority_support_perk=Priority.URGENT)
    assert priority_for(
        urgent_perk, tier_name="VIP", tier_perks=frozenset({"priority_support"}), channel="email"
    ) == (Priority.URGENT, "priority support perk (VIP)")


def test_priority_policy_converts_and_validates_strings() -> None:
    policy = PriorityPolicy(
        tier_priorities={"Gold": "high"},  # type: ignore[dict-item]
        channel_priorities={"email": "low"},  # type: ignore[dict-item]
        priority_support_perk="urgent",  # type: ignore[arg-type]
    )
    assert policy.tier_priorities["Gold"] is Priority.HIGH
    assert policy.channel_priorities["email"] is Priority.LOW
    assert policy.priority_support_perk is Priority.URGENT
    with pytest.raises(Invalid) as error:
        PriorityPolicy(tier_priorities={"Gold": "asap"})  # type: ignore[dict-item]
    assert problem(error)[0] == "tier_priorities.Gold"
    with pytest.raises(Invalid) as error:
        PriorityPolicy(high_value_threshold_minor=-1)
    assert problem(error)[0] == "high_value_threshold_minor"


def test_queue_order() -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    expected = [
        ("urgent", t0 + timedelta(minutes=5), 9),
        ("high", t0, 4),
        ("high", t0, 7),
        ("high", t0 + timedelta(minutes=1), 2),
        ("normal", t0 - timedelta(hours=3), 8),
        ("normal", t0, 1),
        ("low", t0 - timedelta(days=1), 3),
    ]
    shuffled = expected[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=lambda row: queue_sort_key(*row)) == expected


def test_queue_order_compares_instants_across_time_zones() -> None:
    amsterdam_nine = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=1)))  # 08:00 UTC
    utc_half_past_eight = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert queue_sort_key("normal", amsterdam_nine, 2) < queue_sort_key("normal", utc_half_past_eight, 1)


# --- Routing -------------------------------------------------------------------------------------------


def agent(
    agent_id: int,
    *,
    online: bool = True,
    open_conversations: int = 0,
    capacity: int = 5,
    last_assigned_minutes_ago: int | None = None,
    teams: frozenset[int] = frozenset(),
) -> AgentLoad:
    last = None if last_assigned_minutes_ago is None else NOW - timedelta(minutes=last_assigned_minutes_ago)
    return AgentLoad(agent_id, online, open_conversations, capacity, last, teams)


BOTH_METHODS = pytest.mark.parametrize("method", [RoutingMethod.ROUND_ROBIN, RoutingMethod.LEAST_LOAD])


@BOTH_METHODS
def test_nobody_to_route_to(method: RoutingMethod) -> None:
    assert choose_agent([], method) is None
    unavailable = [
        agent(1, online=False),
        agent(2, open_conversations=5, capacity=5),
        agent(3, open_conversations=9, capacity=5),
        agent(4, capacity=0),
    ]
    assert choose_agent(unavailable, method) is None


@BOTH_METHODS
def test_only_eligible_agent_is_chosen(method: RoutingMethod) -> None:
    agents = [
        agent(1, online=False, last_assigned_minutes_ago=None),
        agent(2, open_conversations=3, capacity=3),
        agent(3, capacity=0),
        agent(4, open_conversations=4, capacity=5, last_assigned_minutes_ago=1),
    ]
    assert choose_agent(agents, method) == 4
    assert choose_agent(agents, method.value) == 4


@BOTH_METHODS
def test_team_filter(method: RoutingMethod) -> None:
    agents = [
        agent(1, teams=frozenset({10}), last_assigned_minutes_ago=1, open_conversations=4),
        agent(2, teams=frozenset({20})),
        agent(3, teams=frozenset({10, 20}), last_assigned_minutes_ago=2, open_conversations=4),
        agent(4),
    ]
    assert choose_agent(agents, method, team_id=10) == 3
    assert choose_agent(agents, method, team_id=20) == 2
    assert choose_agent(agents, method, team_id=30) is None
    assert choose_agent(agents, method) in {2, 4}


def test_round_robin_picks_least_recently_assigned_and_never_assigned_first() -> None:
    agents = [
        agent(1, last_assigned_minutes_ago=5),
        agent(2, last_assigned_minutes_ago=30, open_conversations=4),
        agent(3, last_assigned_minutes_ago=10),
    ]
    assert choose_agent(agents, "round_robin") == 2
    assert choose_agent([*agents, agent(9, last_assigned_minutes_ago=None)], "round_robin") == 9
    # Ties: never assigned, then the same instant, go by the lowest id.
    assert choose_agent([agent(7), agent(5), agent(6)], "round_robin") == 5
    assert (
        choose_agent(
            [agent(7, last_assigned_minutes_ago=3), agent(6, last_assigned_minutes_ago=3)], "round_robin"
        )
        == 6
    )


def test_round_robin_cycles_through_agents() -> None:
    agents = {agent_id: agent(agent_id) for agent_id in (3, 1, 2)}
    picked = []
    for minute in range(6):
        chosen = choose_agent(list(agents.values()), RoutingMethod.ROUND_ROBIN)
        assert chosen is not None
        picked.append(chosen)
        previous = agents[chosen]
        agents[chosen] = AgentLoad(
            chosen, True, previous.open_conversations, previous.capacity, NOW + timedelta(minutes=minute)
        )
    assert picked == [1, 2, 3, 1, 2, 3]


def test_least_load_uses_share_of_capacity() -> None:
    agents = [
        agent(1, open_conversations=2, capacity=4),  # 1/2
        agent(2, open_conversations=3, capacity=10),  # 3/10
        agent(3, open_conversations=1, capacity=2),  # 1/2
    ]
    assert choose_agent(agents, "least_load") == 2
    assert choose_agent([*agents, agent(4, open_conversations=0, capacity=1)], "least_load") == 4


def test_least_load_compares_exact_fractions() -> None:
    # 1/3 == 2/6 and 3/10 == 30/100 exactly: ties go to the least recently assigned, then the lowest id.
    tied = [
        agent(5, open_conversations=2, capacity=6, last_assigned_minutes_ago=1),
        agent(4, open_conversations=1, capacity=3, last_assigned_minutes_ago=9),
    ]
    assert choose_agent(tied, "least_load") == 4
    same_time = [
        agent(8, open_conversations=3, capacity=10, last_assigned_minutes_ago=2),
        agent(6, open_conversations=30, capacity=100, last_assigned_minutes_ago=2),
    ]
    assert choose_agent(same_time, "least_load") == 6
    never = [
        agent(2, open_conversations=1, capacity=3, last_assigned_minutes_ago=1),
        agent(3, open_conversations=2, capacity=6, last_assigned_minutes_ago=None),
    ]
    assert choose_agent(never, "least_load") == 3


def test_unknown_routing_method_is_invalid() -> None:
    with pytest.raises(Invalid) as error:
        choose_agent([agent(1)], "random")
    assert problem(error)[0] == "routing_method"
    assert "round_robin or least_load" in problem(error)[1]


@given(
    st.lists(
        st.builds(
            AgentLoad,
            agent_id=st.integers(1, 50),
            online=st.booleans(),
            open_conversations=st.integers(0, 12),
            capacity=st.integers(0, 10),
            last_assigned_at=st.none() | st.integers(0, 100).map(lambda m: NOW - timedelta(minutes=m)),
            teams=st.frozensets(st.integers(1, 3), max_size=3),
        ),
        max_size=8,
    ),
    st.sampled_from(list(RoutingMethod)),
    st.none() | st.integers(1, 3),
)
def test_chosen_agent_is_always_eligible(
    agents: list[AgentLoad], method: RoutingMethod, team_id: int | None
) -> None:
    chosen = choose_agent(agents, method, team_id=team_id)
    eligible = [
        a
        for a in agents
        if a.online and a.open_conversations < a.capacity and (team_id is None or team_id in a.teams)
    ]
    if not eligible:
        assert chosen is None
    else:
        assert chosen in {a.agent_id for a in eligible}


# --- Canned replies ------------------------------------------------------------------------------------

VALUES = {
    "customer": {"first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace", "email": ""},
    "loyalty": {"points": 120, "pending_points": 0, "tier": "Gold"},
    "order": {"latest": {"number": "#1001", "status": "fulfilled"}},
    "agent": {"first_name": "Sam"},
    "store": {"name": "Tea & Co <Amsterdam>"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {{customer.first_name}}!", "Hi Ada!"),
        ("Hi {{ customer.first_name }}!", "Hi Ada!"),
        ("Hi {{\tcustomer.first_name  }}!", "Hi Ada!"),
        ("{{customer.name}} has {{loyalty.points}} points", "Ada Lovelace has 120 points"),
        ("Pending: {{loyalty.pending_points}}", "Pending: 0"),
        ("Order {{order.latest.number}} is {{order.latest.status}}.", "Order #1001 is fulfilled."),
        ("— {{agent.first_name}}, {{store.name}}", "— Sam, Tea & Co <Amsterdam>"),
        ('Hi {{customer.first_name | default: "there"}}', "Hi Ada"),
        ('Mail: {{ customer.email | default: "unknown" }}', "Mail: unknown"),
        ('Hi {{ customer.nickname | default: "there" }}', "Hi there"),
        ("Hi {{ customer.nickname|default:'friend' }}", "Hi friend"),
        ('{{ order.oldest.number | default: "" }}x', "x"),
        ('{{ customer.nickname | default: "say \\"hi\\" \\\\ bye" }}', 'say "hi" \\ bye'),
        ("Hi {{customer.nickname}}.", "Hi ."),
        ("Hi {{customer}}.", "Hi ."),
        ("Points: {{loyalty.points.value}}", "Points: "),
        ("No placeholders", "No placeholders"),
        ("{{customer.first_name}}{{customer.last_name}}", "AdaLovelace"),
        ("Hi {{ customer.first_name", "Hi {{ customer.first_name"),
        ("{{ 1 + 1 }}", "{{ 1 + 1 }}"),
    ],
)
def test_render_canned_reply(template: str, expected: str) -> None:
    assert render_canned_reply(template, VALUES) == expected


def test_render_with_no_values_uses_fallbacks() -> None:
    template = 'Hi {{customer.first_name | default: "there"}}, you have {{loyalty.points}} points.'
    assert render_canned_reply(template, {}) == "Hi there, you have  points."


def test_rendered_values_are_not_reinterpreted() -> None:
    values = {"customer": {"first_name": "{{store.name}}"}, "store": {"name": "Shop"}}
    assert render_canned_reply("Hi {{customer.first_name}}", values) == "Hi {{store.name}}"


def test_unknown_canned_variables() -> None:
    template = "{{customer.first_name}} {{customer.nick}} {{ order.total }} {{customer.nick}} {{store.name}}"
    assert unknown_canned_variables(template) == ["customer.nick", "order.total"]
    assert unknown_canned_variables(" ".join(f"{{{{{name}}}}}" for name in CANNED_VARIABLES)) == []


def test_check_canned_reply_accepts_and_strips() -> None:
    body = '  Hi {{ customer.first_name | default: "there" }},\r\nyou have {{loyalty.points}} points.\n'
    assert (
        check_canned_reply(body)
        == 'Hi {{ customer.first_name | default: "there" }},\nyou have {{loyalty.points}} points.'
    )
    assert check_canned_reply("x" * MAX_CANNED_REPLY_LENGTH) == "x" * MAX_CANNED_REPLY_LENGTH


@pytest.mark.parametrize(
    ("template", "reason_part"),
    [
        ("", "must not be empty"),
        ("  \n\t", "must not be empty"),
        ("x" * (MAX_CANNED_REPLY_LENGTH + 1), "at most 5000 characters"),
        ("Hi {{ customer.first_name", "malformed placeholder '{{ customer.first_name'"),
        ("Hi {{ customer.first_name }", "malformed placeholder"),
        ("Hi {{ customer.first_name | upcase }}", "malformed placeholder"),
        ('Hi {{ customer.first_name | default: "there }}', "malformed placeholder"),
        ("Hi {{ customer.first_name\n}}", "malformed placeholder"),
        ("{{ 1 + 1 }}", "malformed placeholder"),
        ("Hi {{customer.first_name}} {{", "malformed placeholder"),
        ("Hi {{ customer.nick }}", "unknown variable customer.nick; available: customer.first_name"),
        ("{{ a.b }}{{ c }}", "unknown variables a.b, c"),
    ],
)
def test_check_canned_reply_rejects(template: str, reason_part: str) -> None:
    with pytest.raises(Invalid) as error:
        check_canned_reply(template)
    field, reason = problem(error)
    assert field == "body"
    assert reason_part in reason
