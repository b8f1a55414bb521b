"""The store's assistant settings: read (``assistant_config``) and changed (``save_assistant_settings``).

Off by default (a store switches it on in the console, the demo store has it on). The LLM's API key is
write-only: ``key_hint`` is all a page shows of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.assistant.dialog.models import AssistantSettings
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.kernel.outbound import OutboundPolicy, check_service_url
from loyaldesk.kernel.row_cache import RowCache
from loyaldesk.stores import Permission, authorize, record_audit

DEFAULT_NAME = "Assistant"
MAX_LOW_CONFIDENCE = 10
_KEY = re.compile(r"^\S{8,500}$")


@dataclass(frozen=True)
class LlmEndpoint:
    base_url: str  # an OpenAI-compatible API root, such as https://api.openai.com/v1
    model: str
    api_key: str | None


@dataclass(frozen=True)
class AssistantConfig:
    store_id: int
    enabled: bool = False
    display_name: str = DEFAULT_NAME
    people_first_tiers: tuple[str, ...] = ()
    low_confidence_limit: int = 2
    llm: LlmEndpoint | None = None
    llm_key_hint: str = ""

    def routes_to_people(self, tier: str | None) -> bool:
        """Whether a customer of ``tier`` goes to people first."""
        return tier is not None and tier.casefold() in {name.casefold() for name in self.people_first_tiers}


def key_hint(key: str | None) -> str:
    """How pages show a saved key: ``•••• 1a2b``, or "" when none is saved."""
    return f"•••• {key[-4:]}" if key else ""


def assistant_config(session: Session, store_id: int) -> AssistantConfig:
    """The store's settings (the defaults, switched off, when it never saved any)."""
    row = session.scalar(select(AssistantSettings).where(AssistantSettings.store_id == store_id))
    if row is None:
        return AssistantConfig(store_id=store_id)
    llm = (
        LlmEndpoint(row.llm_base_url, row.llm_model, row.llm_api_key)
        if row.llm_base_url and row.llm_model
        else None
    )
    return AssistantConfig(
        store_id=store_id,
        enabled=row.enabled,
        display_name=row.display_name or DEFAULT_NAME,
        people_first_tiers=tuple(row.people_first_tiers or ()),
        low_confidence_limit=row.low_confidence_limit,
        llm=llm,
        llm_key_hint=key_hint(row.llm_api_key),
    )


# What every new conversation asks (is the assistant on, which tiers go to people first), per database and
# store: kept a few seconds and forgotten at once by a change of the settings in this process
# (kernel.row_cache); another process's change is seen within that time. Pages read the settings afresh.
_configs: RowCache[AssistantConfig] = RowCache("assistant_config", [AssistantSettings], seconds=5.0)


def assistant_config_for_routing(session: Session, store_id: int) -> AssistantConfig:
    """``assistant_config``, cached for the hot path of new conversations (see ``_configs``)."""
    cached = _configs.get(session, store_id)
    if cached is None:
        cached = assistant_config(session, store_id)
        _configs.put(session, store_id, cached)
    return cached


def _check_url(value: str, policy: OutboundPolicy) -> tuple[str, str | None]:
    if not value.strip():
        return "", None
    return check_service_url(value, policy, "https://api.openai.com/v1")


def save_assistant_settings(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    enabled: bool,
    display_name: str,
    people_first_tiers: list[str],
    low_confidence_limit: int,
    llm_base_url: str = "",
    llm_model: str = "",
    llm_api_key: str | None = None,
    forget_llm_api_key: bool = False,
    policy: OutboundPolicy | None = None,
) -> AssistantSettings:
    """Create or change the store's assistant settings (managers of the desk). ``llm_api_key`` None or
    empty keeps the saved key (``forget_llm_api_key`` removes it). The LLM needs both its address and its
    model, or neither. Every problem is named by its field; nothing is saved when one is found."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    problems: list[FieldProblem] = []
    name = " ".join(display_name.split())
    if not 1 <= len(name) <= 80:
        problems.append(FieldProblem("display_name", "1 to 80 characters"))
    tiers = sorted({" ".join(t.split()) for t in people_first_tiers if t.strip()}, key=str.casefold)
    if any(len(t) > 80 for t in tiers) or len(tiers) > 20:
        problems.append(FieldProblem("people_first_tiers", "at most 20 tier names of up to 80 characters"))
    if not 1 <= low_confidence_limit <= MAX_LOW_CONFIDENCE:
        problems.append(
            FieldProblem("low_confidence_limit", f"a whole number from 1 to {MAX_LOW_CONFIDENCE}")
        )
    url, refusal = _check_url(llm_base_url, policy or OutboundPolicy())
    if refusal:
        problems.append(FieldProblem("llm_base_url", refusal))
    model = llm_model.strip()
    if len(model) > 200:
        problems.append(FieldProblem("llm_model", "at most 200 characters"))
    if bool(url) != bool(model) and not refusal:
        field = "llm_model" if url else "llm_base_url"
        problems.append(FieldProblem(field, "give both the LLM's address and its model, or neither"))
    key = (llm_api_key or "").strip()
    if key and not _KEY.match(key):
        problems.append(FieldProblem("llm_api_key", "8 to 500 characters, without spaces"))
    if problems:
        raise Invalid("the assistant settings are not valid", problems)
    row = uow.session.scalar(select(AssistantSettings).where(AssistantSettings.store_id == store_id))
    if row is None:
        row = AssistantSettings(store_id=store_id)
        uow.session.add(row)
    kept_key = None if forget_llm_api_key else (key or row.llm_api_key)
    row.enabled = enabled
    row.display_name = name
    row.people_first_tiers = tiers
    row.low_confidence_limit = low_confidence_limit
    row.llm_base_url = url or None
    row.llm_model = model or None
    row.llm_api_key = kept_key or None
    row.updated_at = uow.now()
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "assistant.settings_saved",
        store_id=store_id,
        target_type="assistant_settings",
        target_id=store_id,
        details={"enabled": enabled, "llm": bool(url), "key_changed": bool(key) or forget_llm_api_key},
    )
    return row
