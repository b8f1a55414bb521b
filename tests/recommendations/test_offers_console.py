"""Personal offers in the console over HTTP: a manager creates a draft (bad values come back beside their
inputs, 422, nothing stored), launches it with the form's CSRF token (the page says telling has started
and shows its progress until the job has told everyone), reads its results and chart; an analyst reads
but cannot manage; an agent cannot see offers at all."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations import Offer
from tests.factories import StoreHandle, csrf_of, login, make_staff, table_counts
from tests.recommendations.offer_world import shop, tell

NEW = "/console/acme/recommendations/offers/new"
LIST = "/console/acme/recommendations/offers"


def form(clock: FakeClock, **change: str) -> dict[str, str]:
    values = {
        "name": "Beans bonus",
        "description": "",
        "kind": "percent_discount",
        "value": "15",
        "target_kind": "category",
        "target": "Coffee",
        "segment": "",
        "holdout_percent": "20",
        "ends_on": (clock.now() + timedelta(days=10)).date().isoformat(),
    }
    values.update(change)
    return values


def test_a_manager_creates_launches_and_reads_an_offer(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient, password_hash: str
) -> None:
    shop(db, store, 30, clock.now() - timedelta(days=3))
    login(client, make_staff(db, store, "admin", password_hash))
    page = client.get(NEW)
    assert page.status_code == 200
    assert '<label for="f-value"' in page.text and 'name="holdout_percent"' in page.text
    token = csrf_of(page.text)
    for change, problem in (
        ({"value": "150"}, "between 1 and 100 percent"),
        ({"value": "0"}, 'id="f-value-error"'),
        ({"target": "Caviar"}, "no category &#39;Caviar&#39;"),
        ({"ends_on": "2020-01-01"}, "must be in the future"),
        ({"holdout_percent": "70"}, 'id="f-holdout_percent-error"'),
    ):
        refused = client.post(LIST, data={**form(clock, **change), "csrf_token": token})
        assert refused.status_code == 422, (change, refused.text[:400])
        assert problem in refused.text, change
        assert 'aria-invalid="true"' in refused.text
    assert table_counts(db, "recommendation_offers")["recommendation_offers"] == 0
    forged = client.post(LIST, data={**form(clock), "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    created = client.post(LIST, data={**form(clock), "csrf_token": token}, follow_redirects=False)
    assert created.status_code == 303
    offer_page = created.headers["location"]
    assert "Saved as a draft" in client.get(offer_page).text
    offer_id = int(offer_page.split("/")[-1].split("?")[0])
    launched = client.post(f"{LIST}/{offer_id}/launch", data={"csrf_token": token}, follow_redirects=False)
    assert launched.status_code == 303
    started = client.get(launched.headers["location"]).text
    assert "Telling the offer group has started" in started
    with db.read() as session:
        treatment = session.scalar(select(Offer.treatment_count).where(Offer.id == offer_id))
    assert treatment
    assert f"Told 0 of {treatment}" in started and "telling is under way" in started
    assert f"told 0 of {treatment}" in client.get(LIST).text  # the list shows the progress too
    assert tell(db) == treatment  # the job
    shown = client.get(f"{LIST}/{offer_id}")
    assert f"Told {treatment} of {treatment}" in shown.text and "under way" not in shown.text
    assert 'data-status="active"' in shown.text
    assert "Offer group" in shown.text and "Holdout" in shown.text and "95% interval" in shown.text
    # Nobody has ordered yet: an interval around zero is never called a clear difference.
    assert "not distinguishable from no effect" in shown.text and "(a clear difference)" not in shown.text
    with db.read() as session:
        offer = session.scalar(select(Offer).where(Offer.id == offer_id))
        assert offer is not None and offer.treatment_count + offer.holdout_count == 30
    chart = client.get(f"{LIST}/{offer_id}/chart.svg")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in chart.text
    listing = client.get(LIST)
    assert f'data-offer-id="{offer_id}"' in listing.text and "New offer" in listing.text
    ended = client.post(f"{LIST}/{offer_id}/end", data={"csrf_token": token}, follow_redirects=False)
    assert ended.status_code == 303
    assert 'data-status="ended"' in client.get(f"{LIST}/{offer_id}").text


def test_analysts_read_offers_and_agents_do_not_see_them(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient, password_hash: str
) -> None:
    shop(db, store, 5, clock.now() - timedelta(days=3))
    login(client, make_staff(db, store, "analyst", password_hash))
    listing = client.get(LIST)
    assert listing.status_code == 200 and "New offer" not in listing.text
    assert client.get(NEW).status_code == 403
    token = csrf_of(listing.text) if 'name="csrf_token"' in listing.text else "x"
    before = table_counts(db, "recommendation_offers")
    assert client.post(LIST, data={**form(clock), "csrf_token": token}).status_code == 403
    assert table_counts(db, "recommendation_offers") == before


def test_agents_do_not_see_offers(
    db: Database, store: StoreHandle, client: TestClient, password_hash: str
) -> None:
    login(client, make_staff(db, store, "agent", password_hash))
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
