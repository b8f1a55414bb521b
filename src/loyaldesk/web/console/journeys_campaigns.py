"""The campaign form: a real form, no JSON. Who (every customer who agreed, a tier, an RFM segment, a
tag), on which channel, which message, when (once or recurring, in the store's zone or each recipient's)
and the holdout; saved as a schedule rule (``save_rule``) the engine runs. Needs ``manage_journeys``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.analytics import SEGMENT_LABELS
from loyaldesk.journeys.actions.rules import save_rule
from loyaldesk.journeys.queries.overview import templates_of
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.journeys.vocab import Channel, MessageCategory, RulePurpose
from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.loyalty import queries as loyalty_queries
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import FormState, blank_form, read_form
from loyaldesk.web.console.journeys_forms import CampaignForm
from loyaldesk.web.console.journeys_words import page_context
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

# Where ``save_rule`` names a part of the rule it builds, the input that part came from.
CAMPAIGN_INPUTS = {
    "steps[0].template": "template",
    "steps[0].channel": "channel",
    "trigger.at": "date",
    "trigger.recurrence": "recurrence",
    "trigger.timezone": "timezone",
}


def audience_of(form: CampaignForm) -> dict[str, Any]:
    """The campaign's audience as a condition tree; email campaigns go only to customers who agreed."""
    tests: list[dict[str, Any]] = []
    if form.channel == Channel.EMAIL:
        tests.append({"field": "customer.marketing_consent", "op": "eq", "value": True})
    if form.audience == "tier":
        tests.append({"field": "loyalty.tier", "op": "eq", "value": form.tier})
    elif form.audience == "segment":
        tests.append({"field": "analytics.segment", "op": "eq", "value": form.segment})
    elif form.audience == "tag":
        tests.append({"field": "customer.tags", "op": "contains", "value": form.tag.strip()})
    return {"all": tests}


def campaign_rule(form: CampaignForm) -> RuleIn:
    """The schedule rule a campaign form describes, or ``Invalid`` naming the input."""
    chosen = {"tier": form.tier, "segment": form.segment, "tag": form.tag.strip()}.get(form.audience)
    if chosen == "":
        raise Invalid.field(form.audience, "choose one")
    if form.audience == "segment" and form.segment not in {s.value for s in SEGMENT_LABELS}:
        raise Invalid.field("segment", "not an RFM segment")
    try:
        at = datetime.fromisoformat(f"{form.date}T{form.time}")
    except ValueError:
        raise Invalid.field("date", "not a date and time") from None
    return RuleIn(
        name=form.name,
        purpose=RulePurpose.CAMPAIGN,
        category=MessageCategory.MARKETING,
        trigger={
            "kind": "schedule",
            "at": at.strftime("%Y-%m-%dT%H:%M"),
            "recurrence": form.recurrence or None,
            "timezone": form.timezone,
            "audience": audience_of(form),
        },
        conditions={"all": []},
        steps=[{"kind": "send", "channel": form.channel.value, "template": form.template}],
        holdout_percent=form.holdout_percent,
        reentry="per_occurrence",
        enabled=True,
    )


def _page(
    request: Request, console: Console, runtime: Any, state: FormState, status_code: int = 200
) -> Response:
    with runtime.database.read() as session:
        tiers = [tier.name for tier in loyalty_queries.tiers_of(session, console.store.id)]
        templates = templates_of(session, console.store.id)
    return render(
        request,
        "journeys/campaign.html",
        page_context(
            console,
            "rules",
            form=state,
            tiers=[("", "Choose a tier"), *((name, name) for name in tiers)],
            segments=[("", "Choose a segment"), *((s.value, label) for s, label in SEGMENT_LABELS.items())],
            templates=templates,
            channels=list(Channel),
            store_zone=console.store.timezone,
        ),
        status_code=status_code,
    )


@router.get("/console/{store_slug}/journeys/campaigns/new", response_class=HTMLResponse)
def new_campaign_page(request: Request, console: ConsoleDep, runtime: RuntimeDep) -> Response:
    """The campaign form, for tomorrow at 10:00 by default."""
    console.require(Permission.MANAGE_JOURNEYS)
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    tomorrow = (runtime.clock.now().astimezone(ZoneInfo(console.store.timezone)) + timedelta(days=1)).date()
    return _page(request, console, runtime, blank_form(CampaignForm, {"date": tomorrow.isoformat()}))


@router.post("/console/{store_slug}/journeys/campaigns/new")
def create_campaign(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    """Save the campaign as a schedule rule, switched on; then its page."""
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    campaign, state = read_form(CampaignForm, form)
    if campaign is not None:
        try:
            rule = runtime.database.write(save_rule, console.actor, console.store.id, campaign_rule(campaign))
        except Invalid as error:
            for problem in error.problems or [FieldProblem("", error.message)]:
                field = CAMPAIGN_INPUTS.get(problem.field, problem.field)
                if field.startswith("trigger.audience"):
                    field = campaign.audience if campaign.audience != "all" else "audience"
                state.problems.append(FieldProblem(field, problem.reason))
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/journeys/{rule.id}?done=campaign", status_code=303
            )
    state.refuse_for_scripts(request)
    return _page(request, console, runtime, state, status_code=422)
