"""Hand-built rrweb streams (the shapes of rrweb 2's ``eventWithTime``) for the sanitiser's tests: a
checkout page with canaries in every place a shopper's data can hide."""

from __future__ import annotations

from itertools import count
from typing import Any


class Page:
    """Builds serialised nodes with fresh ids (as rrweb's mirror numbers them)."""

    def __init__(self) -> None:
        self.ids = count(1)

    def element(
        self, tag: str, attributes: dict[str, Any] | None = None, *children: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "type": 2, "id": next(self.ids), "tagName": tag, "attributes": attributes or {},
            "childNodes": list(children), **extra,
        }  # fmt: skip

    def text(self, text: str) -> dict[str, Any]:
        return {"type": 3, "id": next(self.ids), "textContent": text}

    def document(self, *children: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"type": 0, "id": next(self.ids), "childNodes": list(children), **extra}


def full_snapshot(node: dict[str, Any], timestamp: int = 1) -> dict[str, Any]:
    return {"type": 2, "data": {"node": node, "initialOffset": {"left": 0, "top": 0}}, "timestamp": timestamp}


def mutation(timestamp: int = 2, **data: Any) -> dict[str, Any]:
    return {
        "type": 3,
        "data": {"source": 0, "texts": [], "attributes": [], "removes": [], "adds": [], **data},
        "timestamp": timestamp,
    }


def input_event(node_id: int, text: str, is_checked: bool = False, timestamp: int = 3) -> dict[str, Any]:
    return {
        "type": 3,
        "data": {"source": 5, "id": node_id, "text": text, "isChecked": is_checked},
        "timestamp": timestamp,
    }


def strings_of(value: Any) -> str:
    """Every string (keys and values) of a JSON-like value, joined: where a canary would show."""
    if isinstance(value, str):
        return value + "\n"
    if isinstance(value, dict):
        return "".join(strings_of(key) + strings_of(item) for key, item in value.items())
    if isinstance(value, list):
        return "".join(strings_of(item) for item in value)
    return ""
