"""Video and voice calls in two real Chromium contexts with a fake camera and microphone, over 127.0.0.1:
an agent in the console and a shopper in the chat widget.

* The agent rings from the conversation, the shopper answers with video: the call connects directly (host
  candidates), video and audio flow both ways, the agent shares their screen (the shopper is told, the
  video keeps flowing) and stops, hangs up, and the conversation's history shows the call with its
  duration.
* Forced through a local coturn (``calls_force_relay`` and the TURN settings pointing at it): the shopper
  rings from the chat, the agent gets the notice in the inbox and answers with voice only; the selected
  candidate pair is a relay one on both sides, the shopper's video and both sides' audio flow, the
  shopper's page says the agent is on voice only; the shopper hangs up.
* An expert session: 5 minutes before it, the expert starts the video call from the console's day view,
  the shopper joins from the member page (hello as member), the call connects.

The connect time (answer to 'connected') is printed; bench/calls_connect.py measures it many times.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.settings import Settings
from tests.e2e import call_flow as flow
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.factories import StoreHandle
from tests.turn_server import TurnServer, running_turn_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def clock() -> FakeClock:
    # Today: the TURN credentials carry an expiry that coturn checks against its own (real) clock.
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def turn() -> Iterator[TurnServer]:
    with running_turn_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    relay: dict[str, Any] = {}
    if "turn" in request.fixturenames:  # the relay test: every call through the local coturn
        relay = request.getfixturevalue("turn").settings()
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
        **relay,
    )


@pytest.fixture
def media_browser(browser):  # type: ignore[no-untyped-def]
    """A Chromium of its own with the fake camera and microphone, from the suite's Playwright."""
    args = CHROMIUM_ARGS + flow.FAKE_MEDIA_ARGS
    instance = browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    yield instance
    instance.close()


@pytest.fixture
def agent_and_shopper(media_browser):  # type: ignore[no-untyped-def]
    agent = flow.new_page(media_browser)
    shopper = flow.new_page(media_browser)
    yield agent, shopper
    errors = agent.errors + shopper.errors
    agent.context.close()
    shopper.context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_the_agent_rings_the_shopper_answers_with_video_and_the_history_shows_the_duration(
    live_server: str,
    agent_and_shopper: Any,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    clock: FakeClock,
) -> None:
    agent, shopper = agent_and_shopper
    flow.log_in_agent(agent, live_server, db, store, password_hash)
    flow.open_inbox(agent, live_server, store)
    flow.open_widget(shopper, live_server, db, store)
    conversation_id = flow.start_conversation(shopper, agent)

    agent.locator("[data-call-start='video']").click()
    agent.wait_for_url(f"**/console/{store.slug}/calls/*")
    card = shopper.get_by_role("alertdialog")
    card.get_by_role("button", name="Answer with video").click()

    flow.wait_connected(agent)
    flow.wait_connected(shopper)
    for page in (agent, shopper):
        found = flow.stats(page)
        assert found["pair"] and "relay" not in found["pair"].values(), found  # host to host
        assert flow.media_flows(page, "video"), "no video arrives"
        assert flow.media_flows(page, "audio"), "no audio arrives"
        page.wait_for_function("() => document.querySelector('[data-call-remote]').videoWidth > 0")
    print(f"connect time, direct: {flow.connect_ms(shopper):.0f} ms (shopper answered)")
    screenshot(agent, "video-call-console")
    screenshot(shopper, "video-call-widget")

    # The agent shows their screen in place of the camera; the shopper is told and the video keeps flowing.
    agent.get_by_role("button", name="Share my screen").click()
    agent.wait_for_function("() => window.loyaldeskCall.sharingScreen === true")
    shopper.locator("[data-call-peer-media]").get_by_text("sharing their screen").wait_for()
    assert flow.media_flows(shopper, "video"), "the screen does not arrive"
    agent.get_by_role("button", name="Stop sharing").click()
    shopper.locator("[data-call-peer-media]").wait_for(state="hidden")

    clock.advance(timedelta(seconds=65))
    agent.get_by_role("button", name="Hang up").click()
    agent.locator("[data-call][data-state='ended']").wait_for()
    shopper.locator("[data-call][data-state='ended']").wait_for()
    flow.open_inbox(agent, live_server, store, conversation_id)
    agent.locator("[data-message-list]").get_by_text("Video call, 1 min 5 s").wait_for()


def test_through_the_turn_relay_the_shopper_rings_and_the_agent_answers_with_voice_only(
    live_server: str,
    agent_and_shopper: Any,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    turn: TurnServer,
    clock: FakeClock,
) -> None:
    agent, shopper = agent_and_shopper
    flow.log_in_agent(agent, live_server, db, store, password_hash)
    flow.open_inbox(agent, live_server, store)
    flow.open_widget(shopper, live_server, db, store)
    conversation_id = flow.start_conversation(shopper, agent)

    shopper.locator("[data-call-us='video']").click()
    notice = agent.locator("[data-call-notice]")
    notice.get_by_role("link", name="Answer").click()
    agent.wait_for_url(f"**/console/{store.slug}/calls/*")
    agent.get_by_role("button", name="Answer with voice only").click()

    flow.wait_connected(agent)
    flow.wait_connected(shopper)
    for page in (agent, shopper):
        found = flow.stats(page)
        assert found["pair"] == {"local": "relay", "remote": "relay"}, found
        assert flow.media_flows(page, "audio"), "no audio arrives"
    assert flow.media_flows(agent, "video"), "the shopper's video does not arrive"
    assert flow.stats(shopper)["bytes"]["video"] == 0  # the agent answered with voice only
    shopper.locator("[data-call-peer-media]").get_by_text("on voice only").wait_for()
    print(f"connect time, TURN relay: {flow.connect_ms(agent):.0f} ms (agent answered)")

    clock.advance(timedelta(seconds=12))
    shopper.get_by_role("button", name="Hang up").click()
    agent.locator("[data-call][data-state='ended']").wait_for()
    flow.open_inbox(agent, live_server, store, conversation_id)
    agent.locator("[data-message-list]").get_by_text("Video call, 12 s").wait_for()


def test_an_expert_session_s_video_call_from_the_day_view_and_the_member_page(
    live_server: str,
    agent_and_shopper: Any,
    db: Database,
    store: StoreHandle,
    password_hash: str,
    clock: FakeClock,
) -> None:
    import httpx

    from tests.factories import TEST_PASSWORD
    from tests.web.bookings_fixtures import make_salon

    expert, member = agent_and_shopper
    salon = make_salon(db, store, password_hash)
    starts = (clock.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0)
    with httpx.Client(base_url=live_server, headers=salon.identity("m-1")) as api:
        slots = api.get(
            f"/member-api/v1/acme/bookings/session-types/{salon.styling_id}/slots",
            params={"from": starts.date().isoformat(), "days": 7, "time_zone": "UTC"},
        )
        assert slots.status_code == 200, slots.text
        first = next(slot for day in slots.json()["days"] for slot in day["slots"])
        held = api.post(
            "/member-api/v1/acme/bookings/holds",
            json={"session_type_id": salon.styling_id, "starts_at": first["starts_at"]},
        )
        assert held.status_code == 201, held.text
        booking_id = held.json()["id"]
        assert api.post(f"/member-api/v1/acme/bookings/{booking_id}/confirm").status_code == 200
    clock.set(datetime.fromisoformat(first["starts_at"]) - timedelta(minutes=5))

    expert.goto(f"{live_server}/login")
    expert.get_by_label("Email").fill(salon.expert_email)
    expert.get_by_label("Password").fill(TEST_PASSWORD)
    expert.get_by_role("button", name="Log in").click()
    expert.wait_for_url("**/console/**")
    day = datetime.fromisoformat(first["starts_at"]).date().isoformat()
    expert.goto(f"{live_server}/console/acme/bookings?day={day}")
    expert.locator(f"[data-call-booking='{booking_id}']").click()
    expert.wait_for_url("**/console/acme/calls/*")

    query = "&".join(f"{key}={value}" for key, value in salon.query("m-1").items())
    member.goto(f"{live_server}/m/acme/sessions?{query}")
    member.locator(f"[data-call-join='{booking_id}']").click()
    member.get_by_role("button", name="Join the video call").click()

    flow.wait_connected(expert)
    flow.wait_connected(member)
    assert flow.media_flows(member, "video") and flow.media_flows(expert, "video")
    member.get_by_role("button", name="Hang up").click()
    expert.locator("[data-call][data-state='ended']").wait_for()
