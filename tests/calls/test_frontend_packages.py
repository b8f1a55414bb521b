"""rrweb comes from npm at install time (frontend/package.json, `make install`): served under
/static/vendor/rrweb/ when installed; when it is missing the URL, the inbox's button and the co-browsing
page say to run `make install`, and nothing else breaks."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from loyaldesk import calls
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.web.app import create_app
from tests.calls.conftest import CallDesk
from tests.factories import login

NEEDS_INSTALL = "co-browsing needs rrweb from npm: run `make install`"


def test_rrweb_is_served_when_installed_and_named_when_missing(
    settings: Settings, db: Database, desk: CallDesk, tmp_path: Path
) -> None:
    view = desk.db.write(
        lambda uow: calls.request_session(
            uow, desk.agent, conversation_id=desk.conversation_id, kind=calls.CallKind.COBROWSE
        )
    )
    installed = Path(settings.frontend_packages_dir) / "rrweb" / "dist" / "rrweb.js"
    if installed.exists():  # `make install` ran here: the module any shop page may load
        with TestClient(
            create_app(runtime=Runtime(settings, database=db)), base_url="https://testserver"
        ) as app:
            module = app.get("/static/vendor/rrweb/rrweb.js", headers={"origin": "https://shop.example"})
            assert module.status_code == 200 and "Replayer" in module.text
            assert module.headers["access-control-allow-origin"] == "*"
    missing = settings.model_copy(update={"frontend_packages_dir": tmp_path / "nothing"})
    with TestClient(create_app(runtime=Runtime(missing, database=db)), base_url="https://testserver") as app:
        answer = app.get("/static/vendor/rrweb/rrweb.js")
        assert answer.status_code == 404 and NEEDS_INSTALL in answer.text
        login(app, "agent@acme.example.com")
        inbox = app.get(f"/console/acme/inbox?c={desk.conversation_id}")
        assert NEEDS_INSTALL in inbox.text
        page = app.get(f"/console/acme/cobrowse/{view.id}")
        assert page.status_code == 200 and NEEDS_INSTALL in page.text
