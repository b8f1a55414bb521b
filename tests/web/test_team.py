"""The team page, profiles and shout-outs, through the console as staff use them."""

from __future__ import annotations

import re

from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from tests.factories import StoreHandle, table_counts
from tests.feedback.test_team_setup import (
    CSAT_QUESTIONS,
    add_staff,
    console_clients,
    csrf,
    customer_answers,
    make_survey,
    served_conversation,
)
from tests.support.desk import console_socket, event_named, receive_until


def _row(html: str, name: str) -> str:
    match = re.search(
        rf"<tr data-agent=\"\d+\">\s*<th scope=\"row\"><a [^>]*>{name}</a></th>(.*?)</tr>", html, re.S
    )
    assert match, f"no row for {name}"
    return match.group(1)


def test_the_team_page_hides_csat_below_the_minimum_and_lists_agents_by_name(
    db: Database, runtime: Runtime, store: StoreHandle, password_hash: str
) -> None:
    zoe = add_staff(db, store, "Zoe Agent", "agent", password_hash)
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    add_staff(db, store, "Max Analyst", "analyst", password_hash)
    csat = make_survey(db, store, "csat", CSAT_QUESTIONS)
    # Zoe: 5 answers (the store's minimum, 5): 4 satisfied. Ana: 4 answers, all 5s, and quicker work.
    for score in (5, 4, 5, 4, 1):
        customer_answers(db, store, csat, {"score": score}, agent_id=zoe)
    for _ in range(4):
        customer_answers(db, store, csat, {"score": 5, "comment": "fast and kind"}, agent_id=ana)
    for _ in range(3):
        served_conversation(db, store, ana, resolved=True, customer="c-ana")
    served_conversation(db, store, zoe, resolved=True, customer="c-zoe")

    with console_clients(runtime, store, "Max Analyst") as clients:
        page = clients["Max Analyst"].get(f"/console/{store.slug}/team")
    assert page.status_code == 200
    html = page.text
    # In name order (Ana before Zoe), whatever their numbers; the analyst is not on the desk.
    assert html.index(">Ana Agent<") < html.index(">Zoe Agent<")
    assert ">Max Analyst</a></th>" not in html
    ana_row, zoe_row = _row(html, "Ana Agent"), _row(html, "Zoe Agent")
    assert "Not enough answers yet (4 of 5)" in ana_row and "%" not in ana_row
    assert "80% satisfied" in zoe_row and "n = 5" in zoe_row and "95% interval" in zoe_row
    assert re.search(r"<td class=\"num\">3</td>\s*<td class=\"num\">4</td>", ana_row)  # resolved, kudos
    # Nothing measures speed, and nothing is ranked.
    for word in ("response time", "first response", "fastest", "minutes", "leaderboard", "#1"):
        assert word not in html.lower()


def test_a_shoutout_reaches_a_colleague_and_bad_ones_are_refused_with_the_reason(
    db: Database, runtime: Runtime, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    bob = add_staff(db, store, "Bob Agent", "agent", password_hash)
    stranger = add_staff(db, other_store, "Sam Stranger", "agent", password_hash)
    conversation, _ = served_conversation(db, store, bob)
    foreign, _ = served_conversation(db, other_store, stranger)
    tables = ("feedback_shoutouts", "audit_log", "domain_events")
    with console_clients(runtime, store, "Ana Agent", "Bob Agent") as clients:
        ana_client = clients["Ana Agent"]
        form = ana_client.get(f"/console/{store.slug}/team/shoutouts/new?conversation_id={conversation}")
        assert form.status_code == 200
        assert f'<option value="{bob}" selected>Bob Agent</option>' in form.text  # the conversation's agent
        assert f'<option value="{ana}"' not in form.text  # not oneself
        token = csrf(ana_client, store.slug)

        def give(**values: object):  # type: ignore[no-untyped-def]
            data = {"to_staff_id": bob, "conversation_id": conversation, "message": "Great save!", **values}
            return ana_client.post(
                f"/console/{store.slug}/team/shoutouts",
                data={**data, "csrf_token": token},
                follow_redirects=False,
            )

        before = table_counts(db, *tables)
        refusals = {
            "yourself": give(to_staff_id=ana),
            "another store's staff": give(to_staff_id=stranger),
            "an empty message": give(message="   "),
            "nothing at all": give(message=""),
            "too long": give(message="x" * 501),
            "another store's conversation": give(conversation_id=foreign),
        }
        for why, response in refusals.items():
            assert response.status_code == 422, why
            assert "Nothing was saved" in response.text, why
        assert "not yourself" in refusals["yourself"].text
        assert "is not on this store&#39;s staff" in refusals["another store's staff"].text
        assert "write a few words of thanks" in refusals["an empty message"].text
        assert "no such conversation in this store" in refusals["another store's conversation"].text
        assert table_counts(db, *tables) == before

        with console_socket(clients["Bob Agent"], store.slug) as socket:
            assert socket.receive_json()["type"] == "ready"
            given = give(message="Thanks for taking over the refund, Bob!")
            assert given.status_code == 303 and given.headers["location"].endswith(f"/team/{bob}?given=1")
            frame = receive_until(socket, event_named("feedback.shoutout_received"))
        assert frame["data"]["to_staff_id"] == bob and frame["data"]["from_staff_id"] == ana
        profile = clients["Bob Agent"].get(f"/console/{store.slug}/team/{bob}").text
        assert "Thanks for taking over the refund, Bob!" in profile and "Ana Agent" in profile
        assert clients["Bob Agent"].get(f"/console/{store.slug}/team/{stranger}").status_code == 404
