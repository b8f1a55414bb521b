"""The calls gateway's ``joined`` frame names the store's media server (``media_room``) for video and voice
calls: null for browser-to-browser calls (``media_server`` peer), the same Jitsi room for both parties, a
LiveKit token of one's own for each party; never for co-browsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from loyaldesk import calls
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from tests.calls.conftest import CallDesk
from tests.calls.test_cobrowse_gateway import ORIGIN, receive, shopper_hello, url
from tests.factories import login

JITSI = {"media_server": "jitsi", "jitsi_domain": "meet.example.com"}
LIVEKIT_SECRET = "livekit-api-secret-for-the-tests-0123456789"
LIVEKIT = {
    "media_server": "livekit",
    "livekit_url": "wss://livekit.example.com",
    "livekit_api_key": "APIkey123",
    "livekit_api_secret": LIVEKIT_SECRET,
}


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The tests' settings, with the media server of ``@pytest.mark.parametrize(indirect=True)``."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
        **getattr(request, "param", {}),
    )


def ring(desk: CallDesk, kind: calls.CallKind = calls.CallKind.VIDEO) -> int:
    view = desk.db.write(
        lambda uow: calls.request_session(uow, desk.agent, conversation_id=desk.conversation_id, kind=kind)
    )
    return int(view.id)


def both_joined(
    runtime: Runtime, client: TestClient, desk: CallDesk, session_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    login(client, "agent@acme.example.com")
    with client.websocket_connect(url(session_id), headers=ORIGIN) as agent:
        agent.send_text(json.dumps({"type": "hello", "as": "agent"}))
        agent_joined = receive(agent, "joined")
        with client.websocket_connect(url(session_id), headers=ORIGIN) as shopper:
            shopper.send_text(json.dumps(shopper_hello(runtime, desk)))
            shopper_joined = receive(shopper, "joined")
    return agent_joined, shopper_joined


def test_a_peer_install_sends_no_media_room(runtime: Runtime, client: TestClient, desk: CallDesk) -> None:
    agent, shopper = both_joined(runtime, client, desk, ring(desk))
    assert agent["media_room"] is None and shopper["media_room"] is None


@pytest.mark.parametrize("settings", [JITSI], indirect=True)
def test_both_parties_get_the_same_jitsi_room(runtime: Runtime, client: TestClient, desk: CallDesk) -> None:
    session_id = ring(desk, calls.CallKind.VOICE)
    agent, shopper = both_joined(runtime, client, desk, session_id)
    room = agent["media_room"]
    assert room == shopper["media_room"]
    assert room["provider"] == "jitsi" and "token" not in room
    assert room["room"].startswith(f"loyaldesk-call-{session_id}-")
    assert room["url"] == f"https://meet.example.com/{room['room']}"


@pytest.mark.parametrize("settings", [LIVEKIT], indirect=True)
def test_each_party_gets_its_own_livekit_token(
    runtime: Runtime, client: TestClient, desk: CallDesk, clock: FakeClock
) -> None:
    session_id = ring(desk)
    agent, shopper = both_joined(runtime, client, desk, session_id)
    claims = []
    for joined in (agent, shopper):
        room = joined["media_room"]
        assert room["provider"] == "livekit" and room["url"] == "wss://livekit.example.com"
        assert room["room"] == f"loyaldesk-call-{session_id}"
        token = jwt.decode(
            room["token"],
            LIVEKIT_SECRET,
            algorithms=["HS256"],
            issuer="APIkey123",
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
        # Issued on the server's clock (the tests' fake one), for 6 hours.
        assert token["iat"] == int(clock.now().timestamp()) == token["exp"] - 6 * 3600
        assert token["video"]["room"] == room["room"] and token["video"]["roomJoin"] is True
        claims.append(token)
    assert claims[0]["sub"].startswith("agent-") and claims[1]["sub"] == f"shopper-{desk.contact_id}"
    assert agent["media_room"]["token"] != shopper["media_room"]["token"]


@pytest.mark.parametrize("settings", [JITSI], indirect=True)
def test_co_browsing_never_names_a_media_room(runtime: Runtime, client: TestClient, desk: CallDesk) -> None:
    agent, shopper = both_joined(runtime, client, desk, ring(desk, calls.CallKind.COBROWSE))
    assert "media_room" not in agent and "media_room" not in shopper


@pytest.mark.parametrize("settings", [JITSI], indirect=True)
def test_the_call_page_may_frame_the_jitsi_meeting_only(
    runtime: Runtime, client: TestClient, desk: CallDesk
) -> None:
    login(client, "agent@acme.example.com")
    page = client.get(f"/console/acme/calls/{ring(desk)}")
    assert page.status_code == 200, page.text
    policy = page.headers["content-security-policy"]
    assert policy.endswith("; frame-src 'self' https://meet.example.com")
    assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    # Other console pages keep the usual policy.
    assert "frame-src" not in client.get("/console/acme/inbox").headers["content-security-policy"]


def test_a_peer_install_call_page_keeps_the_console_policy(
    runtime: Runtime, client: TestClient, desk: CallDesk
) -> None:
    login(client, "agent@acme.example.com")
    page = client.get(f"/console/acme/calls/{ring(desk)}")
    assert page.status_code == 200 and "frame-src" not in page.headers["content-security-policy"]
