"""Calls: co-browsing and video/voice sessions between the desk and a shopper (decision 0038).

Other packages (``web``, ``realtime``) use calls only through the names below. ``vocab`` the kinds,
states and parties, ``ports`` the views others see, ``models`` the tables, ``actions/`` every state change
(request, answer, control, end, recording), ``queries/`` the reads, ``rules/cobrowse_sanitiser`` the
server's masking of a co-browsing stream, ``events`` what is published on commit.
"""

from loyaldesk.calls.actions.answer import answer_session, set_control
from loyaldesk.calls.actions.end import end_session
from loyaldesk.calls.actions.recording import MAX_CHUNK_BYTES, append_recording
from loyaldesk.calls.actions.request import open_booking_call, request_session, request_session_as_shopper
from loyaldesk.calls.errors import (
    ControlNotAllowed,
    ConversationClosed,
    KindNotAllowed,
    NotTheAnsweringParty,
    SessionNotOpen,
)
from loyaldesk.calls.events import ControlChanged, SessionAnswered, SessionEnded, SessionRequested
from loyaldesk.calls.media import (
    MediaRoom,
    booking_call_is_open,
    ice_servers_for,
    ice_transport_policy,
    media_room_for,
)
from loyaldesk.calls.ports import CallSessionView, CallsSummary, KindSummary, RelayUsage
from loyaldesk.calls.queries.sessions import (
    open_session_for_seat,
    open_sessions_for_contact,
    recording_chunks,
    session_view,
    sessions_of_conversation,
)
from loyaldesk.calls.queries.summary import calls_summary
from loyaldesk.calls.rules.cobrowse_sanitiser import MaskingPolicy, StreamSanitiser
from loyaldesk.calls.vocab import (
    CALL_KIND_LABELS,
    CALL_PARTY_LABELS,
    CALL_STATE_LABELS,
    OPEN_CALL_STATES,
    CallKind,
    CallParty,
    CallState,
)

__all__ = [
    "CALL_KIND_LABELS",
    "CALL_PARTY_LABELS",
    "CALL_STATE_LABELS",
    "MAX_CHUNK_BYTES",
    "OPEN_CALL_STATES",
    "CallKind",
    "CallParty",
    "CallSessionView",
    "CallState",
    "CallsSummary",
    "ControlChanged",
    "ControlNotAllowed",
    "ConversationClosed",
    "KindNotAllowed",
    "KindSummary",
    "MaskingPolicy",
    "NotTheAnsweringParty",
    "RelayUsage",
    "SessionAnswered",
    "SessionEnded",
    "SessionNotOpen",
    "SessionRequested",
    "StreamSanitiser",
    "answer_session",
    "append_recording",
    "calls_summary",
    "end_session",
    "open_booking_call",
    "open_session_for_seat",
    "open_sessions_for_contact",
    "recording_chunks",
    "request_session",
    "request_session_as_shopper",
    "session_view",
    "sessions_of_conversation",
    "set_control",
]

# media (helper C, calls/media.py): the ICE servers and TURN credentials of a call, the media server adapter.
__all__ += ["MediaRoom", "booking_call_is_open", "ice_servers_for", "ice_transport_policy", "media_room_for"]
