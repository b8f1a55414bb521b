"""Coaching through the console: an agent sees their own low-rated conversations and the notes on them;
their team lead (and a manager) sees the list and leaves private notes; other agents see neither."""

from __future__ import annotations

from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.support import save_team, set_agent_teams
from loyaldesk.support.actions.sla_settings import set_team_lead
from tests.factories import StoreHandle, csrf_of, table_counts
from tests.feedback.test_team_setup import (
    CSAT_QUESTIONS,
    NPS_QUESTIONS,
    add_staff,
    console_clients,
    customer_answers,
    make_survey,
    served_conversation,
)


def test_coaching_notes_reach_the_agent_and_their_leads_only(
    db: Database, runtime: Runtime, store: StoreHandle, other_store: StoreHandle, password_hash: str
) -> None:
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    bob = add_staff(db, store, "Bob Agent", "agent", password_hash)
    lea = add_staff(db, store, "Lea Lead", "agent", password_hash)
    add_staff(db, store, "Olivia Owner", "owner", password_hash)
    add_staff(db, store, "Max Analyst", "analyst", password_hash)

    def team(uow):  # type: ignore[no-untyped-def]
        actor = system_for(store.id)
        created = save_team(uow, actor, store.id, name="Returns")
        set_agent_teams(uow, actor, store.id, ana, [created.id])
        set_agent_teams(uow, actor, store.id, lea, [created.id])
        set_team_lead(uow, actor, store.id, created.id, lea)

    db.write(team)
    csat = make_survey(db, store, "csat", CSAT_QUESTIONS)
    nps = make_survey(db, store, "nps", NPS_QUESTIONS)
    conversation, _ = served_conversation(db, store, ana)
    low = customer_answers(
        db,
        store,
        csat,
        {"score": 1, "comment": "Nobody read my email"},
        agent_id=ana,
        conversation_id=conversation,
    )
    customer_answers(db, store, nps, {"score": 3, "comment": "Slow refund"}, agent_id=ana)
    customer_answers(db, store, csat, {"score": 4, "comment": "Fine really"}, agent_id=ana)  # not low
    customer_answers(db, store, csat, {"score": 2, "comment": "Bob was rude"}, agent_id=bob)

    slug = store.slug
    with console_clients(
        runtime, store, "Ana Agent", "Bob Agent", "Lea Lead", "Olivia Owner", "Max Analyst"
    ) as c:
        mine = c["Ana Agent"].get(f"/console/{slug}/team/coaching").text
        assert "Nobody read my email" in mine and "Slow refund" in mine
        assert "Fine really" not in mine and "Bob was rude" not in mine
        assert f"/inbox?view=all&amp;c={conversation}" in mine
        assert "Private note for" not in mine  # agents do not coach themselves

        # Bob (another agent) and the analyst cannot see Ana's list; Lea (her lead) and the owner can.
        assert c["Bob Agent"].get(f"/console/{slug}/team/coaching/{ana}").status_code == 403
        assert c["Max Analyst"].get(f"/console/{slug}/team/coaching/{ana}").status_code == 403
        assert c["Lea Lead"].get(f"/console/{slug}/team/coaching/{bob}").status_code == 403  # not her team
        assert "Nobody read my email" in c["Lea Lead"].get(f"/console/{slug}/team/coaching/{ana}").text
        assert "Nobody read my email" in c["Olivia Owner"].get(f"/console/{slug}/team/coaching/{ana}").text

        def note(who: str, text: str, response: int = low, agent: int = ana):  # type: ignore[no-untyped-def]
            token = csrf_of(c[who].get(f"/console/{slug}/team/coaching").text)
            return c[who].post(
                f"/console/{slug}/team/coaching/{agent}/notes",
                data={"response_id": str(response), "note": text, "csrf_token": token},
                follow_redirects=False,
            )

        before = table_counts(db, "feedback_coaching_notes")
        assert note("Bob Agent", "Try harder").status_code == 403
        assert note("Ana Agent", "Note to self").status_code == 403
        assert note("Max Analyst", "Hm").status_code == 403
        assert note("Bob Agent", "sneaky", agent=bob).status_code == 403  # her answer under his own path
        empty = note("Lea Lead", "   ")
        assert empty.status_code == 422 and "write the note" in empty.text
        assert table_counts(db, "feedback_coaching_notes") == before

        saved = note("Lea Lead", "Reply to emails within the day; let us look at the queue together.")
        assert saved.status_code == 303
        assert note("Olivia Owner", "Agreed with Lea.").status_code == 303

        # Ana sees the notes on her own answers; Bob sees nothing of them anywhere he can look.
        mine = c["Ana Agent"].get(f"/console/{slug}/team/coaching").text
        assert (
            "let us look at the queue together" in mine and "Lea Lead" in mine and "Agreed with Lea." in mine
        )
        for path in ("/team/coaching", f"/team/{ana}", "/team", f"/team/coaching/{ana}"):
            assert "look at the queue" not in c["Bob Agent"].get(f"/console/{slug}{path}").text, path

    add_staff(db, other_store, "Sam Stranger", "owner", password_hash)
    with console_clients(runtime, other_store, "Sam Stranger") as strangers:
        assert strangers["Sam Stranger"].get(f"/console/{slug}/team/coaching/{ana}").status_code == 404
