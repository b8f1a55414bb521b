"""The calls gateway's frames: size caps, the rate limit, and the clean copies of what one party sends the
other (pure: no socket, no database).

Every frame a party sends is re-built from the fields the protocol names (docs/realtime.md, "The calls
socket"), so nothing else rides along to the other side: a pointer is two integers, a control frame an
action, a node id and for typing a text. ``signal`` and ``media`` (video and voice, helper C's widget and
console) are relayed as sent, within their cap.
"""

from __future__ import annotations

import time
from typing import Any

# rrweb's first frame carries the whole page (a full snapshot); pages of a few hundred kB are common.
MAX_RRWEB_FRAME_CHARS = 2 * 1024 * 1024
# Everything else is small; WebRTC's session descriptions are the largest (a few kB, more with many
# candidates), so ``signal`` gets more room than the 16 kB of the rest.
MAX_SIGNAL_FRAME_CHARS = 64 * 1024
MAX_FRAME_CHARS = 16 * 1024
# A DOM snapshot nests (node -> childNodes -> node ...); orjson refuses beyond 1024 itself.
MAX_RRWEB_DEPTH = 1000
MAX_FRAME_DEPTH = 8
# Frames per second one connection may send, with a burst allowance (rrweb's recorder is batched by the
# widget to ~10 frames a second; the console throttles pointer moves to ~20).
FRAMES_PER_SECOND = 60.0
FRAME_BURST = 120.0
MAX_COORDINATE = 1_000_000
MAX_CONTROL_TEXT = 10_000

AGENT_ONLY = frozenset({"pointer", "highlight", "control", "ask_control"})
SHOPPER_ONLY = frozenset({"rrweb", "consent"})
EITHER = frozenset({"answer", "signal", "media", "stop", "ping", "pong"})


class FrameRefused(Exception):
    """A frame the gateway does not relay: ``code`` for the client's script, ``message`` in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_frame(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message}


def cap_for(frame_type: Any) -> int:
    """The largest frame (in characters of JSON text) accepted for ``frame_type``."""
    if frame_type == "rrweb":
        return MAX_RRWEB_FRAME_CHARS
    if frame_type == "signal":
        return MAX_SIGNAL_FRAME_CHARS
    return MAX_FRAME_CHARS


class FrameRate:
    """A token bucket: ``allow()`` says whether one more frame may pass now (``FRAMES_PER_SECOND``
    refilled, ``FRAME_BURST`` at most)."""

    def __init__(self, per_second: float = FRAMES_PER_SECOND, burst: float = FRAME_BURST) -> None:
        self.per_second = per_second
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _integer(frame: dict[str, Any], name: str, *, low: int = -MAX_COORDINATE) -> int:
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrameRefused("bad_frame", f"{name} must be a number")
    number = int(value)
    if not low <= number <= MAX_COORDINATE:
        raise FrameRefused("bad_frame", f"{name} is out of range")
    return number


def clean_agent_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """The copy of an agent's pointer, highlight, control or ask_control frame that the shopper gets."""
    kind = frame.get("type")
    if kind == "pointer":
        return {"type": "pointer", "x": _integer(frame, "x"), "y": _integer(frame, "y")}
    if kind == "highlight":
        return {
            "type": "highlight",
            "x": _integer(frame, "x"),
            "y": _integer(frame, "y"),
            "width": _integer(frame, "width", low=0),
            "height": _integer(frame, "height", low=0),
        }
    if kind == "ask_control":
        return {"type": "ask_control"}
    if kind == "control":
        action = frame.get("action")
        if action not in ("click", "input"):
            raise FrameRefused("bad_frame", "action must be click or input")
        clean: dict[str, Any] = {
            "type": "control",
            "action": action,
            "node_id": _integer(frame, "node_id", low=0),
        }
        if action == "input":
            text = frame.get("text")
            if not isinstance(text, str) or len(text) > MAX_CONTROL_TEXT:
                raise FrameRefused(
                    "bad_frame", f"text must be a string of at most {MAX_CONTROL_TEXT} characters"
                )
            clean["text"] = text
        return clean
    raise FrameRefused("bad_frame", f"unknown frame type {kind!r}")


def rrweb_events(frame: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of an ``rrweb`` frame (a list of objects), or ``FrameRefused``."""
    events = frame.get("events")
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise FrameRefused("bad_frame", "events must be a list of rrweb events")
    return events


def clean_media_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """The copy of a ``media`` frame (video and voice: what the sender shares now)."""
    return {
        "type": "media",
        "audio_only": bool(frame.get("audio_only")),
        "screen": bool(frame.get("screen")),
    }


def clean_signal_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """The copy of a WebRTC ``signal`` frame: its description and/or candidate, as sent."""
    clean: dict[str, Any] = {"type": "signal"}
    for name in ("description", "candidate"):
        value = frame.get(name)
        if value is not None:
            if not isinstance(value, dict):
                raise FrameRefused("bad_frame", f"{name} must be an object")
            clean[name] = value
    if len(clean) == 1:
        raise FrameRefused("bad_frame", "send a description or a candidate")
    return clean
