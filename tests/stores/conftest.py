"""Fixtures for staff accounts: a real SMTP peer (aiosmtpd on 127.0.0.1), an app that mails through it,
a real server on a loopback port, and helpers to read links out of mail and to wait for a socket to close."""

from __future__ import annotations

import email
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.mail_transport import SmtpTransport
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores import account_mail
from tests.factories import app_serving
from tests.servers import free_port, serve_in_thread


@dataclass
class MailPeer:
    """An SMTP server on loopback and what it received."""

    port: int
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    @property
    def transport(self) -> SmtpTransport:
        return SmtpTransport("127.0.0.1", self.port, starttls=False, timeout=5)

    def deliver(self, db: Database) -> list[EmailMessage]:
        """Run the account mail job once against this peer; the messages that arrived by it."""
        before = len(self.received)
        account_mail.send_due(db, self.transport)
        return [message for _, _, message in self.received[before:]]


@pytest.fixture
def smtp_peer() -> Iterator[MailPeer]:
    peer = MailPeer(port=free_port())
    controller = Controller(peer, hostname="127.0.0.1", port=peer.port)
    controller.start()
    try:
        yield peer
    finally:
        controller.stop()


def mailing_settings(settings: Settings, peer: MailPeer) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": peer.port, "smtp_starttls": False}
    )


@pytest.fixture
def mailing_runtime(settings: Settings, db: Database, smtp_peer: MailPeer) -> Runtime:
    """The runtime of an install whose outbound mail goes to ``smtp_peer``."""
    return Runtime(mailing_settings(settings, smtp_peer), database=db)


@pytest.fixture
def mailing_client(mailing_runtime: Runtime) -> Iterator[TestClient]:
    with (
        app_serving(mailing_runtime) as app,
        TestClient(app, base_url="https://testserver") as test_client,
    ):
        yield test_client


def another_client(client: TestClient) -> TestClient:
    """A second browser on the same app (its own cookies), without a second app lifespan."""
    other = TestClient(client.app, base_url="https://testserver")
    other.portal = client.portal  # type: ignore[attr-defined]
    return other


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def link_path(text: str, kind: str) -> str:
    """The path of the first ``/invitations/...`` or ``/login/reset/...`` link in a text."""
    found = re.search(rf"https?://[^/\s]+(/{kind}/[A-Za-z0-9._\-]+)", text)
    assert found, f"no {kind} link in {text!r}"
    return found.group(1)


def shown_link(html: str) -> str:
    """The invitation link the console shows once (no mail on the install)."""
    found = re.search(r'id="invitation-link" class="token">https?://[^/\s<]+(/invitations/[^<\s]+)<', html)
    assert found, "no invitation link on the page"
    return found.group(1)


def close_code(ws: Any, timeout: float = 10.0) -> int:
    """Frames are read (and dropped) until the server closes the socket; its close code. Fails the test
    if the socket stays open ``timeout`` seconds (a thread reads, so a stuck socket cannot hang the test)."""
    outcome: queue.Queue[int | BaseException] = queue.Queue()

    def read() -> None:
        try:
            while True:
                ws.receive_text()
        except WebSocketDisconnect as closed:
            outcome.put(closed.code)
        except BaseException as error:
            outcome.put(error)

    threading.Thread(target=read, daemon=True).start()
    try:
        result = outcome.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"the socket was still open after {timeout} s") from None
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.fixture
def live_runtime(settings: Settings, db: Database) -> Runtime:
    """A runtime for a real server on loopback over plain HTTP (cookies without the Secure flag)."""
    return Runtime(settings.model_copy(update={"cookie_secure": False}), database=db)


@pytest.fixture
def live_server(live_runtime: Runtime) -> Iterator[str]:
    with serve_in_thread(live_runtime) as base:
        yield base
