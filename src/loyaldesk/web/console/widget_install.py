"""Inbox → Install the chat: what a store pastes into its own pages (the widget's script tag with this
install's public address), what its Content-Security-Policy must allow, which pages may show the chat,
and how its server signs a signed-in shopper's id, in a few server languages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.channels import push
from loyaldesk.journeys import messaging_settings
from loyaldesk.stores import Permission
from loyaldesk.support import queries
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

PUSH_WORKER_PATH = "/loyaldesk-sw.js"

router = APIRouter(include_in_schema=False)

# The recipes read the secret from the environment of the store's server: it never belongs in a page.
SECRET_VARIABLE = "LOYALDESK_IDENTITY_SECRET"


@dataclass(frozen=True)
class Recipe:
    """How one server language signs a shopper's id: ``code`` defines a function of that name."""

    key: str
    language: str
    function: str
    code: str


RECIPES = (
    Recipe(
        "python",
        "Python",
        "loyaldesk_signature",
        f"""import hashlib, hmac, os

def loyaldesk_signature(customer_id: str) -> str:
    secret = os.environ["{SECRET_VARIABLE}"]
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()""",
    ),
    Recipe(
        "node",
        "Node.js",
        "loyaldeskSignature",
        f"""const crypto = require("node:crypto");

function loyaldeskSignature(customerId) {{
  return crypto.createHmac("sha256", process.env.{SECRET_VARIABLE})
    .update(String(customerId))
    .digest("hex");
}}""",
    ),
    Recipe(
        "php",
        "PHP",
        "loyaldesk_signature",
        f"""function loyaldesk_signature(string $customerId): string {{
    return hash_hmac('sha256', $customerId, getenv('{SECRET_VARIABLE}'));
}}""",
    ),
    Recipe(
        "ruby",
        "Ruby",
        "loyaldesk_signature",
        f"""require "openssl"

def loyaldesk_signature(customer_id)
  OpenSSL::HMAC.hexdigest("SHA256", ENV.fetch("{SECRET_VARIABLE}"), customer_id.to_s)
end""",
    ),
)


def desk_origin(public_base_url: str) -> tuple[str, str]:
    """(``https://desk.example``, ``wss://desk.example``): where the store's pages fetch the widget from
    and where its socket connects."""
    parts = urlsplit(public_base_url.strip())
    origin = f"{parts.scheme}://{parts.netloc}"
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    return origin, f"{socket_scheme}://{parts.netloc}"


def snippets(public_base_url: str, store_slug: str) -> dict[str, str]:
    """The script tag for anonymous visitors and for a signed-in shopper (placeholders the store's
    templates fill), and the Content-Security-Policy sources its pages must allow."""
    base = public_base_url.strip().rstrip("/")
    origin, socket_origin = desk_origin(base)
    tag = (
        f'<script type="module" src="{base}/static/widget/loader.js" data-loyaldesk-widget '
        f'data-store="{store_slug}"'
    )
    return {
        "anonymous": f"{tag}></script>",
        "signed_in": (
            f'{tag}\n        data-customer-id="CUSTOMER_ID" data-customer-signature="SIGNATURE"></script>'
        ),
        "csp": (
            f"script-src {origin}; style-src {origin}; img-src {origin}; connect-src {origin} {socket_origin}"
        ),
        "origin": origin,
        "socket_origin": socket_origin,
    }


@router.get("/console/{store_slug}/inbox-settings/widget", response_class=HTMLResponse)
def install_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """For those who manage the desk (owners and admins)."""
    console.require(Permission.MANAGE_SUPPORT)
    with runtime.database.read() as session:
        settings = queries.settings_of(session, console.store.id)
        keys = push.push_keys(session, console.store.id)
    base = runtime.settings.public_base_url.strip().rstrip("/")
    context: dict[str, Any] = {
        "console": console,
        "section": "inbox",
        "public_base_url": base,
        "snippet": snippets(base, console.store.slug),
        "allowed_origins": list(settings.widget_allowed_origins or []),
        "recipes": RECIPES,
        "secret_variable": SECRET_VARIABLE,
        "can_see_secret": console.can(Permission.MANAGE_STORE_SETTINGS),
        "push_on": keys is not None and keys.enabled,
        "push_worker_path": PUSH_WORKER_PATH,
        "push_snippet": push_snippet(base, console.store.slug),
        "notice": request.query_params.get("notice"),
    }
    return render(request, "inbox/install.html", context)


def push_snippet(public_base_url: str, store_slug: str) -> str:
    """The signed-in shopper's tag with the service worker's path on the store's own site."""
    signed_in = snippets(public_base_url, store_slug)["signed_in"]
    return signed_in.replace("></script>", f'\n        data-push-worker="{PUSH_WORKER_PATH}"></script>')


@router.post("/console/{store_slug}/inbox-settings/widget/push")
async def switch_push(
    runtime: RuntimeDep,
    console: ConsoleDep,
    enabled: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Web push on or off; the first time on makes the store's VAPID keys (their contact: the store's
    sender address from the messaging settings, else this desk's public address)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    with runtime.database.read() as session:
        sender = messaging_settings(session, console.store.id).sender_email
    subject = f"mailto:{sender}" if sender else runtime.settings.public_base_url.strip().rstrip("/")
    await runtime.database.write_async(
        push.set_push_enabled, console.actor, console.store.id, enabled=enabled, subject=subject
    )
    notice = "Web push is on." if enabled else "Web push is off."
    page = f"/console/{console.store.slug}/inbox-settings/widget"
    return RedirectResponse(f"{page}?notice={quote(notice)}#install-push", status_code=303)
