"""Parsing JSON from outside (WebSocket frames) within limits, so that no frame can take a server down.

The standard library's parser recurses once per nesting level: a frame of ten thousand ``[`` raises
``RecursionError`` (not ``ValueError``), and even a frame it can parse may be too deep for the code that
walks or re-encodes it later. ``loads_limited`` parses with orjson (C, no Python recursion, its own
limit of 1,024 levels) and then refuses anything larger than ``max_bytes`` or nested deeper than
``max_depth``, always with ``JsonRefused`` (a ``ValueError``) saying which.
"""

from __future__ import annotations

from typing import Any

import orjson

DEFAULT_MAX_DEPTH = 16


class JsonRefused(ValueError):
    """The text is not JSON, or is larger or deeper than allowed. ``str()`` says which, in words."""


def loads_limited(raw: str | bytes, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The JSON value in ``raw``; ``JsonRefused`` if it is not JSON, longer than ``max_bytes`` (UTF-8
    bytes for ``bytes``, characters for ``str``) or nested deeper than ``max_depth`` (a bare value is
    depth 0, ``[]`` depth 1)."""
    if len(raw) > max_bytes:
        raise JsonRefused(f"a frame may have at most {max_bytes} bytes")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error).lower() or "recursion" in str(error).lower():
            raise JsonRefused(f"JSON may be nested at most {max_depth} levels deep") from None
        raise JsonRefused("not valid JSON") from None
    if depth_exceeds(value, max_depth):
        raise JsonRefused(f"JSON may be nested at most {max_depth} levels deep")
    return value


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether ``value`` (parsed JSON) nests lists and objects deeper than ``max_depth``; iterative, so
    any depth can be measured."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > max_depth:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
