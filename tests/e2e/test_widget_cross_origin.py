"""The chat widget on a store's own site, in real browsers: a *second* web server on another port of
127.0.0.1 plays the store. Its page carries the tag and the Content-Security-Policy sources copied from the
console's install page, and signs its logged-in shopper with the Python recipe from that page. The shopper
chats and sends a photo, the agent answers and sends one back, and the widget shows it and downloads it.
The same page served from an origin the store did not allow gets the chat refused, saying why."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.stores import store_by_id
from tests.e2e.conftest import screenshot
from tests.e2e.test_live_chat_browser import TINY_PNG
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff

pytestmark = pytest.mark.e2e

SHOPPER_ID = "C-42"
SHOPPER_NAME = "Nora"  # as the store's backend told loyaldesk


class StoreSite:
    """A store's web server: one page, with whatever body and policy the test gives it."""

    def __init__(self) -> None:
        self.body = "<!doctype html><title>empty</title>"
        self.policy = "default-src 'self'"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the standard library's name for it
                if self.path not in ("/", "/shop"):
                    self.send_error(404)
                    return
                data = site.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", site.policy)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store_site() -> Iterator[StoreSite]:
    site = StoreSite()
    yield site
    site.close()


def _shop_page(snippet: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme outdoor · our own shop</title></head>
<body><h1>Rain jackets</h1><p>This page is served by the store's own server.</p>
{snippet}
</body></html>"""


def _merged_policy(copied: str) -> str:
    """The store's own strict policy with the sources the install page said to add, the way a developer
    merges them: each copied directive gets the page's own 'self' besides the desk's address."""
    directives = [part.strip() for part in copied.split(";") if part.strip()]
    merged = ["default-src 'self'"]
    for directive in directives:
        name, *sources = directive.split()
        merged.append(" ".join([name, "'self'", *sources]))
    merged += [
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types loyaldesk-widget",
    ]
    return "; ".join(merged)


def _log_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/customers")


def _copy(page, target: str) -> str:  # type: ignore[no-untyped-def]
    """Click the Copy button of ``target`` on the install page and read the clipboard, as a person would."""
    page.locator(f'[data-copy="{target}"]').click()
    expect(page.locator(f'[data-copy="{target}"]')).to_have_text("Copied")
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_the_widget_works_on_the_stores_own_site(
    live_server: str,
    runtime: Runtime,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    db: Database,
    store: StoreHandle,
    store_site: StoreSite,
    password_hash: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime.settings.public_base_url = live_server  # this install's public address
    db.write(upsert_customer, store.actor, store.id, SHOPPER_ID, CustomerProfile(first_name=SHOPPER_NAME))
    shop_origin = f"http://127.0.0.1:{store_site.port}"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    _log_in(page, live_server, make_staff(db, store, "admin", password_hash))

    # The admin allows the shop's pages, then copies what the install page gives.
    page.goto(f"{live_server}/console/{store.slug}/inbox-settings/desk")
    page.get_by_label("Pages allowed to show the chat", exact=False).fill(shop_origin)
    page.get_by_role("button", name="Save settings").click()
    page.goto(f"{live_server}/console/{store.slug}/inbox-settings/widget")
    expect(page.locator("[data-allowed-origins]")).to_contain_text(shop_origin)
    expect(page.locator("[data-public-address]")).to_have_text(live_server)
    screenshot(page, "widget-install")
    tag = _copy(page, "#snippet-signed-in")
    policy = _copy(page, "#snippet-csp")
    recipe = _copy(page, "#recipe-python")
    assert f'src="{live_server}/static/widget/loader.js"' in tag

    # The store's server signs its logged-in shopper with the recipe, its secret in its environment.
    with db.read() as session:
        monkeypatch.setenv("LOYALDESK_IDENTITY_SECRET", store_by_id(session, store.id).identity_secret)
    namespace: dict[str, Any] = {}
    exec(recipe, namespace)
    signature = namespace["loyaldesk_signature"](SHOPPER_ID)
    store_site.body = _shop_page(tag.replace("CUSTOMER_ID", SHOPPER_ID).replace("SIGNATURE", signature))
    store_site.policy = _merged_policy(policy)

    violations: list[str] = []
    shopper.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # The agent's inbox is open (so the chat is online); the shopper writes from the store's page, the
    # conversation arrives live, the agent answers.
    page.goto(f"{live_server}/console/{store.slug}/inbox")
    page.locator("[data-inbox][data-live='true']").wait_for()
    shopper.goto(f"{shop_origin}/shop")
    shopper.get_by_role("button", name="Chat with us").click()
    chat = shopper.get_by_role("dialog")
    chat.get_by_label("Your message").wait_for()
    shopper.locator(".ldw-messages > li").first.wait_for()  # the welcome arrived over the socket
    box = chat.get_by_label("Your message")
    box.fill("Do you ship rain jackets to Norway?")
    box.press("Enter")
    shopper.locator(".ldw-from-customer[data-message-id]").wait_for()
    row = page.locator("[data-conversation-list] .conversation-item").filter(has_text=SHOPPER_NAME)
    row.wait_for()
    row.get_by_role("link").click()
    page.locator("[data-inbox][data-live='true']").wait_for()
    expect(page.locator("[data-message-list]")).to_contain_text("Do you ship rain jackets to Norway?")
    page.get_by_label(f"Reply to {SHOPPER_NAME}").fill("We do, in **three days**.")
    page.get_by_role("button", name="Send", exact=True).click()
    reply = shopper.locator(".ldw-from-agent[data-message-id]").filter(has_text="three days")
    reply.wait_for()
    assert reply.locator("strong").inner_text() == "three days"  # the desk's HTML, through the policy

    # Files both ways: the shopper's photo reaches the agent, the agent's reaches the shopper.
    shopper.locator("#ldw-files").set_input_files(
        files=[{"name": "jacket.png", "mimeType": "image/png", "buffer": TINY_PNG}]
    )
    page.locator("[data-message-list] .message-file").filter(has_text="jacket.png").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.message-file img')].some((img) => img.naturalWidth === 1)"
    )
    page.locator("[data-files]").set_input_files(
        files=[{"name": "size-chart.png", "mimeType": "image/png", "buffer": TINY_PNG}]
    )
    page.get_by_label(f"Reply to {SHOPPER_NAME}").fill("Here is the size chart.")
    page.get_by_role("button", name="Send", exact=True).click()
    sent_back = shopper.locator(".ldw-file").filter(has_text="size-chart.png")
    sent_back.wait_for()
    shopper.wait_for_function(
        "() => [...document.querySelectorAll('.ldw-file img')].some((img) => img.naturalWidth === 1)"
    )
    with shopper.expect_download() as download_info:
        sent_back.click()
    download = download_info.value
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == TINY_PNG
    screenshot(shopper, "widget-on-the-stores-site")
    assert violations == [], violations

    # The same page on an origin the store did not list: the chat says why it does not open.
    other = shopper.context.new_page()
    other.goto(f"http://localhost:{store_site.port}/shop")
    other.get_by_role("button", name="Chat with us").click()
    expect(other.locator(".ldw-status")).to_contain_text(
        f"this page's origin (http://localhost:{store_site.port}) may not open this store's chat"
    )
    other.close()


def test_the_documented_snippet_needs_no_extra_policy_without_a_signed_in_shopper(
    live_server: str,
    runtime: Runtime,
    shopper,  # type: ignore[no-untyped-def]
    store: StoreHandle,
    store_site: StoreSite,
) -> None:
    """No allowed origins listed: the default lets this machine's http pages show the chat, and an
    anonymous visitor gets the offline form (nobody is online) and leaves a message."""
    runtime.settings.public_base_url = live_server
    from loyaldesk.web.console.widget_install import snippets

    given = snippets(live_server, store.slug)
    store_site.body = _shop_page(given["anonymous"])
    store_site.policy = _merged_policy(given["csp"])
    shopper.goto(f"http://127.0.0.1:{store_site.port}/")
    shopper.get_by_role("button", name="Chat with us").click()
    chat = shopper.get_by_role("dialog")
    chat.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    chat.get_by_role("textbox", name="Email", exact=True).fill("ada@example.com")
    chat.get_by_role("textbox", name="Message", exact=True).fill("Please call me back about my order.")
    chat.get_by_role("button", name="Send message").click()
    expect(chat.get_by_role("status").filter(has_text="Thank you")).to_be_visible()
