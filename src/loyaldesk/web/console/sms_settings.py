"""Settings → SMS: the store's SMS provider (a Twilio-compatible API), a test message sent through the
channel's adapter, and the two webhook addresses to paste into the provider's console. Managers of
journeys only (``Permission.MANAGE_JOURNEYS``). The auth token is write-only: the page shows its last
four characters, never the token."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.channels.sms.adapter import SmsAdapter, inbound_url, status_callback_url
from loyaldesk.channels.sms.config import SmsConfig, save_sms_settings, sms_config, token_hint
from loyaldesk.channels.sms.models import DEFAULT_BASE_URL
from loyaldesk.channels.sms.phones import normalise_phone
from loyaldesk.journeys import Channel, DeliveryResult, MessageCategory, OutgoingMessage, Recipient
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


class SmsSettingsForm(ConsoleForm):
    """The store's SMS provider account."""

    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        title="Provider address",
        max_length=500,
        description="The provider's API address: https://api.twilio.com, or a Twilio-compatible one.",
        json_schema_extra={"widget": "url"},
    )
    account_sid: str = Field(
        default="",
        title="Account SID",
        max_length=64,
        json_schema_extra={"attrs": {"autocomplete": "off", "spellcheck": "false"}},
    )
    auth_token: str = Field(
        default="",
        title="Auth token",
        max_length=128,
        description="Signs the provider's webhooks too. Leave empty to keep the saved one.",
        json_schema_extra={"widget": "password", "attrs": {"autocomplete": "new-password"}},
    )
    sender: str = Field(
        default="",
        title="Sender",
        max_length=64,
        description="Your number in international form (+4915123456789) or a messaging service SID (MG…).",
        json_schema_extra={"attrs": {"autocomplete": "off", "spellcheck": "false"}},
    )
    default_region: str = Field(
        default="",
        title="Default country",
        max_length=2,
        pattern=r"^[A-Za-z]{2}$|^$",
        description="Two letters (DE, US): for customers' numbers written without +.",
        json_schema_extra={"attrs": {"autocomplete": "off", "size": 4}},
    )
    enabled: bool = Field(default=False, title="Send SMS", description="Journeys may send SMS to customers.")


class TestSmsForm(ConsoleForm):
    """A phone number to send a test message to."""

    number: str = Field(
        title="Phone number",
        min_length=3,
        max_length=64,
        description="Written without +, it is read in the default country.",
        json_schema_extra={"widget": "tel", "attrs": {"autocomplete": "off"}},
    )


def _values(config: SmsConfig | None) -> dict[str, Any]:
    if config is None:
        return {}
    return {
        "base_url": config.base_url,
        "account_sid": config.account_sid,
        "sender": config.sender,
        "default_region": config.default_region,
        "enabled": config.enabled,
    }


def _page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    form: FormState | None = None,
    test_form: FormState | None = None,
    outcome: DeliveryResult | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    console.require(Permission.MANAGE_JOURNEYS)
    with runtime.database.read() as session:
        config = sms_config(session, console.store.id)
    base = runtime.settings.public_base_url
    for state in (form, test_form):
        if state is not None:
            state.refuse_for_scripts(request)
    return render(
        request,
        "settings/sms.html",
        {
            "console": console,
            "section": "settings",
            "tab": "sms",
            "config": config,
            "token_hint": token_hint(config.auth_token if config else None),
            "form": form or blank_form(SmsSettingsForm, _values(config)),
            "test_form": test_form or blank_form(TestSmsForm, prefix="test-"),
            "outcome": outcome,
            "status_url": status_callback_url(base, console.store.slug),
            "inbound_url": inbound_url(base, console.store.slug),
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/settings/sms", response_class=HTMLResponse)
def sms_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _page(request, console, runtime, flash="SMS settings saved." if done == "saved" else None)


@router.post("/console/{store_slug}/settings/sms")
async def save_sms(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the settings; a refused form comes back (422) with each problem beside its input (the token
    never typed back)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_JOURNEYS)
    form, state = read_form(SmsSettingsForm, await request.form())
    state.values.pop("auth_token", None)
    if form is not None:
        try:
            await runtime.database.write_async(
                save_sms_settings,
                console.actor,
                console.store.id,
                base_url=form.base_url,
                account_sid=form.account_sid,
                auth_token=form.auth_token or None,
                sender=form.sender,
                default_region=form.default_region,
                enabled=form.enabled,
                policy=OutboundPolicy(allow_private_network=runtime.settings.allow_private_network),
            )
        except Invalid as error:
            state.fail(error)
        else:
            return RedirectResponse(f"/console/{console.store.slug}/settings/sms?done=saved", status_code=303)
    return _page(request, console, runtime, form=state, status_code=state.status)


@router.post("/console/{store_slug}/settings/sms/test")
async def send_test_sms(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Send a test message through the SMS adapter, with the saved settings; the page says what the
    provider answered."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_JOURNEYS)
    form, state = read_form(TestSmsForm, await request.form(), prefix="test-")
    if form is None:
        return _page(request, console, runtime, test_form=state, status_code=state.status)
    with runtime.database.read() as session:
        config = sms_config(session, console.store.id)
    if config is None or not config.ready:
        state.fail(Invalid("", [FieldProblem("number", "switch SMS on and save the settings first")]))
        return _page(request, console, runtime, test_form=state, status_code=state.status)
    number = normalise_phone(form.number, config.default_region)
    if number is None:
        state.fail(
            Invalid("", [FieldProblem("number", "not a valid phone number (in the default country?)")])
        )
        return _page(request, console, runtime, test_form=state, status_code=state.status)
    adapter = SmsAdapter.from_settings(runtime.settings, database=runtime.database)
    message = OutgoingMessage(
        store_id=console.store.id,
        send_id=0,
        idempotency_key=f"sms-test:{console.store.id}:{uuid.uuid4().hex}",
        channel=Channel.SMS,
        category=MessageCategory.TRANSACTIONAL,
        recipient=Recipient(customer_id=0, address=number),
        subject="",
        text=f"A test message from {console.store.name}, sent by loyaldesk.",
    )
    outcome = await anyio.to_thread.run_sync(adapter.send, config, message)
    return _page(request, console, runtime, outcome=outcome)
