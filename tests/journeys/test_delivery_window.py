"""Waking hours in the recipient's own zone, public holidays of their country, and frequency caps that
defer rather than drop (journeys.rules.delivery_window)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from loyaldesk.journeys.rules.delivery_window import (
    Caps,
    Window,
    allowed_moment,
    cap_moment,
    is_quiet,
    recipient_zone,
    waking_moment,
)
from loyaldesk.journeys.vocab import Reason

WINDOW = Window(quiet_start_hour=21, quiet_end_hour=9, respect_holidays=True)
CAPS = Caps(min_gap=timedelta(hours=16), per_week=3, per_channel_per_week={"sms": 1})
ZONES = [
    "Pacific/Auckland",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Australia/Sydney",
    "Asia/Dubai",
    "Pacific/Honolulu",
]


def test_the_recipients_own_zone_wins_then_their_phone_then_their_country_then_the_store() -> None:
    assert recipient_zone("Asia/Tokyo", "+14155550100", "DE", "Europe/Paris")[0].key == "Asia/Tokyo"
    zone, country = recipient_zone(None, "+14155550100", None, "Europe/Paris")
    assert (zone.key, country) == ("America/Los_Angeles", "US")
    assert recipient_zone(None, None, "jp", "Europe/Paris") == (ZoneInfo("Asia/Tokyo"), "JP")
    assert recipient_zone(None, "not a number", None, "Europe/Paris")[0].key == "Europe/Paris"


def test_a_message_due_at_night_waits_for_the_recipients_morning() -> None:
    due = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)  # 07:30 in Tokyo, 23:30 in Berlin
    tokyo = waking_moment(due, ZoneInfo("Asia/Tokyo"), "JP", WINDOW)
    assert tokyo.at.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9 and tokyo.reason is Reason.QUIET_HOURS
    berlin = waking_moment(due, ZoneInfo("Europe/Berlin"), "DE", WINDOW)
    assert berlin.at.astimezone(ZoneInfo("Europe/Berlin")) == datetime(
        2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_public_holidays_of_the_recipients_country_are_skipped() -> None:
    christmas_eve_night = datetime(2026, 12, 24, 22, 0, tzinfo=UTC)
    verdict = waking_moment(christmas_eve_night, ZoneInfo("Europe/Berlin"), "DE", WINDOW)
    assert verdict.at.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat() == "2026-12-27"
    no_holidays = Window(21, 9, respect_holidays=False)
    assert waking_moment(christmas_eve_night, ZoneInfo("Europe/Berlin"), "DE", no_holidays).at.day == 25


def test_caps_defer_to_the_first_moment_they_allow() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    one_ago = [(now - timedelta(hours=4), "email")]
    assert cap_moment(now, "email", one_ago, CAPS).at == now + timedelta(hours=12)
    week = [(now - timedelta(days=d), "email") for d in (1, 3, 5)]
    assert cap_moment(now, "email", week, CAPS).at == now - timedelta(days=5) + timedelta(days=7)
    sms = [(now - timedelta(days=2), "sms")]
    assert cap_moment(now, "sms", sms, CAPS).at == now + timedelta(days=5)
    assert cap_moment(now, "email", sms, CAPS).reason is None


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    zone=st.sampled_from(ZONES),
    country=st.sampled_from(["DE", "US", "JP", "IN", "BR", "NZ", None]),
    history=st.lists(
        st.tuples(st.integers(0, 7 * 24 * 60), st.sampled_from(["email", "sms", "push"])), max_size=6
    ),
    channel=st.sampled_from(["email", "sms", "push"]),
)
def test_the_allowed_moment_is_never_quiet_never_capped_and_never_early(
    start, zone, country, history, channel
) -> None:  # type: ignore[no-untyped-def]
    now = start.replace(tzinfo=UTC)
    recent = [(now - timedelta(minutes=m), ch) for m, ch in history]
    verdict = allowed_moment(
        now, zone=ZoneInfo(zone), country=country, channel=channel, recent=recent, window=WINDOW, caps=CAPS
    )
    assert verdict.at >= now
    assert not is_quiet(verdict.at.astimezone(ZoneInfo(zone)), WINDOW)
    assert cap_moment(verdict.at, channel, recent, CAPS).at == verdict.at
    assert (verdict.reason is None) == (verdict.at == now)
