"""The console's one forms kit (``web/console/forms.py`` + ``console/_forms.html``): fields come from the
form model's schema, and a refused form comes back with each error beside its input (``aria-invalid``,
``aria-describedby``) and what was typed kept."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from pydantic import Field
from starlette.datastructures import FormData

from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores import password_resets
from loyaldesk.web.app import create_app
from loyaldesk.web.console.forms import ConsoleForm, blank_form, fields_of, read_form
from tests.factories import TEST_PASSWORD, StoreHandle, csrf_of, make_staff
from tests.web.test_console_loyalty import as_staff, form_of


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Sample(ConsoleForm):
    name: str = Field(title="Name", min_length=1, max_length=20, description="What it is called.")
    count: int = Field(default=3, title="How many", ge=0, le=100)
    colour: Colour = Field(default=Colour.RED, title="Colour")
    note: str | None = Field(default=None, max_length=50, json_schema_extra={"widget": "textarea"})
    on: bool = Field(default=False, title="Switched on")


def test_fields_take_labels_limits_and_choices_from_the_model() -> None:
    fields = fields_of(Sample)
    assert list(fields) == ["name", "count", "colour", "note", "on"]
    assert fields["name"].label == "Name" and fields["name"].help == "What it is called."
    assert fields["name"].limits() == {"required": True, "minlength": 1, "maxlength": 20}
    assert fields["count"].widget == "number" and fields["count"].limits() == {"min": 0, "max": 100}
    assert fields["colour"].widget == "select"
    assert fields["colour"].choices == (("red", "red"), ("blue", "blue"))
    assert fields["note"].widget == "textarea" and fields["note"].limits() == {"maxlength": 50}
    assert fields["on"].widget == "checkbox"
    assert blank_form(Sample).field("count").value == 3


def test_a_refused_form_keeps_what_was_typed_and_names_the_field() -> None:
    posted = FormData([("name", "a name far too long to be kept"), ("count", "7"), ("colour", "blue")])
    model, state = read_form(Sample, posted)
    assert model is None
    assert state.field("name").value == "a name far too long to be kept"
    assert "at most 20 characters" in state.field("name").error
    assert state.field("count").value == "7" and state.field("count").error == ""
    assert state.field("on").value is False

    model, state = read_form(Sample, FormData([("name", "ok"), ("count", "7"), ("note", "")]))
    assert model == Sample(name="ok", count=7, note=None) and not state.invalid


def _field_html(html: str, input_id: str) -> str:
    """The ``.field`` wrapper holding the input ``input_id``."""
    match = re.search(rf'<div class="field[^"]*">\s*<label for="{input_id}">.*?</div>', html, re.S)
    assert match, f"no field {input_id} on the page"
    return match.group(0)


def assert_error_beside(html: str, name: str, error: str, typed: str | None = None, prefix: str = "") -> None:
    """The input ``name`` is marked invalid, described by its error, which says ``error``; it still holds
    ``typed``."""
    input_id = "f-" + prefix + name.replace(".", "-")
    field = _field_html(html, input_id)
    assert 'aria-invalid="true"' in field, field
    assert f'aria-describedby="{input_id}-error' in field, field
    assert f'<p class="field-error" id="{input_id}-error">' in field and error in field, field
    if typed is not None:
        assert f'value="{typed}"' in field or f">{typed}</textarea>" in field, field


def test_canned_reply_form_shows_the_error_beside_its_field(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "agent", password_hash)
    page = client.get("/console/acme/inbox-settings/canned")
    data = form_of(page.text, "/console/acme/inbox-settings/canned")
    assert set(data) == {"csrf_token", "shortcut", "title", "body", "reply_id"}
    data.update(shortcut="not ok!", title="Order status", body="Hi {{customer.first_name}}")
    refused = client.post("/console/acme/inbox-settings/canned", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "shortcut", "1 to 40 letters, digits, - or _", typed="not ok!")
    assert 'value="Order status"' in refused.text and "Hi {{customer.first_name}}</textarea>" in refused.text

    data.update(shortcut="status", csrf_token=csrf_of(refused.text))
    saved = client.post("/console/acme/inbox-settings/canned", data=data, follow_redirects=False)
    assert saved.status_code == 303
    again = client.post("/console/acme/inbox-settings/canned", data=data, follow_redirects=False)
    assert again.status_code == 409  # a conflict keeps its status, and is shown beside its field
    assert_error_beside(again.text, "shortcut", "exists already", typed="status")


def test_sla_forms_show_errors_beside_their_fields(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    sla = "/console/acme/inbox-settings/sla"
    page = client.get(sla)
    data = form_of(page.text, f"{sla}/policies")
    assert data["active"] == "true" and data["warn_before_percent"] == "25"
    data.update(name="VIP", first_response_minutes="soon", priorities=["urgent"])
    refused = client.post(f"{sla}/policies", data=data, follow_redirects=False)
    assert refused.status_code == 422
    html = refused.text
    assert_error_beside(html, "first_response_minutes", "a whole number of minutes", "soon", prefix="policy-")
    assert 'value="VIP"' in html and 'value="urgent" checked' in html
    assert '<a href="#f-policy-first_response_minutes">First response</a>' in html

    hours = form_of(html, f"{sla}/calendars")
    assert hours["day_0"] == "09:00-17:00" and hours["day_6"] == ""
    hours.update(name="Office", time_zone="Mars/Olympus", day_1="08:00-12:00")
    refused = client.post(f"{sla}/calendars", data=hours, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    assert_error_beside(refused.text, "time_zone", "time zone", "Mars/Olympus", prefix="calendar-")
    assert 'value="08:00-12:00"' in refused.text


def test_the_routing_form_has_a_priority_for_every_channel() -> None:
    from loyaldesk.support.rules import CHANNELS
    from loyaldesk.web.console.desk_forms import RoutingForm

    priorities = {
        name.removeprefix("priority_") for name in RoutingForm.model_fields if name.startswith("priority_")
    }
    assert priorities == set(CHANNELS)


def test_desk_forms_show_errors_beside_their_fields(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    desk = "/console/acme/inbox-settings/desk"
    data = form_of(client.get(desk).text, f"{desk}/routing")
    assert data["routing_method"] and data["priority_email"] == "normal"
    data.update(widget_accent="red", widget_title="Talk to Acme", priority_email="high")
    refused = client.post(f"{desk}/routing", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "widget_accent", "should match pattern", "red")
    assert 'value="Talk to Acme"' in refused.text
    assert re.search(r'name="priority_email"[^>]*>.*?<option value="high" selected>', refused.text, re.S)

    mailbox = form_of(refused.text, f"{desk}/mailbox")
    mailbox.update(imap_host="imap.example.com", imap_username="", imap_password="secret")
    refused = client.post(f"{desk}/mailbox", data=mailbox, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "imap_username", "is required with a server", "")
    assert 'value="imap.example.com"' in refused.text and 'value="secret"' not in refused.text

    goodwill = form_of(refused.text, f"{desk}/goodwill")
    goodwill.update(budget_agent="lots")
    refused = client.post(f"{desk}/goodwill", data=goodwill, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "budget_agent", "a whole number of points, or empty", "lots")


def test_api_key_form_shows_errors_beside_its_fields(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    keys = "/console/acme/settings/api-keys"
    data = form_of(client.get(keys).text, keys)
    assert data["scopes"]  # the default scopes are ticked
    data.update(name="x" * 101, scopes=["orders:read"])
    refused = client.post(keys, data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "name", "at most 100 characters", "x" * 101)
    assert (
        'value="orders:read" checked' in refused.text and 'value="customers:read" checked' not in refused.text
    )


def test_connected_app_form_shows_errors_beside_its_fields(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    channels = "/console/acme/inbox-settings/channels"
    data = form_of(client.get(channels).text, channels)
    data.update(name="Instagram bridge", callback_url="ftp://bridge.example.com")
    refused = client.post(channels, data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "callback_url", "an http(s) URL", "ftp://bridge.example.com")
    assert 'value="Instagram bridge"' in refused.text


def test_team_names_are_refused_beside_their_input(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "admin", password_hash)
    desk = "/console/acme/inbox-settings/desk"
    data = form_of(client.get(desk).text, f"{desk}/teams")
    assert (
        client.post(f"{desk}/teams", data={**data, "name": "Billing"}, follow_redirects=False).status_code
        == 303
    )
    assert (
        client.post(f"{desk}/teams", data={**data, "name": "Returns"}, follow_redirects=False).status_code
        == 303
    )
    again = client.post(f"{desk}/teams", data={**data, "name": "Billing"}, follow_redirects=False)
    assert again.status_code == 409
    assert_error_beside(again.text, "name", "exists already", "Billing", prefix="new-team-")

    rename = re.search(r'name="team_id" value="(\d+)">(?:(?!team_id).)*?value="Returns"', again.text, re.S)
    assert rename
    renamed = client.post(
        f"{desk}/teams", data={**data, "team_id": rename.group(1), "name": "Billing"}, follow_redirects=False
    )
    assert renamed.status_code == 409
    assert_error_beside(renamed.text, "name", "exists already", "Billing", prefix=f"team-{rename.group(1)}-")
    assert 'id="f-new-team-name-error"' not in renamed.text


def test_customer_profile_shows_errors_beside_their_fields(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    from loyaldesk.customers import upsert_customer
    from loyaldesk.customers.schemas import CustomerProfile

    upserted = db.write(upsert_customer, store.actor, store.id, "emma", CustomerProfile(first_name="Emma"))
    customer_id = upserted.customer.id
    as_staff(client, db, store, "admin", password_hash)
    page = f"/console/acme/customers/{customer_id}"
    data = form_of(client.get(page).text, f"{page}/profile")
    assert data["first_name"] == "Emma"
    data.update(email="not-an-email", timezone="Nowhere/Land", last_name="Stone")
    refused = client.post(f"{page}/profile", data=data, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "email", "email", "not-an-email")
    assert_error_beside(refused.text, "timezone", "", "Nowhere/Land")
    assert 'value="Stone"' in refused.text

    erase = form_of(refused.text, f"{page}/erase")
    refused = client.post(f"{page}/erase", data={**erase, "confirm": "erase"}, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "confirm", "type ERASE to confirm", "erase", prefix="erase-")


def test_a_refused_secret_is_named_beside_its_input_and_not_typed_back(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "owner", password_hash)
    page = "/console/acme/settings/integrations"
    data = form_of(client.get(page).text, f"{page}/shopify")
    refused = client.post(f"{page}/shopify", data={**data, "secret": "short"}, follow_redirects=False)
    assert refused.status_code == 422
    assert_error_beside(refused.text, "secret", "must be 8-255 characters", typed="")
    assert "short" not in refused.text


def test_login_pages_keep_the_email_and_never_say_which_input_was_wrong(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, settings: Settings
) -> None:
    email = make_staff(db, store, "agent", password_hash)
    data = form_of(client.get("/login").text, "/login")
    assert set(data) == {"csrf_token", "next", "email", "password"}
    wrong = client.post("/login", data={**data, "email": email, "password": "not-it"}, follow_redirects=False)
    assert wrong.status_code == 401
    assert "do not match an account" in wrong.text  # said of the form, not of one input
    assert "aria-invalid" not in wrong.text and 'value="not-it"' not in wrong.text
    assert re.search(rf'id="f-email" name="email" type="email" value="{re.escape(email)}"', wrong.text)

    mailing = Runtime(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 1}), database=db)
    with TestClient(create_app(runtime=mailing), base_url="https://testserver") as browser:
        forgot = form_of(browser.get("/login/forgot").text, "/login/forgot")
        refused = browser.post("/login/forgot", data={**forgot, "email": "not an address"})
        assert refused.status_code == 422
        assert_error_beside(refused.text, "email", "Enter the address you log in with", "not an address")

    link = db.write(
        password_resets.issue_reset_link,
        email,
        tokens=mailing.account_tokens,
        mail=mailing.account_mail,
        valid_for=timedelta(hours=1),
    )
    path = urlsplit(link).path
    reset = form_of(client.get(path).text, path)
    short = client.post(path, data={**reset, "new_password": "short"}, follow_redirects=False)
    assert short.status_code == 422
    assert_error_beside(short.text, "new_password", "must be at least 10 characters", typed="")
    assert 'value="short"' not in short.text


def test_the_password_change_shows_errors_beside_its_inputs_and_never_types_them_back(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "agent", password_hash)
    data = form_of(client.get("/console/account").text, "/console/account/password")
    assert set(data) == {"csrf_token", "current_password", "new_password"}
    wrong = client.post(
        "/console/account/password",
        data={**data, "current_password": "not-it-at-all", "new_password": "a long new secret"},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert_error_beside(wrong.text, "current_password", "current password is not right", typed="")
    assert "not-it-at-all" not in wrong.text and "a long new secret" not in wrong.text
    short = client.post(
        "/console/account/password",
        data={**data, "current_password": TEST_PASSWORD, "new_password": "short"},
        follow_redirects=False,
    )
    assert short.status_code == 422
    assert_error_beside(short.text, "new_password", "must be at least 10 characters", typed="")
    assert 'id="f-current_password-error"' not in short.text


def test_staff_forms_show_errors_beside_their_inputs(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "owner", password_hash)
    staff = "/console/acme/settings/staff"
    page = client.get(staff).text
    data = form_of(page, staff)
    assert set(data) == {"csrf_token", "name", "email", "role"} and data["role"] == "agent"
    refused = client.post(staff, data={**data, "name": "Nina", "email": "not an address", "role": "analyst"})
    assert refused.status_code == 422
    assert_error_beside(refused.text, "email", "is not an email address", "not an address")
    assert 'value="Nina"' in refused.text
    assert re.search(r'id="f-role" name="role"[^>]*>.*?<option value="analyst" selected>', refused.text, re.S)

    owner_id = re.search(r"/settings/staff/(\d+)/role", page)
    assert owner_id
    role_action = f"{staff}/{owner_id.group(1)}/role"
    role = form_of(page, role_action)
    assert set(role) == {"csrf_token", "role"} and role["role"] == "owner"
    last_owner = client.post(role_action, data={**role, "role": "agent"}, follow_redirects=False)
    assert last_owner.status_code == 422
    prefix = f"role-{owner_id.group(1)}-"
    field = re.search(
        rf'<div class="field[^"]*">\s*<label for="f-{prefix}role"[^>]*>.*?</div>', last_owner.text, re.S
    )
    assert field and 'aria-invalid="true"' in field.group(0) and "at least one owner" in field.group(0)
    assert f'aria-describedby="f-{prefix}role-error"' in field.group(0)
    assert '<option value="agent" selected>' in field.group(0)  # what was chosen, kept


def test_accepting_an_invitation_shows_the_password_error_beside_it_and_keeps_the_name(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    as_staff(client, db, store, "owner", password_hash)
    staff = "/console/acme/settings/staff"
    data = form_of(client.get(staff).text, staff)
    invited = client.post(staff, data={**data, "name": "Nina", "email": "nina@example.com"})
    assert invited.status_code == 201
    found = re.search(r"https?://[^/\s<]+(/invitations/[A-Za-z0-9._\-]+)", invited.text)
    assert found
    path = found.group(1)
    invitee = TestClient(client.app, base_url="https://testserver")  # a second browser, logged out
    invitee.portal = client.portal  # type: ignore[attr-defined]
    accept = form_of(invitee.get(path).text, path)
    assert set(accept) == {"csrf_token", "name", "password"} and accept["name"] == "Nina"
    short = invitee.post(path, data={**accept, "name": "Nina Nova", "password": "short"})
    assert short.status_code == 422
    assert_error_beside(short.text, "password", "must be at least 10 characters", typed="")
    assert 'value="Nina Nova"' in short.text and 'value="short"' not in short.text
