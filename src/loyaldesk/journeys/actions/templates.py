"""Message templates: the built-in ones created in a store's language, a manager's changes (checked
before they are saved: every variable known, the MJML compiling), and deleting one no rule uses."""

from __future__ import annotations

import re
from typing import Any

from loyaldesk.journeys.default_templates import default_templates
from loyaldesk.journeys.models import MessageTemplate
from loyaldesk.journeys.queries.templates import rules_using_template, template_of, templates_of
from loyaldesk.journeys.rendering.frame import check_mjml
from loyaldesk.journeys.rendering.markdown import mark
from loyaldesk.journeys.rendering.recommendations import check_options
from loyaldesk.journeys.rules.variables import VARIABLES, UnknownVariable, fill, variables_in
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.actors import Actor, system_for
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit, store_by_id

KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
LIMITS = {
    "name": 200,
    "subject": 300,
    "preheader": 300,
    "body": 20_000,
    "button_label": 100,
    "button_url": 500,
    "mjml": 100_000,
}
TEXTS = ("subject", "preheader", "body", "button_label", "button_url", "mjml")


def ensure_default_templates(
    uow: UnitOfWork, store_id: int, language: str, *, actor: Actor | None = None
) -> int:
    """Create the built-in templates the store does not have yet, in ``language``; how many were made.
    The store's own changes to the ones it has are kept. With an ``actor`` (a person asked), checked and
    audited."""
    if actor is not None:
        authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    have = {template.key for template in templates_of(uow.session, store_id)}
    now = uow.now()
    made = []
    for key, default in default_templates(language).items():
        if key in have:
            continue
        uow.session.add(
            MessageTemplate(
                store_id=store_id,
                key=key,
                channel=default.channel.value,
                name=default.name,
                subject=default.subject,
                preheader=default.preheader,
                body=default.body,
                button_label=default.button_label,
                button_url=default.button_url,
                mjml=None,
                created_at=now,
                updated_at=now,
            )
        )
        made.append(key)
    uow.session.flush()
    if actor is not None and made:
        record_audit(
            uow, actor, "journeys.default_templates_created", store_id=store_id, details={"keys": made}
        )
    return len(made)


def ensure_owned_template(
    uow: UnitOfWork,
    store_id: int,
    key: str,
    words_by_language: dict[str, dict[str, str]],
    *,
    owner: str,
) -> None:
    """Create the email template ``key`` another capability sends with (``owner``: "feedback",
    "recommendations"), on first use, in the store's default language when ``words_by_language`` has it,
    else English (``words_by_language["en"]``); a store's changes to an existing one are kept."""
    if template_of(uow.session, store_id, key) is not None:
        return
    store = store_by_id(uow.session, store_id)
    words = words_by_language.get((store.default_language or "en").split("-")[0], words_by_language["en"])
    save_template(uow, system_for(store_id, owner), store_id, key, {"channel": Channel.EMAIL.value, **words})


def save_template(
    uow: UnitOfWork, actor: Actor, store_id: int, key: str, fields: dict[str, Any]
) -> MessageTemplate:
    """Create template ``key`` (``fields`` then needs ``channel`` and ``name``) or change it. Refused,
    naming each field, when a text uses an unknown variable or leaves a brace open, a button leads
    nowhere, or the MJML does not compile; nothing is saved then."""
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    if not KEY.match(key or ""):
        raise Invalid.field("key", "use 1-64 lower-case letters, digits and underscores")
    template = template_of(uow.session, store_id, key)
    unknown = sorted(set(fields) - {*LIMITS, "channel"})
    if unknown:
        raise Invalid("not template fields", [FieldProblem(name, "not a template field") for name in unknown])
    values = {name: _text(fields[name]) for name in LIMITS if name in fields}
    channel = _channel(fields.get("channel"), template)
    merged = {name: values.get(name, getattr(template, name, "") or "") for name in LIMITS}
    problems = check_template(channel, merged)
    if problems:
        raise Invalid("the template is not valid", problems)
    now = uow.now()
    if template is None:
        template = MessageTemplate(store_id=store_id, key=key, channel=channel.value, created_at=now)
        uow.session.add(template)
    for name in LIMITS:
        value = merged[name]
        setattr(template, name, (value or None) if name == "mjml" else value)
    template.updated_at = now
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "journeys.template_saved",
        store_id=store_id,
        target_type="journey_template",
        target_id=template.id,
        details={"key": key, "fields": sorted(values)},
    )
    return template


def check_template(channel: Channel, texts: dict[str, str]) -> list[FieldProblem]:
    """What is wrong with a template's texts on ``channel`` (nothing: an empty list). Pure."""
    problems: list[FieldProblem] = []
    for name, limit in LIMITS.items():
        if len(texts.get(name) or "") > limit:
            problems.append(FieldProblem(name, f"at most {limit} characters"))
    if not (texts.get("name") or "").strip():
        problems.append(FieldProblem("name", "give the template a name"))
    for name in TEXTS:
        try:
            variables_in(texts.get(name) or "")
        except UnknownVariable as error:
            known = ", ".join(sorted(VARIABLES))
            problems.append(FieldProblem(name, f"unknown variable {{{{ {error.name} }}}} (known: {known})"))
        except ValueError as error:
            problems.append(FieldProblem(name, str(error)))
        else:
            wrong = check_options(texts.get(name) or "")
            if wrong:
                problems.append(FieldProblem(name, wrong))
    if problems:
        return problems
    has_mjml = bool((texts.get("mjml") or "").strip())
    if channel is Channel.EMAIL:
        if not texts["subject"].strip():
            problems.append(FieldProblem("subject", "an email needs a subject"))
        if not texts["body"].strip() and not has_mjml:
            problems.append(FieldProblem("body", "write the message (or give the MJML)"))
    elif not texts["body"].strip():
        problems.append(FieldProblem("body", "write the message"))
    if channel is Channel.PUSH and not texts["subject"].strip():
        problems.append(FieldProblem("subject", "a push notification needs a title"))
    url = texts["button_url"].strip()
    sample = fill(url, {name: "https://example.com/x" for name in VARIABLES})
    if url and not sample.startswith(("https://", "http://")):
        problems.append(FieldProblem("button_url", "a web address (https://...) or a link variable"))
    if has_mjml:
        if channel is not Channel.EMAIL:
            problems.append(FieldProblem("mjml", "only emails are laid out in MJML"))
        elif "unsubscribe_url" not in variables_in(texts["mjml"]):
            reason = "must link to {{ unsubscribe_url }} (every email can be left)"
            problems.append(FieldProblem("mjml", reason))
        else:
            try:
                check_mjml(mark(texts["mjml"])[0])
            except ValueError as error:
                problems.append(FieldProblem("mjml", str(error)))
    return problems


def delete_template(uow: UnitOfWork, actor: Actor, store_id: int, key: str) -> None:
    """Delete template ``key``; refused (Conflict, naming them) while a rule's send step uses it."""
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    template = template_of(uow.session, store_id, key)
    if template is None:
        raise NotFound(f"no message template {key!r}")
    users = rules_using_template(uow.session, store_id, key)
    if users:
        raise Conflict(f"template {key!r} is used by: {', '.join(sorted(users))}; change those rules first")
    record_audit(
        uow,
        actor,
        "journeys.template_deleted",
        store_id=store_id,
        target_type="journey_template",
        target_id=template.id,
        details={"key": key},
    )
    uow.session.delete(template)


def _text(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n")


def _channel(value: Any, template: MessageTemplate | None) -> Channel:
    if template is not None:
        if value not in (None, "", template.channel):
            raise Invalid.field("channel", "a template's channel cannot change; make a new template")
        return Channel(template.channel)
    try:
        return Channel(value)
    except ValueError:
        raise Invalid.field("channel", "one of: " + ", ".join(channel.value for channel in Channel)) from None
