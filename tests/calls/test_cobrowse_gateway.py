"""The calls gateway (``/ws/calls/{store}/{session}``) with co-browsing: who may join, the shopper's
consent, the sanitised page stream, control refused then allowed, stop from either side, the caps, the
end of a call both parties left, and the relay across processes (Redis)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from loyaldesk import calls
from loyaldesk.calls.models import CallSession
from loyaldesk.kernel.db import Database
from loyaldesk.realtime import calls_grace
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.support import identify_contact, issue_ticket
from loyaldesk.web.app import create_app
from tests.calls.conftest import CallDesk
from tests.conftest import REDIS_URL
from tests.factories import login

CARD = "4111111111111111"
ORIGIN = {"origin": "https://testserver"}


def ask(desk: CallDesk) -> int:
    view = desk.db.write(
        lambda uow: calls.request_session(
            uow, desk.agent, conversation_id=desk.conversation_id, kind=calls.CallKind.COBROWSE
        )
    )
    return int(view.id)


def url(session_id: int, slug: str = "acme") -> str:
    return f"wss://testserver/ws/calls/{slug}/{session_id}"


def receive(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next frame of ``kind`` (presence frames in between are skipped)."""
    while True:
        frame = json.loads(ws.receive_text())
        if frame["type"] == kind:
            return frame
        assert frame["type"] in ("peer", "ping"), frame


def refusal(
    client: TestClient, target: str, hello: dict[str, Any], headers: dict[str, str]
) -> tuple[str, int]:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(target, headers=headers) as ws,
    ):
        ws.send_text(json.dumps(hello))
        error = json.loads(ws.receive_text())
        ws.receive_text()
    return error["code"], closed.value.code


def full_snapshot(value: str) -> list[dict[str, Any]]:
    """rrweb's meta and full snapshot of a page with one card-number input (its value as typed)."""
    page = {
        "type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 4, "tagName": "input",
                     "attributes": {"type": "text", "autocomplete": "cc-number", "value": value},
                     "childNodes": []},
                    {"type": 3, "id": 5, "textContent": "Checkout"},
                ]},
            ]},
        ],
    }  # fmt: skip
    return [
        {
            "type": 4,
            "data": {"href": "https://shop.example/checkout", "width": 800, "height": 600},
            "timestamp": 1,
        },
        {"type": 2, "data": {"node": page, "initialOffset": {"left": 0, "top": 0}}, "timestamp": 2},
    ]


@pytest.fixture
def agent_client(runtime: Runtime, client: TestClient, desk: CallDesk) -> TestClient:
    login(client, "agent@acme.example.com")
    return client


def staff_client(client: TestClient, email: str) -> TestClient:
    """Another browser on the same server, logged in as ``email``."""
    browser = TestClient(client.app, base_url="https://testserver")
    login(browser, email)
    return browser


def shopper_hello(runtime: Runtime, desk: CallDesk, contact_id: int | None = None) -> dict[str, Any]:
    ticket = issue_ticket(runtime.secret_key, desk.store.id, contact_id or desk.contact_id)
    return {"type": "hello", "as": "shopper", "ticket": ticket}


def test_only_the_sessions_own_parties_may_join(
    runtime: Runtime, client: TestClient, desk: CallDesk, db: Database
) -> None:
    session_id = ask(desk)
    agent = {"type": "hello", "as": "agent"}
    # Anonymous: no console session.
    assert refusal(client, url(session_id), agent, ORIGIN) == ("refused_4401", 4401)
    # A shopper's ticket of another contact, of another store, or none at all.
    stranger = desk.db.write(
        lambda uow: identify_contact(
            uow, desk.store.id, customer_id=None, visitor_token="stranger-1234567890"
        )
    )
    other_contact = stranger.contact_id
    assert refusal(client, url(session_id), shopper_hello(runtime, desk, other_contact), ORIGIN)[1] == 4403
    foreign = {
        "type": "hello",
        "as": "shopper",
        "ticket": issue_ticket(runtime.secret_key, 999, desk.contact_id),
    }
    assert refusal(client, url(session_id), foreign, ORIGIN)[1] == 4401
    assert refusal(client, url(session_id), {"type": "hello", "as": "shopper"}, ORIGIN)[1] == 4401
    # Another store's agent: not this store's call (its own store's slug does not help).
    foreigner = staff_client(client, "agent@globex.example.com")
    assert refusal(foreigner, url(session_id), agent, ORIGIN)[1] == 4404
    assert refusal(foreigner, url(session_id, "globex"), agent, ORIGIN)[1] == 4404
    # A role that does not answer conversations; then the agent from another site's page.
    assert (
        refusal(staff_client(client, "analyst@acme.example.com"), url(session_id), agent, ORIGIN)[1] == 4403
    )
    client = staff_client(client, "agent@acme.example.com")
    assert refusal(client, url(session_id), agent, {"origin": "https://evil.example"})[1] == 4403
    # A session id that is no session, and a hello that names no party.
    assert refusal(client, url(session_id + 1000), agent, ORIGIN)[1] == 4404
    assert refusal(client, url(session_id), {"type": "hello", "as": "boss"}, ORIGIN)[1] == 4400
    # Nothing changed: still waiting for the shopper's consent.
    assert desk.read(calls.session_view, session_id).state == calls.CallState.REQUESTED


def test_consent_sanitised_stream_pointer_control_and_the_shoppers_stop(
    runtime: Runtime, agent_client: TestClient, desk: CallDesk
) -> None:
    session_id = ask(desk)
    with agent_client.websocket_connect(url(session_id), headers=ORIGIN) as agent:
        agent.send_text(json.dumps({"type": "hello", "as": "agent"}))
        joined = receive(agent, "joined")
        assert joined["role"] == "agent" and joined["session"]["state"] == "requested"
        assert joined["peer_present"] is False and joined["ice_transport_policy"] == "all"
        with agent_client.websocket_connect(url(session_id), headers=ORIGIN) as shopper:
            shopper.send_text(json.dumps(shopper_hello(runtime, desk)))
            assert receive(shopper, "joined")["peer_present"] is True
            assert json.loads(agent.receive_text()) == {"type": "peer", "present": True}
            # Before consent nothing of the page passes.
            shopper.send_text(json.dumps({"type": "rrweb", "events": full_snapshot(CARD)}))
            assert receive(shopper, "error")["code"] == "not_sharing"
            shopper.send_text(json.dumps({"type": "consent", "mode": "view", "granted": True}))
            assert receive(agent, "state")["session"]["state"] == "active"
            assert receive(shopper, "state")["session"]["state"] == "active"
            # The page, as a tampered client would send it (the card number unmasked): masked on the way.
            shopper.send_text(json.dumps({"type": "rrweb", "events": full_snapshot(CARD)}))
            relayed = agent.receive_text()
            assert CARD not in relayed and "Checkout" in relayed
            assert json.loads(relayed)["type"] == "rrweb"
            # The agent's pointer reaches the shopper, with nothing else riding along.
            agent.send_text(json.dumps({"type": "pointer", "x": 120, "y": 80, "extra": "<script>"}))
            assert receive(shopper, "pointer") == {"type": "pointer", "x": 120, "y": 80}
            # Clicking for the shopper: refused until they allow it, then relayed.
            agent.send_text(json.dumps({"type": "control", "action": "click", "node_id": 4}))
            assert receive(agent, "error")["code"] == "control_not_allowed"
            agent.send_text(json.dumps({"type": "ask_control"}))
            assert receive(shopper, "ask_control") == {"type": "ask_control"}
            shopper.send_text(json.dumps({"type": "consent", "mode": "control", "granted": True}))
            assert receive(agent, "state")["session"]["control_allowed"] is True
            receive(shopper, "state")
            agent.send_text(json.dumps({"type": "control", "action": "input", "node_id": 4, "text": "hi"}))
            assert receive(shopper, "control") == {
                "type": "control",
                "action": "input",
                "node_id": 4,
                "text": "hi",
            }
            # Frames over their cap are refused; the session goes on.
            agent.send_text(json.dumps({"type": "pointer", "x": 1, "y": 1, "pad": "x" * 20_000}))
            assert receive(agent, "error")["code"] == "too_large"
            shopper.send_text(json.dumps({"type": "rrweb", "events": [{"type": 3, "data": "x" * 2_200_000}]}))
            assert receive(shopper, "error")["code"] == "too_large"
            # The shopper stops: both are told, and both sockets close.
            shopper.send_text(json.dumps({"type": "stop"}))
            assert receive(shopper, "state")["session"]["state"] == "ended"
            assert receive(agent, "state")["session"]["ended_by"] == "shopper"
            with pytest.raises(WebSocketDisconnect):
                receive(agent, "never")
    ended = desk.read(calls.session_view, session_id)
    assert ended.state == calls.CallState.ENDED and ended.ended_by == calls.CallParty.SHOPPER
    with desk.db.read() as session:  # what the gateway relayed is kept with the session
        row = session.get(CallSession, session_id)
        assert row is not None and row.frames_relayed >= 4 and row.bytes_relayed > 100


def test_the_agent_stops_and_a_call_both_left_ends_by_itself(
    runtime: Runtime, agent_client: TestClient, desk: CallDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls_grace, "ABANDONED_GRACE_SECONDS", 0.2)
    monkeypatch.setattr(calls_grace, "PROBE_WAIT_SECONDS", 0.2)
    first = ask(desk)
    with agent_client.websocket_connect(url(first), headers=ORIGIN) as agent:
        agent.send_text(json.dumps({"type": "hello", "as": "agent"}))
        receive(agent, "joined")
        with agent_client.websocket_connect(url(first), headers=ORIGIN) as shopper:
            shopper.send_text(json.dumps(shopper_hello(runtime, desk)))
            receive(shopper, "joined")
            shopper.send_text(json.dumps({"type": "consent", "mode": "view", "granted": True}))
            receive(agent, "state")
            receive(shopper, "state")
            agent.send_text(json.dumps({"type": "stop"}))
            assert receive(shopper, "state")["session"]["ended_by"] == "agent"
    assert desk.read(calls.session_view, first).state == calls.CallState.ENDED
    # A second session: the shopper agrees, then both close their pages.
    second = ask(desk)
    with agent_client.websocket_connect(url(second), headers=ORIGIN) as shopper:
        shopper.send_text(json.dumps(shopper_hello(runtime, desk)))
        receive(shopper, "joined")
        shopper.send_text(json.dumps({"type": "consent", "mode": "view", "granted": True}))
        receive(shopper, "state")
    deadline = time.monotonic() + 10
    while desk.read(calls.session_view, second).state != calls.CallState.ENDED:
        assert time.monotonic() < deadline, "the abandoned session did not end"
        time.sleep(0.1)
    assert desk.read(calls.session_view, second).ended_by == calls.CallParty.SYSTEM


def test_a_ring_nobody_answers_is_missed(
    runtime: Runtime, agent_client: TestClient, desk: CallDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls_grace, "RING_SECONDS", 0.3)
    view = desk.db.write(
        lambda uow: calls.request_session(
            uow, desk.agent, conversation_id=desk.conversation_id, kind=calls.CallKind.VIDEO
        )
    )
    with agent_client.websocket_connect(url(view.id), headers=ORIGIN) as agent:
        agent.send_text(json.dumps({"type": "hello", "as": "agent"}))
        assert receive(agent, "joined")["session"]["state"] == "requested"
        # Signalling passes while it rings (the shopper's side would answer with its own description).
        agent.send_text(json.dumps({"type": "signal", "description": {"type": "offer", "sdp": "v=0"}}))
        assert receive(agent, "state")["session"]["state"] == "missed"
    assert desk.read(calls.session_view, view.id).state == calls.CallState.MISSED


@pytest.fixture
def two_processes(settings: Settings, db: Database) -> Iterator[tuple[TestClient, TestClient]]:
    """Two servers on one database, relaying through Redis (as two processes would)."""
    if not REDIS_URL:
        pytest.skip("needs LOYALDESK_TEST_REDIS_URL")
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    with (
        TestClient(create_app(runtime=Runtime(shared, database=db)), base_url="https://testserver") as one,
        TestClient(create_app(runtime=Runtime(shared, database=db)), base_url="https://testserver") as two,
    ):
        yield one, two


def test_the_parties_may_sit_on_different_processes(
    two_processes: tuple[TestClient, TestClient], desk: CallDesk, runtime: Runtime
) -> None:
    one, two = two_processes
    login(one, "agent@acme.example.com")
    session_id = ask(desk)
    with one.websocket_connect(url(session_id), headers=ORIGIN) as agent:
        agent.send_text(json.dumps({"type": "hello", "as": "agent"}))
        receive(agent, "joined")
        with two.websocket_connect(url(session_id), headers=ORIGIN) as shopper:
            shopper.send_text(json.dumps(shopper_hello(runtime, desk)))
            assert receive(shopper, "joined")["peer_present"] is True
            shopper.send_text(json.dumps({"type": "consent", "mode": "view", "granted": True}))
            assert receive(agent, "state")["session"]["state"] == "active"
            receive(shopper, "state")
            shopper.send_text(json.dumps({"type": "rrweb", "events": full_snapshot(CARD)}))
            relayed = receive(agent, "rrweb")
            assert CARD not in json.dumps(relayed)
            agent.send_text(json.dumps({"type": "pointer", "x": 5, "y": 6}))
            assert receive(shopper, "pointer") == {"type": "pointer", "x": 5, "y": 6}
