"""Racing changes to one session (convention 5), on both backends: two agents asking at once get one
session; an accept and a decline at once, one wins; two ends at once, one ends it (one event, one line in
the history)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from loyaldesk import calls
from loyaldesk.calls import CallKind, CallParty, CallState
from loyaldesk.kernel.errors import DomainError
from loyaldesk.kernel.events import EventRecord
from loyaldesk.support import Message
from tests.calls.conftest import CallDesk

THREADS = 4


def race(attempts: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(attempts))

    def run(attempt: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return attempt()
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(run, attempts))


def events(desk: CallDesk, event_type: str) -> int:
    with desk.db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(EventRecord).where(EventRecord.event_type == event_type)
            )
        )


def test_agents_asking_at_once_share_one_session(desk: CallDesk) -> None:
    agents = [desk.agent, desk.second_agent] * (THREADS // 2)
    results = race(
        [
            lambda agent=agent: desk.db.write(
                calls.request_session, agent, conversation_id=desk.conversation_id, kind=CallKind.VIDEO
            )
            for agent in agents
        ]
    )
    assert len({result.id for result in results}) == 1, results
    assert events(desk, "calls.session_requested") == 1


def test_an_accept_and_a_decline_at_once_one_wins(desk: CallDesk) -> None:
    asked = desk.db.write(
        calls.request_session, desk.agent, conversation_id=desk.conversation_id, kind=CallKind.COBROWSE
    )

    def answer(accept: bool) -> calls.CallSessionView:
        return desk.write(
            calls.answer_session,
            session_id=asked.id,
            party=CallParty.SHOPPER,
            accept=accept,
            contact_id=desk.contact_id,
        )

    results = race([lambda accept=n % 2 == 0: answer(accept) for n in range(THREADS)])
    final = desk.read(calls.session_view, asked.id)
    assert final.state in (CallState.ACTIVE, CallState.DECLINED)
    winners = [r for r in results if isinstance(r, calls.CallSessionView)]
    losers = [r for r in results if not isinstance(r, calls.CallSessionView)]
    assert all(r.state == final.state for r in winners) and all(
        isinstance(r, calls.SessionNotOpen) for r in losers
    )
    assert len(winners) == len(losers) == THREADS // 2
    assert events(desk, "calls.session_answered") == 1


def test_two_ends_at_once_end_it_once(desk: CallDesk) -> None:
    asked = desk.db.write(
        calls.request_session, desk.agent, conversation_id=desk.conversation_id, kind=CallKind.VOICE
    )
    desk.write(
        calls.answer_session,
        session_id=asked.id,
        party=CallParty.SHOPPER,
        accept=True,
        contact_id=desk.contact_id,
    )
    ends = [
        lambda: desk.write(calls.end_session, session_id=asked.id, party=CallParty.AGENT, actor=desk.agent),
        lambda: desk.write(
            calls.end_session, session_id=asked.id, party=CallParty.SHOPPER, contact_id=desk.contact_id
        ),
    ] * (THREADS // 2)
    results = race(ends)
    assert all(isinstance(r, calls.CallSessionView) and r.state == CallState.ENDED for r in results), results
    assert events(desk, "calls.session_ended") == 1
    with desk.db.read() as session:
        notes = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == desk.conversation_id, Message.author_kind == "system")
        )
    assert notes == 1
