"""How a finished session reads in the conversation's history and the customer's timeline (pure)."""

from __future__ import annotations

from loyaldesk.calls.vocab import CallKind, CallParty, CallState


def duration_words(seconds: int) -> str:
    """``252`` -> "4 min 12 s", ``3725`` -> "1 h 2 min 5 s", ``0`` -> "0 s" (zero parts left out)."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)


def history_line(
    kind: CallKind, state: CallState, duration_seconds: int | None, ended_by: CallParty | None
) -> str:
    """One line for a finished session: "Video call, 4 min 12 s"; "Co-browsing declined by the shopper";
    "Voice call missed"; "Video call cancelled before it was answered"."""
    if state == CallState.ENDED and duration_seconds is not None and duration_seconds > 0:
        return f"{kind.label}, {duration_words(duration_seconds)}"
    if state == CallState.DECLINED:
        who = {CallParty.SHOPPER: "the shopper", CallParty.AGENT: "the agent"}.get(
            ended_by or CallParty.SYSTEM
        )
        return f"{kind.label} declined" + (f" by {who}" if who else "")
    if state == CallState.MISSED:
        return f"{kind.label} missed"
    if state == CallState.ENDED and duration_seconds is None:
        return f"{kind.label} cancelled before it was answered"
    return f"{kind.label}, {duration_words(duration_seconds or 0)}"
