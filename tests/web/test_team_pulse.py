"""The staff pulse through the console: a manager opens it, every staff member answers once and
anonymously, results for managers only from the minimum number of answers on; the next one of a series
opens on its own."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import inspect, select

from loyaldesk.feedback.models import StaffPulse
from loyaldesk.feedback.team import run_pulses
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from tests.factories import StoreHandle, csrf_of, login, table_counts
from tests.feedback.test_team_setup import add_staff, console_clients, email_of

AGENTS = ("Ana Agent", "Bob Agent", "Cy Agent", "Di Agent", "Ed Agent", "Flo Agent")
ANSWER_TABLES = (
    "feedback_staff_pulse_answers",
    "feedback_staff_pulse_participants",
    "audit_log",
    "domain_events",
)


def _open_pulse(client, slug: str, **values: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/console/{slug}/team/pulse").text)
    data = {
        "title": "Autumn pulse",
        "open_days": "7",
        "recurrence": "once",
        "question_1": "I have the tools I need",
        "type_1": "scale",
        "question_2": "What would you change?",
        "type_2": "text",
        "csrf_token": token,
        **values,
    }
    return client.post(f"/console/{slug}/team/pulse", data=data, follow_redirects=False)


def _answer(client, slug: str, pulse_id: int, **answers: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/console/{slug}/team/pulse").text)
    return client.post(
        f"/console/{slug}/team/pulse/{pulse_id}",
        data={**answers, "csrf_token": token},
        follow_redirects=False,
    )


def test_pulse_answers_are_anonymous_once_each_and_hidden_below_the_minimum(
    db: Database, runtime: Runtime, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    add_staff(db, store, "Olivia Owner", "owner", password_hash)
    for name in AGENTS:
        add_staff(db, store, name, "agent", password_hash)
    add_staff(db, other_store, "Sam Stranger", "owner", password_hash)
    with console_clients(runtime, store, "Olivia Owner", *AGENTS) as clients:
        owner, ana = clients["Olivia Owner"], clients["Ana Agent"]
        slug = store.slug

        # Only managers open pulses; a bad one is refused with the reason and stores nothing.
        assert _open_pulse(ana, slug).status_code == 403
        refused = _open_pulse(owner, slug, title="", open_days="0")
        assert refused.status_code == 422 and "Nothing was saved" in refused.text
        assert table_counts(db, "feedback_staff_pulses") == {"feedback_staff_pulses": 0}
        created = _open_pulse(owner, slug)
        assert created.status_code == 303
        pulse_id = int(re.search(r"/team/pulse/(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
        page = ana.get(f"/console/{slug}/team/pulse/{pulse_id}").text
        assert "How likely are you to recommend working here to a friend?" in page
        assert "I have the tools I need" in page and "data-results" not in page  # no results for agents

        # A wrong answer: refused, nothing stored.
        before = table_counts(db, *ANSWER_TABLES)
        wrong = _answer(ana, slug, pulse_id, enps="11", q1="3")
        assert wrong.status_code == 422 and "choose a number from 0 to 10" in wrong.text
        assert _answer(ana, slug, pulse_id, q1="3").status_code == 422  # eNPS is required
        assert table_counts(db, *ANSWER_TABLES) == before

        comments = {
            "Ana Agent": "More training on refunds please",
            "Bob Agent": "more training on refunds and returns",
            "Cy Agent": "Better chairs",
            "Di Agent": "",
        }
        for number, (name, comment) in enumerate(comments.items()):
            answered = _answer(
                clients[name], slug, pulse_id, enps=str(6 + number), q1=str(2 + number), q2=comment
            )
            assert answered.status_code == 303, answered.text[:300]
        # Answering leaves no trace that names the person next to the answer: no audit row, no event.
        after = table_counts(db, *ANSWER_TABLES)
        assert after["audit_log"] == before["audit_log"] and after["domain_events"] == before["domain_events"]
        columns = {
            column["name"] for column in inspect(db.engine).get_columns("feedback_staff_pulse_answers")
        }
        assert not {"staff_id", "created_at", "answered_at"} & columns

        # Twice: refused, nothing stored.
        again = _answer(ana, slug, pulse_id, enps="10", q1="5")
        assert again.status_code == 409 and "already answered" in again.text
        assert table_counts(db, *ANSWER_TABLES) == after

        # Another store's staff cannot reach it at all.
        with console_clients(runtime, other_store, "Sam Stranger") as strangers:
            stranger = strangers["Sam Stranger"]
            assert stranger.get(f"/console/{slug}/team/pulse/{pulse_id}").status_code == 404
            token = csrf_of(stranger.get(f"/console/{other_store.slug}/team/pulse").text)
            post = stranger.post(
                f"/console/{slug}/team/pulse/{pulse_id}", data={"enps": "9", "csrf_token": token}
            )
            assert post.status_code == 404
            # Nor through their own store's address.
            post = stranger.post(
                f"/console/{other_store.slug}/team/pulse/{pulse_id}", data={"enps": "9", "csrf_token": token}
            )
            assert post.status_code == 404
        pulse_tables = ANSWER_TABLES[:2]
        assert table_counts(db, *pulse_tables) == {name: after[name] for name in pulse_tables}

        # 4 of 5: hidden, saying how many more are needed.
        results = owner.get(f"/console/{slug}/team/pulse/{pulse_id}").text
        assert "data-results-hidden" in results and "1 more answer is needed" in results
        assert "data-enps" not in results

        _answer(clients["Ed Agent"], slug, pulse_id, enps="10", q1="5", q2="Nothing, I love it")
        results = owner.get(f"/console/{slug}/team/pulse/{pulse_id}").text
        assert "data-enps" in results and "Based on 5 of 5 answers" in results
        # eNPS of 6, 7, 8, 9, 10: 2 promoters, 1 detractor of 5 = +20.
        assert "+20" in results and "95% interval" in results
        assert "“training refunds”" in results  # recurring in two comments (stop words left out)
        # No single comment, no name next to an answer.
        for comment in comments.values():
            if comment:
                assert comment not in results
        for name in AGENTS:
            assert name not in results.split('id="results-title"')[1]

        # A sixth answer does not change the results on its own: they grow in groups of five.
        _answer(clients["Flo Agent"], slug, pulse_id, enps="0", q1="1", q2="Too much overtime")
        results = owner.get(f"/console/{slug}/team/pulse/{pulse_id}").text
        assert "Based on 5 of 6 answers" in results and "+20" in results


def test_a_monthly_pulse_opens_the_next_one_when_its_day_comes(
    db: Database, runtime: Runtime, store: StoreHandle, clock: FakeClock, password_hash: str
) -> None:
    add_staff(db, store, "Olivia Owner", "owner", password_hash)
    with console_clients(runtime, store, "Olivia Owner") as clients:
        owner = clients["Olivia Owner"]
        assert _open_pulse(owner, store.slug, recurrence="monthly", open_days="5").status_code == 303
        assert db.write(run_pulses) == 0  # nothing due yet
        clock.advance(timedelta(days=6))
        assert db.write(run_pulses) == 1  # the first closes
        clock.advance(timedelta(days=25))
        assert db.write(run_pulses) == 1  # a month after the first opened: the next opens
        assert db.write(run_pulses) == 0  # once
        login(owner, email_of("Olivia Owner", store))  # a month later: the console session has expired
        listing = owner.get(f"/console/{store.slug}/team/pulse").text
    with db.read() as session:
        pulses = list(session.scalars(select(StaffPulse).order_by(StaffPulse.id)))
    assert [pulse.status for pulse in pulses] == ["closed", "open"]
    assert pulses[1].opens_at - pulses[0].opens_at == timedelta(days=31)  # 2 March to 2 April
    assert pulses[1].closes_at - pulses[1].opens_at == timedelta(days=5)
    assert pulses[1].questions == pulses[0].questions
    assert listing.count("Autumn pulse") == 2 and "Answer now" in listing
