"""The steps of a video call between an agent in the console and a shopper in the chat widget, in two real
Chromium contexts with a fake camera and microphone. Shared by tests/e2e/test_video_call_browser.py and
bench/calls_connect.py (which runs the same flow many times and reports the connect times)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from loyaldesk.stores.credentials import shopper_signature
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff

# A fake camera (a moving test pattern) and microphone (a beep), and no permission prompt.
FAKE_MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
CUSTOMER = "caller-1"

# What the page's RTCPeerConnection reports: the selected candidate pair's local/remote types, and the
# bytes received so far per kind (inbound-rtp).
STATS_SCRIPT = """async () => {
  const pc = window.loyaldeskCall && window.loyaldeskCall.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  const result = {state: pc.connectionState, pair: null, bytes: {audio: 0, video: 0}};
  stats.forEach((report) => {
    if (report.type === "transport" && report.selectedCandidatePairId) {
      const pair = stats.get(report.selectedCandidatePairId);
      result.pair = {local: stats.get(pair.localCandidateId).candidateType,
                     remote: stats.get(pair.remoteCandidateId).candidateType};
    }
    if (report.type === "inbound-rtp") result.bytes[report.kind] += report.bytesReceived || 0;
  });
  return result;
}"""


@contextmanager
def media_browser() -> Iterator[Any]:
    """Chromium with the fake camera and microphone (a launch of its own: the suite's shared browser has
    no media flags)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def log_in_agent(page: Any, live_server: str, db: Database, store: StoreHandle, password_hash: str) -> None:
    email = make_staff(db, store, "agent", password_hash)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/console/{store.slug}/customers")


def open_inbox(page: Any, live_server: str, store: StoreHandle, conversation_id: int | None = None) -> None:
    query = f"?c={conversation_id}" if conversation_id else ""
    page.goto(f"{live_server}/console/{store.slug}/inbox{query}")
    page.locator("[data-inbox][data-live='true']").wait_for()


def open_widget(shopper: Any, live_server: str, db: Database, store: StoreHandle) -> None:
    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    query = urlencode({"customer": CUSTOMER, "signature": shopper_signature(secret, CUSTOMER)})
    shopper.goto(f"{live_server}/widget/{store.slug}/demo-shop?{query}")
    shopper.get_by_role("button", name="Chat with us").click()
    shopper.get_by_role("dialog").get_by_label("Your message").wait_for()
    shopper.locator(".ldw-messages > li").first.wait_for()


def start_conversation(shopper: Any, page: Any, text: str = "Can you show me how to fit it?") -> int:
    """The shopper writes; the agent's inbox shows the conversation; its id."""
    box = shopper.get_by_role("dialog").get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    shopper.locator(".ldw-from-customer:not(.ldw-sending)").first.wait_for()
    item = page.locator("[data-conversation-list] .conversation-item").first
    item.wait_for()
    conversation_id = int(item.get_attribute("data-conversation-id") or 0)
    item.get_by_role("link").click()
    page.wait_for_url(re.compile(rf".*[?&]c={conversation_id}\b.*"))
    page.locator("[data-inbox][data-live='true']").wait_for()
    return conversation_id


def wait_connected(page: Any, timeout: float = 20.0) -> None:
    page.wait_for_function(
        "() => window.loyaldeskCall?.pc?.connectionState === 'connected'", timeout=timeout * 1000
    )


def stats(page: Any) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(STATS_SCRIPT)
    return found


def media_flows(page: Any, kind: str, seconds: float = 6.0) -> bool:
    """Whether bytes of ``kind`` ("audio"/"video") keep arriving at this page (two readings apart)."""
    first = stats(page)["bytes"][kind]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.3)
        if stats(page)["bytes"][kind] > first > 0 or (first == 0 and stats(page)["bytes"][kind] > 0):
            later = stats(page)["bytes"][kind]
            time.sleep(0.3)
            return bool(stats(page)["bytes"][kind] > later)
    return False


def remote_video_width(page: Any) -> int:
    width: int = page.evaluate("() => document.querySelector('[data-call-remote]')?.videoWidth || 0")
    return width


def connect_ms(page: Any) -> float | None:
    """From the answer to the connection ('connected'), as this page measured it."""
    value = page.evaluate("() => window.loyaldeskCall && window.loyaldeskCall.timings.connectMs")
    return float(value) if value is not None else None
