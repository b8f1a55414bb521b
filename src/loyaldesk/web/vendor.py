"""The npm packages the pages load at run time (``frontend/package.json``, installed by ``make install``
with ``npm ci``): where they are, and whether they are there. Served under ``/static/vendor/``."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from loyaldesk.settings import Settings

log = logging.getLogger("loyaldesk.web")

RRWEB_URL = "/static/vendor/rrweb"
# The files of rrweb's package the pages load: one ES module (recorder and replayer) and the
# replayer's stylesheet.
RRWEB_MODULE = f"{RRWEB_URL}/rrweb.js"
RRWEB_STYLESHEET = f"{RRWEB_URL}/style.css"
MISSING_MESSAGE = (
    "co-browsing needs rrweb from npm: run `make install` on a machine with Node.js and npm "
    "(frontend/package.json)"
)
_told = False


def rrweb_dist_dir(settings: Settings) -> Path | None:
    """rrweb's ``dist`` folder in the installed packages, or None (said once in the log) when missing."""
    global _told
    folder = Path(settings.frontend_packages_dir) / "rrweb" / "dist"
    if (folder / "rrweb.js").is_file():
        return folder
    if not _told:
        _told = True
        log.warning("%s; looked in %s", MISSING_MESSAGE, folder)
    return None


async def missing_package(scope: Scope, receive: Receive, send: Send) -> None:
    """What ``/static/vendor/rrweb/...`` answers when rrweb is not installed: 404 saying what to do."""
    await PlainTextResponse(MISSING_MESSAGE, status_code=404)(scope, receive, send)
