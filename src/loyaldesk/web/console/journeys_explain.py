"""Console page "why did it / didn't it fire" for one rule and one customer (by email, loyaldesk id or the
store's own id): would they enter now, each test with its actual value, holdout, consent per channel,
their local time and quiet hours, the next moment a marketing message may reach them and why, and the
timeline of decisions and sends. Needs ``view_journeys``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.messaging_settings import messaging_settings
from loyaldesk.journeys.actions.rules import rule_of
from loyaldesk.journeys.queries.explain import explain
from loyaldesk.journeys.rules.conditions import OPERATOR_LABELS
from loyaldesk.journeys.vocab import Channel
from loyaldesk.stores import Permission
from loyaldesk.stores.queries import store_by_id
from loyaldesk.web.console.journeys_words import field_label, page_context, value_words
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RuleId = Annotated[int, Path(ge=1, le=2**62)]


def find_customer(session: Session, store_id: int, text: str) -> Customer | None:
    """The store's customer by email (any case), loyaldesk id or the store's own id."""
    text = text.strip()
    if not text:
        return None
    tests = [func.lower(Customer.email) == text.lower(), Customer.external_id == text]
    if text.isdigit() and len(text) < 19:
        tests.append(Customer.id == int(text))
    return session.scalar(
        select(Customer).where(Customer.store_id == store_id, or_(*tests)).order_by(Customer.id).limit(1)
    )


@router.get("/console/{store_slug}/journeys/{rule_id:int}/explain", response_class=HTMLResponse)
def explain_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    rule_id: RuleId,
    customer: Annotated[str, Query(max_length=320)] = "",
) -> Response:
    """The rule explained for one customer; without one (or an unknown one), the form to ask."""
    console.require(Permission.VIEW_JOURNEYS)
    now = runtime.clock.now()
    with runtime.database.read() as session:
        store = store_by_id(session, console.store.id)
        rule = rule_of(session, store.id, rule_id)
        found = find_customer(session, store.id, customer)
        explanation = explain(session, store, rule, found, now) if found is not None else None
        settings = messaging_settings(session, store.id)
        tests = (
            [
                {
                    "passed": test.passed,
                    "words": f"{field_label(test.field)} {OPERATOR_LABELS.get(test.op, test.op)}"
                    + ("" if test.op in ("exists", "not_exists") else f" {value_words(test.expected)}"),
                    "actual": value_words(test.actual),
                }
                for test in explanation.now_tests
            ]
            if explanation
            else []
        )
        return render(
            request,
            "journeys/explain.html",
            page_context(
                console,
                "rules",
                rule=rule,
                store=store,
                asked=customer,
                customer=found,
                explanation=explanation,
                tests=tests,
                channels=list(Channel),
                quiet_window=f"{settings.quiet_start_hour:02d}:00 to {settings.quiet_end_hour:02d}:00",
                not_found=bool(customer.strip()) and found is None,
            ),
            status_code=404 if customer.strip() and found is None else 200,
        )
