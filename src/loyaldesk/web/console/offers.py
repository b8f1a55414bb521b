"""Personal offers in the console: ``/console/{store}/recommendations/offers`` (the list with each
offer's groups, conversion and revenue per customer against the holdout), ``.../offers/new`` and
``POST .../offers`` (a draft), ``.../offers/{offer_id}`` (its results with 95% intervals) with its chart
``.../offers/{offer_id}/chart.svg``, and ``POST .../offers/{offer_id}/launch`` / ``/end``.

Managing offers is managing the loyalty program's rewards (``manage_store_settings``); analysts read
(``view_analytics``)."""

from __future__ import annotations

import math
import re
from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import pygal
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.recommendations.actions.offer_launch import end_offer, launch_offer
from loyaldesk.recommendations.actions.offers import MANAGE, PICKED, VIEW, create_offer
from loyaldesk.recommendations.offer_ports import segment_labels
from loyaldesk.recommendations.offer_schemas import OfferIn
from loyaldesk.recommendations.queries.offers import OfferResults, offer_results, offers_of
from loyaldesk.recommendations.rules.offer_words import gives
from loyaldesk.recommendations.rules.uplift import GroupFigures
from loyaldesk.recommendations.vocab import LABELS, OfferKind, OfferTarget
from loyaldesk.web.console.chart_style import console_chart_style
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
OfferId = Annotated[int, Path(ge=1, le=2**62)]
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


class OfferForm(ConsoleForm):
    """A new offer, as a manager sets it up."""

    name: str = Field(title="Name", min_length=1, max_length=200, description="Customers see it.")
    description: str = Field(
        default="",
        title="Description",
        max_length=2000,
        description="A line about the offer for the member page (optional).",
        json_schema_extra={"widget": "textarea"},
    )
    kind: OfferKind = Field(title="What it gives", json_schema_extra={"x-labels": dict(LABELS[OfferKind])})
    value: int = Field(
        ge=1,
        le=10_000_000,
        title="Value",
        description="Points for bonus points; 1 to 100 for percent off; cents for an amount off.",
    )
    target_kind: OfferTarget = Field(
        default=OfferTarget.ANY,
        title="On what",
        json_schema_extra={"x-labels": dict(LABELS[OfferTarget])},
    )
    target: str = Field(
        default="",
        max_length=255,
        title="Product or category",
        description="The item's external id or SKU, or the category's name (empty for any order).",
    )
    segment: str = Field(
        default="",
        max_length=64,
        title="Who",
        json_schema_extra={"choices": {"": "Every loyalty member with an order"}},
    )
    holdout_percent: int = Field(
        default=10,
        ge=0,
        le=50,
        title="Holdout (%)",
        description="Customers kept back at random, told nothing: the baseline the offer is measured by.",
    )
    ends_on: str = Field(
        title="Ends on",
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="The offer runs until the end of this day (the store's time zone).",
        json_schema_extra={"widget": "date", "invalid": "a date like 2026-12-24"},
    )


def _segment_choices() -> tuple[tuple[str, str], ...]:
    return (
        ("", "Every loyalty member with an order"),
        (PICKED, "Customers whose picks include the product or category"),
        *((key, f"RFM segment: {label}") for key, label in segment_labels().items()),
    )


def end_of_day(text: str, timezone: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise Invalid.field("ends_on", "a date like 2026-12-24") from None
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(timezone or "UTC"))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _money(console: Console, minor: float | None) -> str:
    if minor is None:
        return "—"
    return f"{minor / 100:,.2f} {console.store.currency}"


def _view(console: Console, results: OfferResults) -> dict[str, Any]:
    """An offer with its results in the words and figures the pages show."""
    offer, found = results.offer, results.uplift

    def group(figures: GroupFigures | None) -> dict[str, Any] | None:
        if figures is None:
            return None
        interval = figures.conversion_interval
        return {
            "customers": figures.customers,
            "converted": figures.converted,
            "conversion": _percent(figures.conversion_rate),
            "conversion_interval": f"{_percent(interval.low)} to {_percent(interval.high)}"
            if interval
            else "—",
            "revenue": _money(console, figures.revenue_per_customer),
        }

    view: dict[str, Any] = {
        "offer": offer,
        "kind": LABELS[OfferKind][offer.kind],
        "gives": gives(offer.kind, offer.value, console.store.currency),
        "target": LABELS[OfferTarget][offer.target_kind] + (f": {offer.target}" if offer.target else ""),
        "segment": "every member with an order"
        if offer.segment is None
        else "picked for them"
        if offer.segment == PICKED
        else segment_labels().get(offer.segment, offer.segment),
        "status": offer.status,
        "treatment": group(found.treatment if found else None),
        "holdout": group(found.holdout if found else None),
        "conversion_difference": None,
        "revenue_difference": None,
        "told": results.told,
        "telling": results.telling,
        "told_words": f"told {results.told:,} of {offer.treatment_count:,}",
    }
    if found is not None:
        if found.conversion_difference is not None:
            interval = found.conversion_interval
            view["conversion_difference"] = {
                "value": f"{found.conversion_difference * 100:+.1f} points",
                "interval": f"{interval.low * 100:+.1f} to {interval.high * 100:+.1f}" if interval else "—",
                "excludes_zero": bool(interval and interval.excludes_zero),
            }
        if found.revenue_difference is not None:
            interval = found.revenue_interval
            view["revenue_difference"] = {
                "value": _money(console, found.revenue_difference),
                "interval": f"{_money(console, interval.low)} to {_money(console, interval.high)}"
                if interval
                else "—",
                "excludes_zero": bool(interval and interval.excludes_zero),
            }
    return view


@router.get("/console/{store_slug}/recommendations/offers", response_class=HTMLResponse)
def offers_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    console.require(VIEW)
    with runtime.database.read() as session:
        found, _before = offers_of(session, console.store.id, runtime.clock.now(), limit=100)
        rows = [_view(console, results) for results in found]
    return render(
        request,
        "offers/list.html",
        {
            "console": console,
            "section": "recommendations",
            "rows": rows,
            "may_manage": console.can(MANAGE),
        },
    )


def _new_page(request: Request, console: Console, state: FormState, status_code: int = 200) -> Response:
    return render(
        request,
        "offers/new.html",
        {"console": console, "section": "recommendations", "form": state, "segments": _segment_choices()},
        status_code=status_code,
    )


@router.get("/console/{store_slug}/recommendations/offers/new", response_class=HTMLResponse)
def new_offer_page(request: Request, console: ConsoleDep) -> Response:
    console.require(MANAGE)
    return _new_page(request, console, blank_form(OfferForm, {"holdout_percent": 10}))


@router.post("/console/{store_slug}/recommendations/offers")
def create_offer_form(request: Request, runtime: RuntimeDep, console: ConsoleDep, form: FormDep) -> Response:
    """Save the draft and show its page; refused values come back beside their inputs (422)."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    posted, state = read_form(OfferForm, form)
    if posted is not None:
        try:
            data = OfferIn(
                name=posted.name,
                description=posted.description,
                kind=posted.kind,
                value=posted.value,
                target_kind=posted.target_kind,
                target=posted.target or None,
                segment=posted.segment or None,
                holdout_percent=posted.holdout_percent,
                ends_at=end_of_day(posted.ends_on, console.store.timezone),
            )
            offer = runtime.database.write(create_offer, console.actor, console.store.id, data)
        except Invalid as error:
            state.fail(error, field="name", renamed={"ends_at": "ends_on"})
        else:
            target = f"/console/{console.store.slug}/recommendations/offers/{offer.id}?done=created"
            return RedirectResponse(target, status_code=303)
    state.refuse_for_scripts(request)
    return _new_page(request, console, state, status_code=state.status)


FLASH = {
    "created": "Saved as a draft: it reaches nobody until you launch it.",
    "launched": (
        "Launched: customers were split into the offer group and the holdout. Telling the offer group "
        "has started: it runs in the background, the progress is shown below."
    ),
    "ended": "Ended: the results are final.",
}


@router.get("/console/{store_slug}/recommendations/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    offer_id: OfferId,
    done: Annotated[str, Query(max_length=10)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    console.require(VIEW)
    with runtime.database.read() as session:
        view = _view(console, offer_results(session, console.store.id, offer_id, runtime.clock.now()))
    return render(
        request,
        "offers/offer.html",
        {
            "console": console,
            "section": "recommendations",
            "row": view,
            "may_manage": console.can(MANAGE),
            "flash": FLASH.get(done),
        },
    )


def uplift_svg(view_title: str, results: OfferResults) -> str:
    """Each group's conversion with its 95% interval as whiskers (SVG without pygal's scripts); the axis
    runs to a little above the highest interval, so small rates stay readable."""
    found = results.uplift
    values: list[dict[str, Any] | None] = []
    top = 10.0
    if found is not None:
        for figures in (found.treatment, found.holdout):
            rate, interval = figures.conversion_rate, figures.conversion_interval
            if rate is None or interval is None:
                values.append(None)
                continue
            top = max(top, interval.high * 100)
            values.append(
                {"value": rate * 100, "ci": {"low": interval.low * 100, "high": interval.high * 100}}
            )
    chart = pygal.Bar(
        style=console_chart_style(13),
        js=[],
        width=640,
        height=280,
        title=view_title,
        show_legend=False,
        print_values=True,
        value_formatter=lambda value: f"{value:.1f}%",
        margin=10,
        range=(0, min(100, 5 * math.ceil(top * 1.15 / 5))),
        no_data_text="Not launched yet",
    )
    if found is not None:
        chart.x_labels = ["Offer group", "Holdout"]
        chart.add("Conversion", values)
    return _SCRIPT.sub("", chart.render(is_unicode=True))


@router.get("/console/{store_slug}/recommendations/offers/{offer_id}/chart.svg")
def offer_chart(runtime: RuntimeDep, console: ConsoleDep, offer_id: OfferId) -> Response:
    """The two groups' conversion with 95% intervals, as an image (the page has the same figures)."""
    console.require(VIEW)
    with runtime.database.read() as session:
        results = offer_results(session, console.store.id, offer_id, runtime.clock.now())
    return Response(
        uplift_svg("Conversion by group (bars: 95% interval)", results),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )


def _act(request: Request, runtime: Any, console: Console, offer_id: int, action: Any, done: str) -> Response:
    base = f"/console/{console.store.slug}/recommendations/offers/{offer_id}"
    try:
        runtime.database.write(action, console.actor, console.store.id, offer_id)
    except (Invalid, Conflict) as error:
        with runtime.database.read() as session:
            view = _view(console, offer_results(session, console.store.id, offer_id, runtime.clock.now()))
        return render(
            request,
            "offers/offer.html",
            {
                "console": console,
                "section": "recommendations",
                "row": view,
                "may_manage": True,
                "problem": str(error),
            },
            status_code=422 if isinstance(error, Invalid) else 409,
        )
    return RedirectResponse(f"{base}?done={done}", status_code=303)


@router.post("/console/{store_slug}/recommendations/offers/{offer_id}/launch")
def launch(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, offer_id: OfferId, form: FormDep
) -> Response:
    """Split the targeted customers (once: a second launch changes nothing); the offer group is told in
    the background afterwards."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    return _act(request, runtime, console, offer_id, launch_offer, "launched")


@router.post("/console/{store_slug}/recommendations/offers/{offer_id}/end")
def end(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, offer_id: OfferId, form: FormDep
) -> Response:
    """End the offer now: its results become final."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(MANAGE)
    return _act(request, runtime, console, offer_id, end_offer, "ended")
