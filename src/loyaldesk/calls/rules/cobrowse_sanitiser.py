"""The server's sanitiser of a co-browsing stream: whatever the shopper's browser sent (a tampered client
with its masking off included), what reaches the agent and the recording holds no input value and no text
the store masked.

The stream is rrweb's ``eventWithTime`` list (see ``clean``). Pure: no I/O, one instance per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MaskingPolicy:
    """What the store masks beyond every input's value: elements with one of ``mask_selector_classes`` or
    the ``mask_attribute``, and their descendants' text; inside an element with ``allow_attribute`` the
    text and input values are shown (a search box, a quantity) except password, hidden and card-like
    inputs (``autocomplete="cc-*"``), which are always masked."""

    mask_selector_classes: tuple[str, ...] = ("ld-mask", "rr-mask")
    mask_attribute: str = "data-ld-mask"
    allow_attribute: str = "data-ld-unmask"


class StreamSanitiser:
    """Sanitises one session's rrweb events, in order; stateful across the stream (remembers which node
    ids are form fields, inside masked elements or contenteditable, from the full snapshots and the
    mutations' adds), so later mutations and input events on them are masked too."""

    def __init__(self, policy: MaskingPolicy | None = None) -> None:
        self.policy = policy or MaskingPolicy()

    def clean(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events with every input value, masked text, script and inline handler removed or replaced
        by ``*`` of the same length (the agent sees typing, not what is typed), and any card-number-like
        run of digits masked anywhere. Returns new dicts (the input is not changed); events of unknown
        shape pass with their strings checked for card numbers; malformed events are dropped."""
        raise NotImplementedError
