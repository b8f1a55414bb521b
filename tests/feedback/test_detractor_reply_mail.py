"""The team's reply in a detractor's conversation reaches the customer by email: the conversation was
opened by loyaldesk for a known customer (no mail from them yet), so the reply goes to the customer's
address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.support import OutboundEmail, post_agent_message
from tests.factories import StoreHandle
from tests.feedback.test_detractors import (
    answer,
    invite,
    make_customer,
    make_survey,
    response_row,
    run_opening_job,
)


def test_the_teams_reply_to_a_detractor_is_mailed_to_the_customer(
    db: Database, clock: FakeClock, store: StoreHandle
) -> None:
    survey = make_survey(db, store)
    emma = make_customer(db, store, "emma", email="emma@example.com")
    response_id = answer(db, invite(db, store, survey, emma), {"score": 2, "why": "Late again."})
    clock.advance(timedelta(seconds=31))
    assert run_opening_job(db) == 1
    dispatch_until_idle(db)
    conversation_id = response_row(db, response_id).detractor_conversation_id
    assert conversation_id is not None
    db.write(
        post_agent_message, store.actor, conversation_id, body="Sorry, Emma: a new parcel is on its way."
    )
    dispatch_until_idle(db)
    with db.read() as session:
        mails = list(
            session.scalars(select(OutboundEmail).where(OutboundEmail.conversation_id == conversation_id))
        )
    assert [mail.recipient for mail in mails] == ["emma@example.com"]
    assert (
        "a new parcel is on its way" in mails[0].raw.decode()
        if isinstance(mails[0].raw, bytes)
        else mails[0].raw
    )
