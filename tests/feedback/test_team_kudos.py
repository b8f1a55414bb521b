"""Kudos: a customer's top score with a comment about an agent's conversation becomes one kudos, the
agent hears of it live on the console's socket, and counts it as new until they open their profile."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from loyaldesk.feedback.models import Kudos
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.runtime import Runtime
from tests.factories import StoreHandle
from tests.feedback.test_team_setup import (
    CSAT_QUESTIONS,
    NPS_QUESTIONS,
    RATING_QUESTIONS,
    add_staff,
    answer_more,
    console_clients,
    customer_answers,
    make_survey,
    served_conversation,
)
from tests.support.desk import console_socket, event_named, receive_until


def _kudos(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Kudos)) or 0)


def test_only_a_top_score_with_a_comment_makes_kudos_once_per_answer(
    db: Database, runtime: Runtime, store: StoreHandle, password_hash: str
) -> None:
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    csat = make_survey(db, store, "csat", CSAT_QUESTIONS)
    nps = make_survey(db, store, "nps", NPS_QUESTIONS)
    rating = make_survey(db, store, "custom", RATING_QUESTIONS)
    conversation, _ = served_conversation(db, store, ana)

    def said(survey: int, answers: dict[str, object], agent: int | None = ana) -> int:
        return customer_answers(db, store, survey, answers, agent_id=agent, conversation_id=conversation)

    said(csat, {"score": 5})  # top, no comment
    said(csat, {"score": 4, "comment": "Quite good"})  # a comment, not the top
    said(csat, {"score": 5, "comment": "   "})  # a blank comment
    said(csat, {"score": 5, "comment": "Nobody served me"}, agent=None)  # no agent
    said(nps, {"score": 9, "comment": "Fine"})
    said(rating, {"stars": 2, "words": "ok"})
    assert _kudos(db) == 0

    said(csat, {"score": 5, "comment": "Ana sorted my refund in minutes!"})
    said(nps, {"score": 10, "comment": "Best service I have had"})
    said(rating, {"stars": 3, "words": "Three stars for Ana"})  # the top of the custom scale
    assert _kudos(db) == 3

    # The handler run again for every answer (a retried event) changes nothing: one kudos per answer.
    from loyaldesk.feedback import SurveyAnswered
    from loyaldesk.feedback.models import SurveyResponse
    from loyaldesk.feedback.team import record_kudos

    def replay(uow):  # type: ignore[no-untyped-def]
        for response in uow.session.scalars(select(SurveyResponse)):
            event = SurveyAnswered(
                store_id=store.id,
                response_id=response.id,
                survey_id=response.survey_id,
                survey_kind=response.survey_kind,
                score=response.score,
                has_comment=bool(response.comment),
            )
            record_kudos(uow, None, event)  # type: ignore[arg-type]

    db.write(replay)
    dispatch_until_idle(db)
    assert _kudos(db) == 3

    with console_clients(runtime, store, "Ana Agent") as clients:
        page = clients["Ana Agent"].get(f"/console/{store.slug}/team/{ana}")
    assert page.status_code == 200
    for words in ("Ana sorted my refund in minutes!", "Best service I have had", "Three stars for Ana"):
        assert words in page.text
    assert "Quite good" not in page.text and "Nobody served me" not in page.text


def test_a_comment_added_later_to_a_top_score_makes_the_kudos_then(
    db: Database, runtime: Runtime, store: StoreHandle, password_hash: str
) -> None:
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    csat = make_survey(db, store, "csat", [CSAT_QUESTIONS[0], {**CSAT_QUESTIONS[1], "required": True}])
    conversation, _ = served_conversation(db, store, ana)
    response = customer_answers(db, store, csat, {"score": 5}, agent_id=ana, conversation_id=conversation)
    assert _kudos(db) == 0

    with db.read() as session:
        from loyaldesk.feedback.models import SurveyResponse

        invitation_id = session.get(SurveyResponse, response).invitation_id
    answer_more(db, invitation_id, {"comment": "Thanks, it arrived today"})
    assert _kudos(db) == 1


def test_the_agent_hears_of_kudos_live_and_sees_them_as_new_until_opening_the_profile(
    db: Database, runtime: Runtime, store: StoreHandle, password_hash: str
) -> None:
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    bob = add_staff(db, store, "Bob Agent", "agent", password_hash)
    csat = make_survey(db, store, "csat", CSAT_QUESTIONS)
    conversation, _ = served_conversation(db, store, ana)
    with console_clients(runtime, store, "Ana Agent", "Bob Agent") as clients:
        ana_client, bob_client = clients["Ana Agent"], clients["Bob Agent"]
        with console_socket(ana_client, store.slug) as socket:
            assert json.loads(socket.receive_text())["type"] == "ready"
            customer_answers(
                db,
                store,
                csat,
                {"score": 5, "comment": "Lovely help"},
                agent_id=ana,
                conversation_id=conversation,
            )
            frame = receive_until(socket, event_named("feedback.kudos_received"))
        assert frame["data"]["agent_id"] == ana
        assert "Lovely help" not in json.dumps(frame)  # ids only on the socket, never the customer's words

        # The notice says for whom: Ana's inbox shows it, Bob's does not.
        mine = ana_client.get(f"/console/{store.slug}/team/notices.json").json()
        assert mine["staff_id"] == ana and mine["unseen_kudos"] == 1
        theirs = bob_client.get(f"/console/{store.slug}/team/notices.json").json()
        assert theirs["staff_id"] == bob and theirs["unseen_kudos"] == 0

        # Bob looking at Ana's profile does not make her kudos seen; Ana opening it does.
        assert "new kudos" not in bob_client.get(f"/console/{store.slug}/team/{ana}").text
        assert ana_client.get(f"/console/{store.slug}/team/notices.json").json()["unseen_kudos"] == 1
        team = ana_client.get(f"/console/{store.slug}/team").text
        assert "My kudos (1 new)" in team
        profile = ana_client.get(f"/console/{store.slug}/team/{ana}").text
        assert "1 new kudos from customers" in profile
        assert ana_client.get(f"/console/{store.slug}/team/notices.json").json()["unseen_kudos"] == 0
        assert "new kudos" not in ana_client.get(f"/console/{store.slug}/team/{ana}").text


def test_erasing_the_customer_erases_their_kudos(
    db: Database, runtime: Runtime, store: StoreHandle, password_hash: str
) -> None:
    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    csat = make_survey(db, store, "csat", CSAT_QUESTIONS)
    _, customer = served_conversation(db, store, ana)
    customer_answers(
        db, store, csat, {"score": 5, "comment": "Ana was wonderful"}, agent_id=ana, customer_id=customer
    )
    customer_answers(db, store, csat, {"score": 5, "comment": "Someone else's thanks"}, agent_id=ana)
    assert _kudos(db) == 2
    with console_clients(runtime, store, "Ana Agent") as clients:
        erased = clients["anonymous"].post(f"/api/v1/customers/{customer}/erase", headers=store.auth)
        assert erased.status_code == 200, erased.text
        profile = clients["Ana Agent"].get(f"/console/{store.slug}/team/{ana}").text
    assert "Ana was wonderful" not in profile and "Someone else&#39;s thanks" in profile
    assert _kudos(db) == 1


def test_the_chats_own_five_star_rating_with_a_comment_is_kudos_too(
    db: Database, runtime: Runtime, store: StoreHandle, password_hash: str
) -> None:
    """The chat's rating (support's 1-5, by the link in the email) reaches kudos through the mirror."""
    from loyaldesk.support import csat_link_token
    from tests.support.desk import console_csrf

    ana = add_staff(db, store, "Ana Agent", "agent", password_hash)
    conversation, _ = served_conversation(db, store, ana)
    with db.read() as session:
        from loyaldesk.stores import Store

        secret = session.get(Store, store.id).identity_secret  # type: ignore[union-attr]
    with console_clients(runtime, store, "Ana Agent") as clients:
        ana_client = clients["Ana Agent"]
        resolved = ana_client.post(
            f"/console/{store.slug}/inbox/{conversation}/status",
            data={"status": "resolved", "csrf_token": console_csrf(ana_client, store.slug)},
            follow_redirects=False,
        )
        assert resolved.status_code == 303, resolved.text[:300]
        link = f"/csat/{store.slug}/{conversation}/{csat_link_token(secret, conversation)}"
        rated = clients["anonymous"].post(link, data={"rating": "5", "comment": "Ana is a star"})
        assert rated.status_code == 200, rated.text[:300]
        dispatch_until_idle(db)
        assert _kudos(db) == 1
        assert "Ana is a star" in ana_client.get(f"/console/{store.slug}/team/{ana}").text

        # Rating again replaces the rating: new words replace the kudos' words; a lower rating withdraws it.
        clients["anonymous"].post(link, data={"rating": "5", "comment": "Ana is a true star"})
        dispatch_until_idle(db)
        assert _kudos(db) == 1
        assert "Ana is a true star" in ana_client.get(f"/console/{store.slug}/team/{ana}").text
        clients["anonymous"].post(link, data={"rating": "2", "comment": "On second thought, no"})
        dispatch_until_idle(db)
        assert _kudos(db) == 0
        assert "star" not in ana_client.get(f"/console/{store.slug}/team/{ana}").text
