"""The recommendation settings page (``/console/{store}/recommendations``, also ``.../settings``): what may
be picked (on/off, in stock only, allowed categories, just-bought non-consumables left out for N days,
the categories bought again), the blend's weights, how often the models are refitted, the widget's
greeting; below, the last fits with their status, counts, time and error, and a "Fit now" button.

Reading and saving need ``manage_store_settings`` (who manages the loyalty program and the store); a
refused value comes back beside its input."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.errors import Invalid
from loyaldesk.recommendations import (
    RecommendationFit,
    recommendation_settings,
    update_recommendation_settings,
)
from loyaldesk.recommendations.actions.fit import fit_store
from loyaldesk.recommendations.actions.settings import WEIGHABLE, record_fit_request
from loyaldesk.recommendations.vocab import FitStatus, Method, label
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

PERMISSION = Permission.MANAGE_STORE_SETTINGS
RECENT_FITS = 10
FLASHES = {
    "1": "Settings saved.",
    "fit": "Fit started: the new picks are served when it finishes.",
}


class RecommendationSettingsForm(ConsoleForm):
    """The store's recommendation settings."""

    enabled: bool = Field(
        default=False, title="Show recommendations", description="Off: no placement shows any."
    )
    in_stock_only: bool = Field(
        default=False,
        title="Only items in stock",
        description="Items whose stock the store does not send count as in stock.",
    )
    categories: str = Field(
        default="",
        max_length=10000,
        title="Only these categories",
        description="Comma-separated category names. Empty: every category.",
    )
    exclude_bought_days: int = Field(
        ge=0,
        le=3650,
        title="Leave out a non-consumable the customer bought in the last (days)",
        description="0: never leave out. Consumables (bought again) are always allowed.",
    )
    consumable_categories: str = Field(
        default="",
        max_length=10000,
        title="Categories customers buy again (consumables)",
        description="Comma-separated. Items the history shows are re-bought count as consumable anyway.",
    )
    weights: str = Field(
        default="",
        max_length=500,
        title="Blend weights (optional)",
        description="method=weight, comma-separated, e.g. repurchase=2, als=1. Methods: "
        + ", ".join(WEIGHABLE)
        + ". Empty: the defaults.",
    )
    refit_hours: int = Field(ge=1, le=720, title="Refit the models every (hours)")
    widget_greeting: bool = Field(
        default=False, title="Greet returning shoppers in the chat widget (name, tier, points, an offer)"
    )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_weights(text: str) -> dict[str, float]:
    """``repurchase=2, als=1`` → ``{"repurchase": 2.0, "als": 1.0}``; a malformed entry is ``Invalid``."""
    weights: dict[str, float] = {}
    for part in _split(text):
        method, sep, number = part.partition("=")
        try:
            if not sep:
                raise ValueError
            weights[method.strip()] = float(number.strip())
        except ValueError:
            raise Invalid.field("weights", "write method=weight, e.g. repurchase=2") from None
    return weights


def _weights_text(weights: dict[str, float]) -> str:
    return ", ".join(f"{method}={weight:g}" for method, weight in weights.items())


def recent_fits(session: Session, store_id: int) -> list[dict[str, Any]]:
    """The store's last fits, newest first, as the page lists them."""
    rows = session.execute(
        select(
            RecommendationFit.id,
            RecommendationFit.status,
            RecommendationFit.started_at,
            RecommendationFit.finished_at,
            RecommendationFit.orders_count,
            RecommendationFit.customers_count,
            RecommendationFit.items_count,
            RecommendationFit.fit_seconds,
            RecommendationFit.error,
        )
        .where(RecommendationFit.store_id == store_id)
        .order_by(RecommendationFit.started_at.desc(), RecommendationFit.id.desc())
        .limit(RECENT_FITS)
    )
    fits = []
    for row in rows:
        try:
            status = label(FitStatus(row.status))
        except ValueError:
            status = row.status
        fits.append({**row._asdict(), "status_label": status})
    return fits


def _page(
    request: Request,
    console: Console,
    runtime: Any,
    state: FormState,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        fits = recent_fits(session, console.store.id)
    return render(
        request,
        "recommendations/settings.html",
        {
            "console": console,
            "section": "recommendations",
            "active": "settings",
            "form": state,
            "fits": fits,
            "methods": [(method.value, label(method)) for method in Method if method.value in WEIGHABLE],
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/recommendations", response_class=HTMLResponse)
def settings_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    console.require(PERMISSION)
    with runtime.database.read() as session:
        row = recommendation_settings(session, console.store.id)
        values: dict[str, Any] = {
            "enabled": row.enabled,
            "in_stock_only": row.in_stock_only,
            "categories": ", ".join(row.categories or []),
            "exclude_bought_days": row.exclude_bought_days,
            "consumable_categories": ", ".join(row.consumable_categories or []),
            "weights": _weights_text(row.weights or {}),
            "refit_hours": row.refit_hours,
            "widget_greeting": row.widget_greeting,
        }
    state = blank_form(RecommendationSettingsForm, values)
    return _page(request, console, runtime, state, flash=FLASHES.get(done))


@router.post("/console/{store_slug}/recommendations")
def save_settings(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(PERMISSION)
    settings, state = read_form(RecommendationSettingsForm, form)
    if settings is not None:
        try:
            changes: dict[str, Any] = settings.model_dump(
                exclude={"categories", "consumable_categories", "weights"}
            )
            changes["categories"] = _split(settings.categories)
            changes["consumable_categories"] = _split(settings.consumable_categories)
            changes["weights"] = parse_weights(settings.weights)
            runtime.database.write(update_recommendation_settings, console.actor, console.store.id, changes)
        except Invalid as error:
            state.fail(error)
        else:
            return RedirectResponse(f"/console/{console.store.slug}/recommendations?done=1", status_code=303)
    state.refuse_for_scripts(request)
    return _page(request, console, runtime, state, status_code=state.status)


def run_fit_now(runtime: Any, store_id: int) -> None:
    """Start the engine's fit (``recommendations.actions.fit.fit_store``) for the store on a thread of
    its own; the fit records its own ``RecommendationFit`` row (running, then succeeded or failed), which
    the page lists. A second click while one runs starts another; the later one's picks win."""

    def work() -> None:
        try:
            fit_store(runtime.database, store_id)
        except Exception:  # the fit records its own failure; this keeps the thread from dying loudly
            log.exception("recommendations fit for store %s failed", store_id)

    threading.Thread(target=work, name=f"recommendations-fit-{store_id}", daemon=True).start()


@router.post("/console/{store_slug}/recommendations/fit")
def fit_now(console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(PERMISSION)
    runtime.database.write(record_fit_request, console.actor, console.store.id)
    run_fit_now(runtime, console.store.id)
    return RedirectResponse(f"/console/{console.store.slug}/recommendations?done=fit", status_code=303)
