"""A manager sets what the assistant tells shoppers (the return window, the delivery options) on the desk
settings page, and the tools answer with it; a bad value is refused with the field named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from loyaldesk.assistant.tools.registry import ToolStatus
from loyaldesk.kernel.db import Database
from tests.assistant.tools.conftest import open_chat
from tests.factories import StoreHandle, csrf_of, login, make_staff


def test_a_manager_sets_the_return_window_and_delivery_options(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    login(client, make_staff(db, store, "admin", password_hash))
    desk = f"/console/{store.slug}/inbox-settings/desk"
    page = client.get(desk)
    assert page.status_code == 200 and "Returns and delivery" in page.text
    assert 'name="return_window_days"' in page.text and 'value="30"' in page.text
    form = {
        "return_window_days": "14",
        "shipping_info": "Standard delivery 2-4 days, free from €50.",
        "csrf_token": csrf_of(page.text),
    }
    saved = client.post(f"{desk}/policies", data=form, follow_redirects=False)
    assert saved.status_code == 303
    chat = open_chat(db, store.id, None)
    answer = chat.ask("delivery_options", "how long does delivery take")
    assert answer.status is ToolStatus.ANSWERED
    assert answer.text == "Standard delivery 2-4 days, free from €50."
    assert 'value="14"' in client.get(desk).text

    refused = client.post(
        f"{desk}/policies", data={**form, "return_window_days": "400", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 422 and "return_window_days" in refused.text
    assert 'value="14"' in client.get(desk).text  # nothing changed
