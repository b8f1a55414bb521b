"""The support report's calls (the summary and the console page through HTTP), the customer's timeline and
export, and the erasure: recordings deleted, sessions unlinked, the counts kept."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk import calls
from loyaldesk.calls import CallKind, CallParty
from loyaldesk.calls.models import CallSession, RecordingChunk
from loyaldesk.customers.actions import erase_customer
from loyaldesk.customers.queries import export_customer, timeline
from tests.calls.conftest import CallDesk
from tests.factories import login


def call(desk: CallDesk, kind: CallKind, seconds: int | None, *, record: bool = False) -> int:
    """A call asked by the agent, answered (``seconds`` long) or missed (``None``)."""
    asked = desk.db.write(calls.request_session, desk.agent, conversation_id=desk.conversation_id, kind=kind)
    if seconds is None:
        desk.write(calls.end_session, session_id=asked.id, party=CallParty.SYSTEM)
        return asked.id
    desk.write(
        calls.answer_session, session_id=asked.id, party=CallParty.SHOPPER, accept=True,
        contact_id=desk.contact_id, recording_allowed=record,
    )  # fmt: skip
    if record:
        desk.write(calls.append_recording, session_id=asked.id, events_json='[{"type": 4, "data": {}}]')
    desk.clock.advance(timedelta(seconds=seconds))
    desk.write(calls.end_session, session_id=asked.id, party=CallParty.SHOPPER, contact_id=desk.contact_id)
    return asked.id


def test_the_summary_and_the_report_page_count_calls_per_kind(client: TestClient, desk: CallDesk) -> None:
    start = desk.clock.now()
    call(desk, CallKind.VIDEO, 60)
    call(desk, CallKind.VIDEO, 180)
    call(desk, CallKind.VIDEO, 300)
    call(desk, CallKind.VIDEO, None)
    call(desk, CallKind.COBROWSE, 90)
    summary = desk.read(calls.calls_summary, start, desk.clock.now() + timedelta(seconds=1))
    video = summary.of(CallKind.VIDEO)
    assert (video.requested, video.answered, video.total_seconds, video.median_seconds) == (4, 3, 540, 180.0)
    assert summary.of(CallKind.VOICE).median_seconds is None and summary.requested == 5
    assert desk.read(calls.calls_summary, start - timedelta(days=2), start).requested == 0

    login(client, "agent@acme.example.com")
    page = client.get("/console/acme/inbox-reports")
    assert page.status_code == 200 and 'id="calls-heading">Calls<' in page.text
    video_row = page.text.split('data-call-kind="video">')[1].split("</tr>")[0]
    assert "<td>4</td><td>3</td><td>9 min</td><td>3 min</td>" in video_row
    exported = list(
        csv.reader(io.StringIO(client.get("/console/acme/inbox-reports", params={"export": "calls"}).text))
    )
    assert exported[0] == ["kind", "requested", "answered", "total_seconds", "median_seconds"]
    assert exported[2] == ["video", "4", "3", "540", "180"]


def test_calls_on_the_timeline_in_the_export_and_gone_with_the_erasure(desk: CallDesk) -> None:
    recorded = call(desk, CallKind.COBROWSE, 75, record=True)
    call(desk, CallKind.VOICE, None)
    with desk.db.read() as session:
        items, _ = timeline(session, desk.store.id, desk.customer_id)
        exported = export_customer(session, desk.store.id, desk.customer_id)
    titles = [item.title for item in items]
    assert "Co-browsing, 1 min 15 s" in titles and "Voice call missed" in titles
    assert [row["kind"] for row in exported["calls"]["sessions"]] == ["cobrowse", "voice"]
    assert exported["calls"]["sessions"][0]["recording_kept"] is True
    assert desk.read(calls.recording_chunks, recorded)

    desk.db.write(erase_customer, desk.store.actor, desk.store.id, desk.customer_id)
    with desk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(RecordingChunk)) == 0
        linked = session.scalar(
            select(func.count())
            .select_from(CallSession)
            .where((CallSession.customer_id.is_not(None)) | (CallSession.contact_id.is_not(None)))
        )
        assert linked == 0
    later = desk.clock.now() + timedelta(seconds=1)
    summary = desk.read(calls.calls_summary, later - timedelta(hours=1), later)
    assert summary.of(CallKind.COBROWSE).total_seconds == 75 and summary.requested == 2  # the counts stay
