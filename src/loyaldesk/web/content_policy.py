"""The Content-Security-Policy of loyaldesk's pages (``web.app.SecurityHeadersMiddleware`` sends them; a
response that sets its own keeps it), and the call pages' policy where calls go to a Jitsi server."""

from __future__ import annotations

from fastapi import Response

from loyaldesk.settings import Settings

# Console pages load only their own scripts and styles; nothing inline, nothing from elsewhere.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


# The member page and invitation page are made to be embedded in the store's own site.
# Product pictures ("picked for you") come from the store's own image host, over https.
MEMBER_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; frame-ancestors *; base-uri 'none'; form-action 'self'"
)


def allow_media_server_frames(response: Response, settings: Settings, *, console: bool) -> Response:
    """A call page's ``response``, letting it show the install's Jitsi meeting in a frame (``frame-src``
    the Jitsi domain, over https) when ``media_server`` is jitsi; otherwise untouched (the page gets the
    usual policy: console pages ``CONSOLE_CSP`` and ``X-Frame-Options: DENY``, member pages
    ``MEMBER_PAGE_CSP``)."""
    if settings.media_server != "jitsi" or not settings.jitsi_domain:
        return response
    policy = CONSOLE_CSP if console else MEMBER_PAGE_CSP
    response.headers["Content-Security-Policy"] = (
        f"{policy}; frame-src 'self' https://{settings.jitsi_domain}"
    )
    if console:
        response.headers["X-Frame-Options"] = "DENY"
    return response
