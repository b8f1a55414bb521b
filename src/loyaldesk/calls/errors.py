"""The refusals of the call actions, each a ``kernel.errors`` class (so the web layer and the gateway map
it once) with a ``code`` of its own naming the reason."""

from __future__ import annotations

from loyaldesk.kernel.errors import Conflict, Invalid, PermissionDenied


class ConversationClosed(Conflict):
    """The conversation is resolved or closed: no call is started from it."""

    code = "conversation_closed"


class SessionNotOpen(Conflict):
    """The session already ended (declined, ended or missed), or is not in the state the change needs
    (answering an active session, control of a session not active)."""

    code = "session_not_open"


class NotTheAnsweringParty(PermissionDenied):
    """The caller is not the party asked to answer (the one who asked cannot answer their own request;
    only the shopper consents to co-browsing), or not the session's own shopper/agent."""

    code = "not_the_answering_party"


class ControlNotAllowed(Conflict):
    """Control is for an active co-browsing session and only the shopper gives it."""

    code = "control_not_allowed"


class KindNotAllowed(Invalid):
    """This kind of session cannot be started this way (a shopper cannot ask to show their page without an
    agent asking; an in-store booking has no video call)."""

    code = "kind_not_allowed"
