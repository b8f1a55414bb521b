"""Co-browsing in two real browsers: the shopper on a store's own checkout page (another origin, its own
web server on 127.0.0.1) with the chat widget, the agent in the console.

What it proves (issue 20): nothing is loaded or sent before the shopper agrees (the shopper page's network
log); none of the checkout's twenty secrets reaches the agent, with the widget's masking on and with it
switched off (the server's sanitiser alone); the agent sees the page, their pointer shows on the shopper's
page, a click for the shopper is refused until the second consent and works after it; either side stops.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.settings import DEFAULT_FRONTEND_PACKAGES_DIR
from loyaldesk.support import Conversation
from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURES = Path(__file__).parent / "fixtures"
CANARIES = [
    "PW-CANARY-01",
    "4000 0566 5566 5556",
    "CVV-CANARY-03",
    "EXP-CANARY-04",
    "HIDDEN-CANARY-05",
    "SCRIPT-CANARY-06",
    "EDITABLE-CANARY-07",
    "SHADOW-INPUT-CANARY-08",
    "SHADOW-TEXT-CANARY-09",
    "IFRAME-INPUT-CANARY-10",
    "IFRAME-PW-CANARY-11",
    "TEXTAREA-CANARY-12",
    "LDMASK-CANARY-13",
    "DATAMASK-CANARY-14",
    "EMAIL-CANARY-15",
    "TYPED-CANARY-16",
    "ADDRESS-CANARY-17",
    "MUTATION-CANARY-18",
    "TEL-CANARY-19",
    "98765432123",
]
TYPED = "TYPED-CANARY-16"


class CheckoutSite:
    """The store's own web server: the checkout page (with the widget's tag), its script and its
    same-origin payment frame."""

    def __init__(self, desk: str) -> None:
        loader = f"{desk}/static/widget/loader.js"
        tag = f'<script type="module" src="{loader}" data-loyaldesk-widget data-store="acme"></script>'
        files = {
            "/checkout": ("text/html", (FIXTURES / "checkout.html").read_text().replace("{widget}", tag)),
            "/checkout.js": ("text/javascript", (FIXTURES / "checkout.js").read_text()),
            "/frame.html": ("text/html", (FIXTURES / "frame.html").read_text()),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the standard library's name for it
                found = files.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                data = found[1].encode()
                self.send_response(200)
                self.send_header("Content-Type", f"{found[0]}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site(live_server: str) -> Iterator[CheckoutSite]:
    if not (DEFAULT_FRONTEND_PACKAGES_DIR / "rrweb" / "dist" / "rrweb.js").exists():
        if os.environ.get("LOYALDESK_REQUIRE_BROWSER"):
            pytest.fail("rrweb is missing: run `make install` (npm ci in frontend/)")
        pytest.skip("rrweb is missing (make install installs it with npm)")
    serving = CheckoutSite(live_server)
    yield serving
    serving.close()


class NetworkLog:
    """What one page asked for and sent: request URLs, socket URLs and every frame sent or received."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.sockets: list[str] = []
        self.sent: list[str] = []
        self.received: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", self._socket)

    def _socket(self, socket: Any) -> None:
        self.sockets.append(socket.url)
        socket.on("framesent", lambda payload: self.sent.append(str(payload)))
        socket.on("framereceived", lambda payload: self.received.append(str(payload)))


def leaked(texts: list[str]) -> list[str]:
    everything = "\n".join(texts)
    found = [canary for canary in CANARIES if canary in everything]
    if re.search(r"4000\W?0566\W?5566\W?5556", everything):
        found.append("the card number")
    return found


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/customers")


def _start_chat(shopper: Any, site: CheckoutSite, db: Database, query: str = "") -> int:
    shopper.goto(f"{site.base}/checkout{query}")
    shopper.get_by_role("button", name="Chat with us").click()
    shopper.get_by_label("Your message").fill("I am stuck at the checkout")
    shopper.get_by_role("button", name="Send", exact=True).click()
    expect(shopper.locator(".ldw-from-customer")).to_have_count(1)
    expect(shopper.locator(".ldw-sending")).to_have_count(0)
    with db.read() as session:
        return int(session.scalars(select(Conversation.id).order_by(Conversation.id.desc())).first() or 0)


def _ask(page: Any, live_server: str, conversation_id: int) -> None:
    page.goto(f"{live_server}/console/acme/inbox?c={conversation_id}")
    page.get_by_role("button", name="Ask to see their screen").click()
    page.wait_for_url("**/cobrowse/*")
    expect(page.get_by_role("status").filter(has_text="Waiting for the shopper")).to_be_visible()


def _replayed(page: Any) -> Any:
    return page.frame_locator(".replayer-wrapper iframe")


def test_cobrowsing_consent_masking_pointer_control_and_stop(
    live_server: str,
    runtime: Runtime,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    site: CheckoutSite,
    password_hash: str,
) -> None:
    _log_in(page, live_server, make_staff(db, store, "agent", password_hash))
    page.goto(f"{live_server}/console/acme/inbox")  # online: the widget offers the chat
    agent_log = NetworkLog(page)
    shopper_log = NetworkLog(shopper)
    conversation_id = _start_chat(shopper, site, db)
    _ask(page, live_server, conversation_id)

    # The shopper is asked; until they agree nothing of co-browsing is loaded or sent.
    share = shopper.get_by_role("button", name="Share this page")
    expect(share).to_be_visible()
    expect(shopper.get_by_text("asks to see this page. Nothing is shared until you agree.")).to_be_visible()
    expect(shopper.get_by_label("Let the store keep a recording")).not_to_be_checked()
    screenshot(shopper, "cobrowse-consent")
    assert not [url for url in shopper_log.requests if "rrweb" in url]
    assert not [url for url in shopper_log.sockets if "/ws/calls/" in url]
    assert not [frame for frame in shopper_log.sent if '"rrweb"' in frame]
    share.click()

    # The agent sees the page; the shopper sees that they share it.
    expect(_replayed(page).get_by_text("Checkout: Rain jackets")).to_be_visible()
    expect(shopper.get_by_text("Sharing this page with")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="is sharing their page")).to_be_visible()
    shopper.locator("#name").click()
    shopper.keyboard.type(TYPED)
    expect(_replayed(page).get_by_text("No coupon yet")).to_be_visible()
    page.wait_for_timeout(2500)  # the page's later change (the masked text set after 1.5 s) arrives

    # The agent's pointer shows on the shopper's page.
    overlay = page.locator("[data-cobrowse-overlay]")
    box = overlay.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 200, box["y"] + 150)
    page.mouse.move(box["x"] + 220, box["y"] + 160)
    expect(shopper.locator(".ldc-pointer")).to_be_visible()
    # A highlight (the Highlight tool, then a drag) shows as a box on the shopper's page.
    page.get_by_role("button", name="Highlight (drag a box)").click()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 240, box["y"] + 120, steps=4)
    page.mouse.up()
    expect(shopper.locator(".ldc-highlight")).to_be_visible()
    screenshot(page, "cobrowse-console")
    screenshot(shopper, "cobrowse-shopper")
    page.get_by_role("button", name="Highlight (drag a box)").click()

    # A click for the shopper: refused before the second consent, done after it.
    def click_coupon() -> None:
        button = _replayed(page).locator("#apply-coupon").bounding_box()
        assert button is not None
        page.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)

    click_coupon()
    expect(page.get_by_role("status").filter(has_text="has not let you click")).to_be_visible()
    expect(shopper.locator("#coupon-result")).to_have_text("No coupon yet")
    page.get_by_role("button", name="Ask for control").click()
    shopper.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("status").filter(has_text="lets you click and type")).to_be_visible()
    click_coupon()
    expect(shopper.locator("#coupon-result")).to_have_text("Coupon applied")
    expect(_replayed(page).get_by_text("Coupon applied")).to_be_visible()

    # The shopper moves on (here: reloads the page): the sharing they agreed to goes on, the agent sees
    # the new page without asking again.
    shopper.reload()
    expect(shopper.get_by_text("Sharing this page with")).to_be_visible()
    expect(_replayed(page).get_by_text("No coupon yet")).to_be_visible()

    # Nothing secret reached the agent, whatever it received.
    assert agent_log.received, "the agent's page received nothing"
    assert leaked(agent_log.received) == []

    # The shopper stops.
    shopper.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("status").filter(has_text="Co-browsing ended.")).to_be_visible()
    expect(shopper.get_by_text("Sharing this page with")).to_be_hidden()


def test_the_servers_sanitiser_alone_keeps_the_secrets_and_the_agent_stops(
    live_server: str,
    runtime: Runtime,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    site: CheckoutSite,
    password_hash: str,
) -> None:
    _log_in(page, live_server, make_staff(db, store, "agent", password_hash))
    page.goto(f"{live_server}/console/acme/inbox")
    agent_log = NetworkLog(page)
    shopper_log = NetworkLog(shopper)
    # A tampered page: the widget's own masking is off (the test switch), so everything is sent as is.
    conversation_id = _start_chat(shopper, site, db, "?unmasked=1")
    # The agent asks while the shopper is on another page: the request waits for them.
    shopper.goto("about:blank")
    _ask(page, live_server, conversation_id)
    shopper.goto(f"{site.base}/checkout?unmasked=1")
    shopper.get_by_role("button", name="Chat with us").click()  # the request waits in the chat
    shopper.get_by_role("button", name="Share this page").click()
    expect(_replayed(page).get_by_text("Checkout: Rain jackets")).to_be_visible()
    shopper.locator("#name").click()
    shopper.keyboard.type(TYPED)
    page.wait_for_timeout(2500)
    # The shopper's browser did send the secrets (its masking is off) ...
    assert "PW-CANARY-01" in "\n".join(shopper_log.sent)
    # ... and the server kept every one of them from the agent.
    assert leaked(agent_log.received) == []
    expect(_replayed(page).get_by_text("No coupon yet")).to_be_visible()

    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("status").filter(has_text="Co-browsing ended.")).to_be_visible()
    expect(shopper.get_by_text("Sharing this page with")).to_be_hidden()
