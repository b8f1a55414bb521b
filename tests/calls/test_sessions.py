"""The life of a call session through the actions: asked, answered (or declined), controlled, ended; the
refusals named; the audit rows, the events and the conversation's history line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from loyaldesk import calls
from loyaldesk.calls import CallKind, CallParty, CallState, RelayUsage
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from loyaldesk.kernel.events import EventRecord
from loyaldesk.stores.models import AuditLogEntry
from loyaldesk.support import Message
from loyaldesk.support.models import Conversation
from tests.calls.conftest import CallDesk, customer_conversation


def ask(
    desk: CallDesk, kind: CallKind = CallKind.COBROWSE, conversation_id: int | None = None
) -> calls.CallSessionView:
    return desk.db.write(
        calls.request_session, desk.agent, conversation_id=conversation_id or desk.conversation_id, kind=kind
    )


def event_types(desk: CallDesk) -> list[str]:
    with desk.db.read() as session:
        return list(
            session.scalars(
                select(EventRecord.event_type)
                .where(EventRecord.event_type.like("calls.%"))
                .order_by(EventRecord.id)
            )
        )


def audit_actions(desk: CallDesk) -> list[str]:
    with desk.db.read() as session:
        return list(
            session.scalars(
                select(AuditLogEntry.action)
                .where(AuditLogEntry.action.like("calls.%"))
                .order_by(AuditLogEntry.id)
            )
        )


def system_notes(desk: CallDesk) -> list[str]:
    with desk.db.read() as session:
        return list(
            session.scalars(
                select(Message.body)
                .where(Message.conversation_id == desk.conversation_id, Message.author_kind == "system")
                .order_by(Message.id)
            )
        )


def test_cobrowsing_asked_consented_controlled_and_ended_shows_in_the_history(desk: CallDesk) -> None:
    asked = ask(desk)
    assert asked.state == CallState.REQUESTED and asked.is_open
    assert (asked.contact_id, asked.customer_id, asked.agent_user_id) == (
        desk.contact_id,
        desk.customer_id,
        desk.agent.id,
    )
    assert ask(desk).id == asked.id  # asking again: the open one

    active = desk.write(
        calls.answer_session, session_id=asked.id, party=CallParty.SHOPPER, accept=True,
        contact_id=desk.contact_id, recording_allowed=True,
    )  # fmt: skip
    assert active.state == CallState.ACTIVE and active.recording_allowed and not active.control_allowed
    controlled = desk.write(calls.set_control, session_id=asked.id, allowed=True, contact_id=desk.contact_id)
    assert controlled.control_allowed

    desk.clock.advance(timedelta(minutes=4, seconds=12))
    ended = desk.write(
        calls.end_session, session_id=asked.id, party=CallParty.AGENT, actor=desk.agent,
        usage=RelayUsage(bytes_relayed=1000, frames_relayed=10),
    )  # fmt: skip
    assert (
        ended.state == CallState.ENDED and ended.duration_seconds == 252 and ended.ended_by == CallParty.AGENT
    )
    assert not ended.control_allowed and not ended.is_open
    assert system_notes(desk) == ["Co-browsing, 4 min 12 s"]
    assert event_types(desk) == [
        "calls.session_requested", "calls.session_answered", "calls.control_changed", "calls.session_ended",
    ]  # fmt: skip
    assert audit_actions(desk) == ["calls.session_requested", "calls.session_ended"]
    # ending again changes nothing (idempotent), from either side
    again = desk.write(
        calls.end_session, session_id=asked.id, party=CallParty.SHOPPER, contact_id=desk.contact_id
    )
    assert again == ended and len(system_notes(desk)) == 1
    assert [view.id for view in desk.read(calls.sessions_of_conversation, desk.conversation_id)] == [asked.id]
    json = ended.as_json()
    assert json["kind"] == "cobrowse" and json["state"] == "ended" and json["duration_seconds"] == 252


def test_the_shopper_rings_and_an_agent_answers_a_video_call(desk: CallDesk) -> None:
    ringing = desk.write(
        calls.request_session_as_shopper, contact_id=desk.contact_id, conversation_id=desk.conversation_id,
        kind=CallKind.VIDEO,
    )  # fmt: skip
    assert ringing.requested_by == CallParty.SHOPPER and ringing.agent_user_id is None
    assert [view.id for view in desk.read(calls.open_sessions_for_contact, desk.contact_id)] == [ringing.id]
    with pytest.raises(calls.NotTheAnsweringParty):  # the caller does not answer their own ring
        desk.write(
            calls.answer_session,
            session_id=ringing.id,
            party=CallParty.SHOPPER,
            accept=True,
            contact_id=desk.contact_id,
        )
    with pytest.raises(calls.NotTheAnsweringParty):  # an analyst does not answer conversations
        desk.write(
            calls.answer_session,
            session_id=ringing.id,
            party=CallParty.AGENT,
            accept=True,
            actor=desk.analyst,
        )
    answered = desk.write(
        calls.answer_session,
        session_id=ringing.id,
        party=CallParty.AGENT,
        accept=True,
        actor=desk.agent,
        audio_only=True,
    )
    assert (
        answered.state == CallState.ACTIVE and answered.agent_user_id == desk.agent.id and answered.audio_only
    )
    assert not answered.recording_allowed
    desk.clock.advance(timedelta(seconds=42))
    ended = desk.write(
        calls.end_session, session_id=ringing.id, party=CallParty.SHOPPER, contact_id=desk.contact_id
    )
    assert ended.duration_seconds == 42 and system_notes(desk) == ["Video call, 42 s"]


def test_declined_missed_and_withdrawn_requests(desk: CallDesk) -> None:
    cobrowse = ask(desk)
    declined = desk.write(
        calls.answer_session,
        session_id=cobrowse.id,
        party=CallParty.SHOPPER,
        accept=False,
        contact_id=desk.contact_id,
    )
    assert declined.state == CallState.DECLINED and declined.duration_seconds == 0
    video = ask(desk, CallKind.VIDEO)
    missed = desk.write(calls.end_session, session_id=video.id, party=CallParty.SYSTEM)
    assert missed.state == CallState.MISSED
    voice = ask(desk, CallKind.VOICE)
    withdrawn = desk.write(calls.end_session, session_id=voice.id, party=CallParty.AGENT, actor=desk.agent)
    assert withdrawn.state == CallState.ENDED and withdrawn.started_at is None
    assert system_notes(desk) == [
        "Co-browsing declined by the shopper",
        "Video call missed",
        "Voice call cancelled before it was answered",
    ]
    # a new request after the closed ones is a new session
    assert ask(desk).id != cobrowse.id


def test_refusals_are_named_and_change_nothing(desk: CallDesk) -> None:
    with pytest.raises(NotFound):  # another store's conversation reads as a missing one
        ask(desk, conversation_id=desk.other_conversation_id)
    with pytest.raises(PermissionDenied):
        desk.db.write(
            calls.request_session, desk.analyst, conversation_id=desk.conversation_id, kind=CallKind.VIDEO
        )
    with pytest.raises(calls.KindNotAllowed):
        desk.write(
            calls.request_session_as_shopper,
            contact_id=desk.contact_id,
            conversation_id=desk.conversation_id,
            kind=CallKind.COBROWSE,
        )
    _, stranger, _ = customer_conversation(desk.db, desk.store, "c-2")
    with pytest.raises(NotFound):  # another shopper's conversation
        desk.write(
            calls.request_session_as_shopper, contact_id=stranger, conversation_id=desk.conversation_id,
            kind=CallKind.VIDEO,
        )  # fmt: skip

    cobrowse = ask(desk)
    with pytest.raises(calls.NotTheAnsweringParty):  # only the shopper consents to be seen
        desk.write(
            calls.answer_session,
            session_id=cobrowse.id,
            party=CallParty.AGENT,
            accept=True,
            actor=desk.second_agent,
        )
    with pytest.raises(calls.NotTheAnsweringParty):  # a shopper answering someone else's session
        desk.write(
            calls.answer_session,
            session_id=cobrowse.id,
            party=CallParty.SHOPPER,
            accept=True,
            contact_id=stranger,
        )
    with pytest.raises(calls.ControlNotAllowed):  # not active yet
        desk.write(calls.set_control, session_id=cobrowse.id, allowed=True, contact_id=desk.contact_id)
    with pytest.raises(NotFound):  # another store's id
        desk.db.write(
            lambda uow: calls.end_session(uow, store_id=desk.other_agent.store_id, session_id=cobrowse.id,
                                          party=CallParty.AGENT, actor=desk.other_agent)
        )  # fmt: skip
    with pytest.raises(calls.NotTheAnsweringParty):  # another store's agent naming this store
        desk.write(calls.end_session, session_id=cobrowse.id, party=CallParty.AGENT, actor=desk.other_agent)
    video = ask(desk, CallKind.VIDEO)
    desk.write(
        calls.answer_session,
        session_id=video.id,
        party=CallParty.SHOPPER,
        accept=True,
        contact_id=desk.contact_id,
    )
    with pytest.raises(calls.ControlNotAllowed):  # control is for co-browsing
        desk.write(calls.set_control, session_id=video.id, allowed=True, contact_id=desk.contact_id)
    with pytest.raises(calls.SessionNotOpen):  # declining once accepted
        desk.write(
            calls.answer_session,
            session_id=video.id,
            party=CallParty.SHOPPER,
            accept=False,
            contact_id=desk.contact_id,
        )
    assert desk.read(calls.session_view, cobrowse.id).state == CallState.REQUESTED
    assert desk.read(calls.session_view, video.id).state == CallState.ACTIVE

    def close(uow):  # type: ignore[no-untyped-def]
        uow.session.get(Conversation, desk.conversation_id).status = "closed"

    desk.db.write(close)
    with pytest.raises(calls.ConversationClosed):
        ask(desk, CallKind.VOICE)


def test_recording_is_kept_only_with_consent_and_only_while_active(desk: CallDesk) -> None:
    unrecorded = ask(desk)
    desk.write(
        calls.answer_session,
        session_id=unrecorded.id,
        party=CallParty.SHOPPER,
        accept=True,
        contact_id=desk.contact_id,
    )
    assert not desk.write(calls.append_recording, session_id=unrecorded.id, events_json='[{"type": 4}]')
    desk.write(
        calls.end_session, session_id=unrecorded.id, party=CallParty.SHOPPER, contact_id=desk.contact_id
    )

    recorded = ask(desk)
    desk.write(
        calls.answer_session, session_id=recorded.id, party=CallParty.SHOPPER, accept=True,
        contact_id=desk.contact_id, recording_allowed=True,
    )  # fmt: skip
    assert desk.write(calls.append_recording, session_id=recorded.id, events_json='[{"type": 4}]')
    assert desk.write(calls.append_recording, session_id=recorded.id, events_json='[{"type": 2}]')
    assert not desk.write(calls.append_recording, session_id=recorded.id, events_json="[]")
    with pytest.raises(Invalid):
        desk.write(calls.append_recording, session_id=recorded.id, events_json='{"not": "a list"}')
    desk.write(calls.end_session, session_id=recorded.id, party=CallParty.SHOPPER, contact_id=desk.contact_id)
    assert not desk.write(calls.append_recording, session_id=recorded.id, events_json='[{"type": 3}]')
    assert desk.read(calls.recording_chunks, recorded.id) == ['[{"type": 4}]', '[{"type": 2}]']
    assert desk.read(calls.recording_chunks, unrecorded.id) == []


def test_a_request_nobody_answered_is_missed_by_the_job_or_replaced_by_a_new_one(desk: CallDesk) -> None:
    from loyaldesk.calls.actions.expire import UNANSWERED_AFTER, expire_unanswered

    stale = ask(desk, CallKind.VIDEO)
    waiting = ask(desk, CallKind.VOICE)
    desk.clock.advance(UNANSWERED_AFTER)
    fresh = ask(desk, CallKind.VIDEO)  # the stale ring does not stand in for a new one
    assert fresh.id != stale.id and desk.read(calls.session_view, stale.id).state == CallState.MISSED
    assert desk.db.write(expire_unanswered) == 1  # the voice request
    assert desk.read(calls.session_view, waiting.id).state == CallState.MISSED
    assert desk.read(calls.session_view, fresh.id).state == CallState.REQUESTED
    assert desk.db.write(expire_unanswered) == 0
    assert system_notes(desk) == ["Video call missed", "Voice call missed"]
