"""An admin switches web push on from *Inbox → Install the chat*: the store's keys are made, audited, and
the page gives the service worker and the tag that names it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.channels.push import push_keys
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_staff


def test_an_admin_switches_web_push_on_and_off(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "admin", password_hash))
    page_url = f"/console/{store.slug}/inbox-settings/widget"
    page = client.get(page_url)
    assert page.status_code == 200 and "Switch web push on" in page.text
    assert (
        "/widget/push/service-worker.js" in page.text and 'data-push-worker="/loyaldesk-sw.js"' in page.text
    )

    switched = client.post(
        f"{page_url}/push", data={"enabled": "true", "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert switched.status_code == 303
    page = client.get(switched.headers["location"])
    assert "Web push is on." in page.text and "Switch web push off" in page.text
    with db.read() as session:
        keys = push_keys(session, store.id)
        assert keys is not None and keys.enabled
        audited = session.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'push.switched'")
        ).scalar()
        assert audited == 1
    assert client.get(f"/widget-api/v1/{store.slug}/push/key").json() == {"public_key": keys.public_key}

    client.post(f"{page_url}/push", data={"enabled": "false", "csrf_token": csrf_of(page.text)})
    assert client.get(f"/widget-api/v1/{store.slug}/push/key").status_code == 404
