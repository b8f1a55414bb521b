"""Console pages of journeys' message templates: the list (by channel, with a button that creates the
built-in ones), a new template, and the editor (subject, preheader, body, button, an optional MJML
override) with the variables explained and a live preview at phone (375 px) and desktop (640 px) width.

The preview is rendered on the server (``journeys.render_message``) with a sample customer's values and
shown in sandboxed ``srcdoc`` iframes; it follows each save, and the "Preview" button asks for it without
saving (``POST .../preview`` answers the fragment, which the page's script swaps in). An iframe's
``srcdoc`` document inherits its page's Content-Security-Policy, and email HTML is styled inline, so the
editor's pages allow inline styles (and https images, for a store's logo); scripts stay ``'self'``.

Anyone who may view journeys reads the templates; saving, creating and deleting need
``manage_journeys``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.journeys import (
    VARIABLES,
    Channel,
    MessageTemplate,
    delete_template,
    ensure_default_templates,
    links_for,
    messaging_settings,
    render_message,
    sample_values,
    save_template,
    template_of,
    templates_of,
)
from loyaldesk.journeys.rendering.sample import sample_blocks
from loyaldesk.journeys.vocab import label
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render, render_fragment
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

TemplateKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_]{0,63}$")]
EDITOR_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
CHANNEL_CHOICES: dict[str, Any] = {channel.value: label(channel) for channel in Channel}


class TemplateForm(ConsoleForm):
    name: str = Field(
        title="Name", min_length=1, max_length=200, description="For the team; customers never see it."
    )
    subject: str = Field(default="", title="Subject", max_length=300)
    preheader: str = Field(
        default="",
        title="Preview text",
        max_length=300,
        description="The line inboxes show after the subject.",
    )
    body: str = Field(
        default="",
        title="Message",
        max_length=20_000,
        description="Markdown: **bold**, *italic*, [a link](https://...), lists with -. Variables in {{ }}.",
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 12}},
    )
    button_label: str = Field(default="", title="Button label", max_length=100)
    button_url: str = Field(
        default="",
        title="Button link",
        max_length=500,
        description="A web address or a link variable such as {{ member_url }}; no button without one.",
    )
    mjml: str = Field(
        default="",
        title="Own layout (MJML, optional)",
        max_length=100_000,
        description="Replaces the store's frame entirely. Must link to {{ unsubscribe_url }}.",
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 8}},
    )


class NewTemplateForm(ConsoleForm):
    key: str = Field(
        title="Key",
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9_]*$",
        description="How rules name it: lower-case letters, digits and _.",
    )
    name: str = Field(title="Name", min_length=1, max_length=200)
    channel: str = Field(default="email", title="Channel", json_schema_extra={"choices": CHANNEL_CHOICES})


# Which inputs each channel's editor shows, and what they are called there.
CHANNEL_FIELDS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("name", "subject", "preheader", "body", "button_label", "button_url", "mjml"),
    Channel.SMS: ("name", "body"),
    Channel.PUSH: ("name", "subject", "body", "button_url"),
    Channel.WIDGET: ("name", "subject", "body", "button_label", "button_url"),
}
RELABEL = {"subject": "Title", "button_url": "Opens"}


def _base(console: Console) -> str:
    return f"/console/{console.store.slug}/journeys/templates"


@router.get("/console/{store_slug}/journeys/templates", response_class=HTMLResponse)
def templates_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """The store's templates by channel."""
    console.require(Permission.VIEW_JOURNEYS)
    created = request.query_params.get("created")
    flash = None
    if created is not None and created.isdigit():
        flash = (
            f"{created} default templates created." if created != "0" else "Every default template exists."
        )
    return _list(request, runtime, console, blank_form(NewTemplateForm), flash)


def _list(
    request: Request,
    runtime: Any,
    console: Console,
    state: FormState,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    with runtime.database.read() as session:
        rows = templates_of(session, console.store.id)
    by_channel = [
        (label(channel), [row for row in rows if row.channel == channel.value]) for channel in Channel
    ]
    return render(
        request,
        "journeys/templates.html",
        {
            "console": console,
            "section": "journeys",
            "by_channel": by_channel,
            "count": len(rows),
            "can_manage": console.can(Permission.MANAGE_JOURNEYS),
            "form": state,
            "flash": flash,
        },
        status_code=status,
    )


@router.post("/console/{store_slug}/journeys/default-templates")
async def create_defaults(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Create the built-in templates the store lacks, in its language (its own edits are kept)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_JOURNEYS)
    language = console.store.default_language or "en"
    made = await runtime.database.write_async(
        ensure_default_templates, console.store.id, language, actor=console.actor
    )
    return RedirectResponse(f"{_base(console)}?created={made}", status_code=303)


@router.post("/console/{store_slug}/journeys/templates")
async def create_template(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A new, empty template; then its editor."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_JOURNEYS)
    new, state = read_form(NewTemplateForm, await request.form())
    if new is not None:
        with runtime.database.read() as session:
            taken = template_of(session, console.store.id, new.key) is not None
        if taken:
            state.problems.append(FieldProblem("key", "a template with this key exists"))
        else:
            fields = {"channel": new.channel, "name": new.name, "body": new.name}
            if new.channel in (Channel.EMAIL, Channel.PUSH):
                fields["subject"] = new.name
            try:
                await runtime.database.write_async(
                    save_template, console.actor, console.store.id, new.key, fields
                )
            except Invalid as error:
                state.fail(error)
    if state.invalid:
        state.refuse_for_scripts(request)
        return _list(request, runtime, console, state, status=state.status)
    return RedirectResponse(f"{_base(console)}/{new.key if new else ''}", status_code=303)


def _template(runtime: Any, console: Console, key: str) -> MessageTemplate:
    with runtime.database.read() as session:
        template = template_of(session, console.store.id, key)
        if template is None:
            raise NotFound(f"no message template {key!r}")
        session.expunge(template)
    return template


def _values(template: MessageTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) or "" for name in TemplateForm.model_fields}


def _preview(
    runtime: Any, console: Console, template: MessageTemplate, values: dict[str, Any]
) -> dict[str, Any]:
    """The template with ``values`` (what is typed) rendered for the sample customer."""
    store = console.store
    draft = MessageTemplate(
        key=template.key,
        channel=template.channel,
        **{name: values.get(name) or "" for name in TemplateForm.model_fields},
    )
    draft.mjml = draft.mjml or None
    base = runtime.settings.public_base_url
    channel = Channel(template.channel)
    language = store.default_language or "en"
    with runtime.database.read() as session:
        brand = messaging_settings(session, store.id)
        session.expunge_all()
    links = links_for(base, runtime.secret_key, store.slug, 0, 0, channel, store_id=store.id)
    sample = sample_values(store.name, base, store.slug, currency=store.currency, language=language)
    try:
        message = render_message(
            draft,
            channel,
            sample,
            brand,
            links,
            store_name=store.name,
            language=language,
            # No tracking in a preview; an SMS is shown with its opt-out line, so its length is the real one.
            marketing=channel is Channel.SMS,
            blocks=sample_blocks(draft.body, draft.mjml, base, currency=store.currency, language=language),
        )
    except ValueError as error:
        return {"error": str(error), "channel": channel.value}
    return {"message": message, "channel": channel.value, "error": None}


def _editor(
    request: Request,
    runtime: Any,
    console: Console,
    template: MessageTemplate,
    state: FormState,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    channel = template.channel
    fields = [
        state.field(
            name, **({"label": RELABEL[name]} if channel != Channel.EMAIL and name in RELABEL else {})
        )
        for name in CHANNEL_FIELDS[channel]
    ]
    response = render(
        request,
        "journeys/template_edit.html",
        {
            "console": console,
            "section": "journeys",
            "template": template,
            "channel_label": label(Channel(channel)),
            "form": state,
            "fields": fields,
            "variables": VARIABLES,
            "preview": _preview(runtime, console, template, state.values),
            "can_manage": console.can(Permission.MANAGE_JOURNEYS),
            "flash": flash,
            "flash_kind": "error" if status >= 400 else "success",
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    return response


@router.get("/console/{store_slug}/journeys/templates/{key}", response_class=HTMLResponse)
def edit_page(request: Request, runtime: RuntimeDep, console: ConsoleDep, key: TemplateKey) -> Response:
    """The editor with the saved template and its preview (read-only without ``manage_journeys``)."""
    console.require(Permission.VIEW_JOURNEYS)
    template = _template(runtime, console, key)
    flash = "Template saved." if request.query_params.get("saved") else None
    return _editor(request, runtime, console, template, blank_form(TemplateForm, _values(template)), flash)


@router.post("/console/{store_slug}/journeys/templates/{key}", response_class=HTMLResponse)
async def save(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, key: TemplateKey,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    """Save; a refused template comes back (422) with each problem on its input and nothing saved."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_JOURNEYS)
    template = _template(runtime, console, key)
    posted, state = read_form(TemplateForm, await request.form())
    if posted is not None:
        shown = CHANNEL_FIELDS[template.channel]
        fields = {name: value for name, value in posted.model_dump().items() if name in shown}
        try:
            await runtime.database.write_async(save_template, console.actor, console.store.id, key, fields)
        except Invalid as error:
            state.fail(error)
    if state.invalid:
        state.refuse_for_scripts(request)
        return _editor(request, runtime, console, template, state, status=state.status)
    return RedirectResponse(f"{_base(console)}/{key}?saved=1", status_code=303)


@router.post("/console/{store_slug}/journeys/templates/{key}/preview", response_class=HTMLResponse)
async def preview(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, key: TemplateKey,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    """The preview of what is typed, without saving: the HTML fragment the editor swaps in."""
    console.check_csrf(csrf_token)
    console.require(Permission.VIEW_JOURNEYS)
    template = _template(runtime, console, key)
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in TemplateForm.model_fields}
    values = {name: values[name] if name in CHANNEL_FIELDS[template.channel] else "" for name in values}
    html = render_fragment(
        "journeys/_preview.html", {"preview": _preview(runtime, console, template, values)}
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": EDITOR_CSP})


@router.post("/console/{store_slug}/journeys/templates/{key}/delete")
async def delete(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, key: TemplateKey,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    """Delete the template; refused (409, the page says which rules) while a rule sends it."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_JOURNEYS)
    try:
        await runtime.database.write_async(delete_template, console.actor, console.store.id, key)
    except Conflict as error:
        template = _template(runtime, console, key)
        return _editor(
            request, runtime, console, template, blank_form(TemplateForm, _values(template)),
            flash=error.message, status=409,
        )  # fmt: skip
    return RedirectResponse(_base(console), status_code=303)
