"""The feedback inbox through HTTP, as staff use it: answers made by customers (``submit_answers`` on
invitations asked in the test) listed with their context; every filter narrows the list to exactly the
answers it should; another store's answers never appear; an agent may read it, an anonymous visitor is
sent to log in; the answer page; the API's list with the same filters."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.feedback.models import ResponseTheme, Theme
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, csrf_of, login, make_api_key, make_member, make_staff
from tests.feedback.insight_world import answered, answered_many, make_customer, make_product, make_survey


def _ids(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'data-response="(\d+)"', html)}


def _theme(db: Database, store_id: int, key: str, name: str) -> int:
    def create(uow):  # type: ignore[no-untyped-def]
        theme = Theme(store_id=store_id, key=key, name=name, created_at=uow.now())
        uow.session.add(theme)
        uow.session.flush()
        return theme.id

    return int(db.write(create))


def _tag(db: Database, store_id: int, response_id: int, theme_id: int, present: bool = True) -> None:
    def create(uow):  # type: ignore[no-untyped-def]
        uow.session.add(
            ResponseTheme(
                response_id=response_id,
                theme_id=theme_id,
                store_id=store_id,
                source="model" if present else "agent",
                present=present,
                at=uow.now(),
            )
        )

    db.write(create)


@pytest.fixture
def world(
    client: TestClient,
    db: Database,
    clock: FakeClock,
    store: StoreHandle,
    other_store: StoreHandle,
    password_hash: str,
) -> dict[str, Any]:
    """Two customers' answers in store acme over three weeks, one answer in store globex."""
    agent_email = make_staff(db, store, "agent", password_hash)
    with db.read() as session:
        agent_id = session.execute(
            text("SELECT id FROM staff_accounts WHERE email = :e"), {"e": agent_email}
        ).scalar()
    emma = make_customer(client, store.auth, "emma", "Emma")
    liam = make_customer(client, store.auth, "liam", "Liam")
    tier = client.post(
        "/api/v1/loyalty/tiers", json={"name": "Silver", "rank": 0, "threshold": 0}, headers=store.auth
    )
    assert tier.status_code in (200, 201), tier.text
    make_member(db, store, "mia")
    with db.read() as session:
        mia = session.execute(text("SELECT id FROM customers WHERE external_id = 'mia'")).scalar()
    tee = make_product(client, store.auth, "tee", "Organic tee")
    mug = make_product(client, store.auth, "mug", "Ceramic mug")
    nps = make_survey(db, store.id, "nps", "Quarterly NPS")
    csat = make_survey(db, store.id, "csat", "After delivery")
    ids: dict[str, Any] = {
        "agent": agent_id,
        "tee": tee,
        "mug": mug,
        "nps": nps,
        "csat_survey": csat,
        "emma": emma,
    }
    ids["promoter"] = answered(
        db, store.id, nps, emma, 10, "Fast delivery and a lovely tee", agent_id=agent_id, product_ids=[tee]
    )
    clock.advance(timedelta(days=7))
    ids["detractor"] = answered(
        db, store.id, nps, liam, 3, "The parcel arrived damaged", channel="sms", product_ids=[mug]
    )
    clock.advance(timedelta(days=7))
    ids["csat"] = answered(db, store.id, csat, emma, 2, channel="widget")
    ids["partial"] = answered(db, store.id, nps, liam, 8)  # NPS asks "why" too: a partial answer
    ids["member"] = answered(db, store.id, nps, mia, 9, "Love the points")
    damaged = _theme(db, store.id, "damaged", "Damaged item")
    _tag(db, store.id, ids["detractor"], damaged)
    _tag(db, store.id, ids["promoter"], damaged, present=False)  # a person said: not this theme
    ids["damaged"] = damaged
    globex_customer = make_customer(client, other_store.auth, "gina", "Gina")
    globex_nps = make_survey(db, other_store.id, "nps")
    ids["foreign"] = answered(db, other_store.id, globex_nps, globex_customer, 0, "SECRET of globex")
    login(client, agent_email)
    return ids


def test_the_inbox_lists_every_answer_with_its_context_and_no_other_store(
    client: TestClient, world: dict[str, Any]
) -> None:
    page = client.get("/console/acme/feedback")
    assert page.status_code == 200
    mine = {world[k] for k in ("promoter", "detractor", "csat", "partial", "member")}
    assert _ids(page.text) == mine
    assert "SECRET of globex" not in page.text
    assert ">Emma</a>" in page.text and "Fast delivery and a lovely tee" in page.text
    assert "<strong>3</strong> · Detractor" in page.text and "<strong>2</strong> · Detractor" in page.text
    assert "Organic tee" in page.text and "Agent" in page.text and "Partial" in page.text
    assert (
        'aria-current="page">Inbox</a>' in page.text and 'href="/console/acme/feedback/themes"' in page.text
    )
    # newest first
    order = [int(found) for found in re.findall(r'data-response="(\d+)"', page.text)]
    assert order == sorted(order, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bucket=detractor", {"detractor", "csat"}),
        ("bucket=promoter", {"promoter", "member"}),
        ("score_min=9", {"promoter", "member"}),
        ("score_min=3&score_max=8", {"detractor", "partial"}),
        ("kind=csat", {"csat"}),
        ("survey={nps}", {"promoter", "detractor", "partial", "member"}),
        ("theme={damaged}", {"detractor"}),
        ("product={mug}", {"detractor"}),
        ("product={tee}", {"promoter"}),
        ("agent={agent}", {"promoter"}),
        ("channel=sms", {"detractor"}),
        ("channel=widget", {"csat"}),
        ("comment=yes", {"promoter", "detractor", "member"}),
        ("comment=no", {"csat", "partial"}),
        ("complete=yes", {"promoter", "detractor", "csat", "member"}),
        ("from=2026-03-09&to=2026-03-09", {"detractor"}),
        ("to=2026-03-02", {"promoter"}),
        ("from=2026-03-16", {"csat", "partial", "member"}),
        ("bucket=detractor&channel=sms&comment=yes", {"detractor"}),
        ("bucket=&survey=&theme=&comment=", {"promoter", "detractor", "csat", "partial", "member"}),
    ],
)
def test_each_filter_narrows_the_inbox(
    client: TestClient, world: dict[str, Any], query: str, expected: set[str]
) -> None:
    page = client.get(f"/console/acme/feedback?{query.format(**world)}")
    assert page.status_code == 200, page.text
    assert _ids(page.text) == {world[name] for name in expected}


def test_the_tier_filter(client: TestClient, world: dict[str, Any], db: Database) -> None:
    with db.read() as session:
        tier = session.execute(
            text("SELECT tier FROM feedback_responses WHERE id = :id"), {"id": world["member"]}
        ).scalar()
    assert tier, "a member answers in their tier"
    page = client.get("/console/acme/feedback", params={"tier": tier})
    assert _ids(page.text) == {world["member"]}


def test_a_wrong_filter_is_named_and_lists_nothing(client: TestClient, world: dict[str, Any]) -> None:
    page = client.get("/console/acme/feedback?score_min=11&bucket=happy&from=yesterday")
    assert page.status_code == 422
    assert "score_min: a whole number from 0 to 10" in page.text
    assert "bucket: one of promoter, passive, detractor" in page.text
    assert "from: a date like" in page.text
    assert _ids(page.text) == set()


def test_pages_of_fifty_newest_first(
    client: TestClient, world: dict[str, Any], db: Database, store: StoreHandle
) -> None:
    answered_many(db, store.id, world["csat_survey"], world["emma"], [4 + index % 2 for index in range(50)])
    first = client.get("/console/acme/feedback?kind=csat")
    assert len(_ids(first.text)) == 50
    more = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert more is not None
    second = client.get(more.group(1).replace("&amp;", "&"))
    assert _ids(second.text) == {world["csat"]}  # the oldest CSAT answer, on the second page
    assert not _ids(first.text) & _ids(second.text)


def test_the_answer_page_has_everything_and_the_themes_form(
    client: TestClient, world: dict[str, Any]
) -> None:
    page = client.get(f"/console/acme/feedback/responses/{world['detractor']}")
    assert page.status_code == 200
    assert "The parcel arrived damaged" in page.text and "How likely are you to recommend us?" in page.text
    assert f'action="/console/acme/feedback/responses/{world["detractor"]}/themes"' in page.text
    assert re.search(rf'name="theme_id" value="{world["damaged"]}" checked', page.text)
    assert f'href="/console/acme/feedback/responses/{world["partial"]}"' in page.text  # Liam's other answer
    promoter = client.get(f"/console/acme/feedback/responses/{world['promoter']}")
    assert not re.search(rf'name="theme_id" value="{world["damaged"]}" checked', promoter.text)
    assert client.get(f"/console/acme/feedback/responses/{world['foreign']}").status_code == 404


def test_correcting_themes_from_the_answer_page(client: TestClient, world: dict[str, Any]) -> None:
    page = client.get(f"/console/acme/feedback/responses/{world['promoter']}")
    form = page.text.split("data-theme-form", 1)[1].split("</form>", 1)[0]
    action = f"/console/acme/feedback/responses/{world['promoter']}/themes"
    saved = client.post(
        action,
        data={"csrf_token": csrf_of(page.text), "theme_id": str(world["damaged"])},
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Themes saved" in saved.text
    assert re.search(rf'name="theme_id" value="{world["damaged"]}" checked', saved.text)
    assert 'name="theme_id"' in form and "checked" not in form  # before: none of its themes


def test_an_anonymous_visitor_is_sent_to_log_in(client: TestClient, world: dict[str, Any]) -> None:
    client.cookies.clear()
    for path in ("/console/acme/feedback", "/console/acme/feedback/dashboard"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]


def test_the_api_lists_answers_with_the_same_filters(
    client: TestClient, world: dict[str, Any], db: Database, store: StoreHandle
) -> None:
    everything = client.get("/api/v1/feedback/responses", headers=store.auth)
    assert everything.status_code == 200
    assert {row["id"] for row in everything.json()["data"]} == {
        world[k] for k in ("promoter", "detractor", "csat", "partial", "member")
    }
    narrowed = client.get(
        "/api/v1/feedback/responses",
        params={"bucket": "detractor", "kind": "nps", "theme": world["damaged"]},
        headers=store.auth,
    )
    [row] = narrowed.json()["data"]
    assert row["id"] == world["detractor"] and row["themes"][0]["name"] == "Damaged item"
    assert row["product_ids"] == [world["mug"]] and row["channel"] == "sms" and row["score"] == 3
    paged = client.get("/api/v1/feedback/responses", params={"limit": 2}, headers=store.auth).json()
    rest = client.get(
        "/api/v1/feedback/responses", params={"limit": 10, "cursor": paged["next_cursor"]}, headers=store.auth
    ).json()
    assert len(paged["data"]) == 2 and len(rest["data"]) == 3 and rest["next_cursor"] is None
    wrong = client.get("/api/v1/feedback/responses", params={"comment": "maybe"}, headers=store.auth)
    assert wrong.status_code == 422 and "comment" in wrong.text
    narrow_key = make_api_key(db, store, ["orders:read"])
    assert client.get("/api/v1/feedback/responses", headers=narrow_key).status_code == 403
