"""The server's sanitiser of a co-browsing stream: whatever the shopper's browser sent (a tampered client
with its masking off included), what reaches the agent and the recording holds no input value and no text
the store masked.

The stream is rrweb's ``eventWithTime`` list: ``{"type", "data", "timestamp"}`` with ``type`` 2 a full
snapshot (``data.node``: the serialised document, each node ``{"id", "type"}``: 0 document, 1 doctype,
2 element ``{tagName, attributes, childNodes}``, 3 text ``{textContent}``, 4 CDATA, 5 comment; same-origin
iframes' documents and shadow roots appear as child nodes) and 3 an incremental snapshot whose
``data.source`` says what: 0 a mutation (``texts``, ``attributes``, ``removes``, ``adds``), 5 an input
(``{id, text, isChecked}``), the others pointer, scroll, viewport, media, style and canvas changes.

What is removed, whatever the client did:
- every form field's value: the ``value``/``checked``/``selected`` of input, textarea, select and option,
  a textarea's text, an input event's text (replaced by as many ``*``: the agent sees typing, not what
  is typed) and checked state; shown only inside the store's allow-list (``allow_attribute``) and never
  for password, hidden or card-like fields (``autocomplete="cc-*"``, passwords, one-time codes);
- the text (and titles, alt texts, labels) inside elements the store masks (``mask_selector_classes``,
  ``mask_attribute``) and inside contenteditable elements, unless nearer the allow-list;
- script contents, inline event handlers (``on*``), ``srcdoc`` and ``javascript:`` URLs;
- console logs (source 11), custom and plugin events (types 5 and 6), canvas drawing in masked parts;
- anywhere, any run of 13-19 digits (spaces or dashes between) that passes the Luhn check.

It is stateful across one session's stream: the node ids learned from full snapshots and mutations'
adds say which nodes are fields, masked, editable or allowed, so later mutations and input events on them
are masked too. Masking only grows: a mutation cannot take a mask off or put the allow-list on, and an
unknown node is treated as masked. Pure: no I/O, one instance per session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# rrweb's numbers (EventType, NodeType, IncrementalSource)
FULL_SNAPSHOT, INCREMENTAL_SNAPSHOT, CUSTOM, PLUGIN = 2, 3, 5, 6
KEPT_EVENT_TYPES = frozenset({0, 1, FULL_SNAPSHOT, INCREMENTAL_SNAPSHOT, 4})
ELEMENT_NODE, TEXT_NODE = 2, 3
MUTATION, INPUT, CANVAS_MUTATION, LOG = 0, 5, 9, 11

FIELD_TAGS = frozenset({"input", "textarea", "select", "option"})
VALUE_ATTRIBUTES = frozenset({"value", "checked", "selected"})
TEXT_ATTRIBUTES = frozenset({"title", "alt", "aria-label", "aria-valuetext", "label", "placeholder"})
BUTTON_TYPES = frozenset({"button", "submit", "reset", "image"})
SECRET_INPUT_TYPES = frozenset({"password", "hidden"})
SECRET_AUTOCOMPLETE = ("cc-", "password", "one-time-code")
CARD_CANDIDATE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
NOT_SPACE = re.compile(r"\S")

DEFAULT, MASKED, SHOWN = 0, 1, 2


@dataclass(frozen=True)
class MaskingPolicy:
    """What the store masks beyond every input's value: elements with one of ``mask_selector_classes`` or
    the ``mask_attribute``, and their descendants' text; inside an element with ``allow_attribute`` the
    text and input values are shown (a search box, a quantity) except password, hidden and card-like
    inputs (``autocomplete="cc-*"``), which are always masked."""

    mask_selector_classes: tuple[str, ...] = ("ld-mask", "rr-mask")
    mask_attribute: str = "data-ld-mask"
    allow_attribute: str = "data-ld-unmask"


@dataclass
class _Node:
    parent_id: int | None
    tag: str = ""  # elements only
    masks: bool = False  # the store's mask or contenteditable (sticky)
    allows: bool = False  # the store's allow-list, as first seen
    secret: bool = False  # a password, hidden or card-like field (sticky)
    button: bool = False  # an input whose value is its label (as first seen)


def passes_luhn(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (card numbers do)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """``text`` with every run of 13-19 digits (spaces or dashes between) that passes Luhn as ``*``."""
    if len(text) < 13:
        return text

    def hide(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        return re.sub(r"\d", "*", run) if 13 <= len(digits) <= 19 and passes_luhn(digits) else run

    return CARD_CANDIDATE.sub(hide, text)


def stars(text: str) -> str:
    """Every visible character as ``*`` (spaces kept, so the agent sees the shape of the text)."""
    return NOT_SPACE.sub("*", text)


def _scrubbed_copy(value: Any) -> Any:
    """A deep copy of JSON-like ``value`` with card numbers masked in every string."""
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        return {key: _scrubbed_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed_copy(item) for item in value]
    return value


def _is_dangerous(name: str, value: Any) -> bool:
    """An inline event handler, an ``srcdoc`` document or a ``javascript:`` URL."""
    if name.startswith("on") or name == "srcdoc":
        return True
    return isinstance(value, str) and value.strip().lower().startswith("javascript:")


def _node_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class StreamSanitiser:
    """Sanitises one session's rrweb events, in order; stateful across the stream (remembers which node
    ids are form fields, inside masked elements or contenteditable, from the full snapshots and the
    mutations' adds), so later mutations and input events on them are masked too."""

    def __init__(self, policy: MaskingPolicy | None = None) -> None:
        self.policy = policy or MaskingPolicy()
        self._nodes: dict[int, _Node] = {}
        self._sources: dict[int, Callable[[dict[str, Any]], bool]] = {
            MUTATION: self._clean_mutation,
            INPUT: self._clean_input,
            CANVAS_MUTATION: self._clean_canvas,
            LOG: lambda data: False,
        }

    def clean(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events with every input value, masked text, script and inline handler removed or replaced
        by ``*`` of the same length (the agent sees typing, not what is typed), and any card-number-like
        run of digits masked anywhere. Returns new dicts (the input is not changed); events of unknown
        shape pass with their strings checked for card numbers; malformed events are dropped."""
        cleaned = []
        for event in events:
            if not isinstance(event, dict) or event.get("type") not in KEPT_EVENT_TYPES:
                continue  # custom and plugin events carry what the page chose: never relayed
            try:
                copy = _scrubbed_copy(event)
            except RecursionError:
                continue  # nested beyond any real page: dropped, never relayed half-cleaned
            data = copy.get("data")
            if copy["type"] in (FULL_SNAPSHOT, INCREMENTAL_SNAPSHOT) and not isinstance(data, dict):
                continue
            if copy["type"] == FULL_SNAPSHOT:
                self._nodes.clear()  # a new snapshot is a new mirror of the page
                if not isinstance(data.get("node"), dict):
                    continue
                self._walk(data["node"], None)
            elif copy["type"] == INCREMENTAL_SNAPSHOT:
                clean_source = self._sources.get(data.get("source"))  # type: ignore[arg-type]
                if clean_source is not None and not clean_source(data):
                    continue
            cleaned.append(copy)
        return cleaned

    # -- what a node is ---------------------------------------------------------------------------

    def _state(self, node_id: int | None) -> int:
        """MASKED, SHOWN (the allow-list) or DEFAULT for the content of ``node_id``: its nearest ancestor
        (itself included) that masks or allows decides; an unknown node is masked."""
        seen = 0
        while node_id is not None and seen < 10_000:
            node = self._nodes.get(node_id)
            if node is None:
                return MASKED
            if node.masks:
                return MASKED
            if node.allows:
                return SHOWN
            node_id, seen = node.parent_id, seen + 1
        return DEFAULT

    def _secret(self, node_id: int | None) -> bool:
        """Whether the field (or the select around an option) is a secret one."""
        for _ in range(3):
            node = self._nodes.get(node_id) if node_id is not None else None
            if node is None:
                return True
            if node.secret:
                return True
            if node.tag != "option":
                return False
            node_id = node.parent_id
        return False

    def _value_shown(self, node_id: int | None) -> bool:
        node = self._nodes.get(node_id) if node_id is not None else None
        if node is None:
            return False
        if node.button:
            return self._state(node_id) != MASKED
        return self._state(node_id) == SHOWN and not self._secret(node_id)

    def _marks(self, attributes: dict[str, Any]) -> tuple[bool, bool, bool]:
        """(masks, allows, secret) from an element's attributes."""
        classes = str(attributes.get("class") or "").split()
        editable = attributes.get("contenteditable")
        masks = (
            any(name in classes for name in self.policy.mask_selector_classes)
            or self.policy.mask_attribute in attributes
            or (editable is not None and str(editable).lower() != "false")
        )
        kind = str(attributes.get("type") or "").lower()
        autocomplete = str(attributes.get("autocomplete") or "").lower()
        secret = kind in SECRET_INPUT_TYPES or any(word in autocomplete for word in SECRET_AUTOCOMPLETE)
        return masks, self.policy.allow_attribute in attributes, secret

    # -- the snapshot and added nodes -----------------------------------------------------------------

    def _walk(self, root: dict[str, Any], parent_id: int | None) -> None:
        stack: list[tuple[dict[str, Any], int | None]] = [(root, parent_id)]
        while stack:
            node, parent = stack.pop()
            node_id = _node_id(node.get("id"))
            if node_id is None:
                node.clear()  # rrweb cannot place it; nothing of it is relayed
                continue
            info = _Node(parent_id=parent)
            if node.get("type") == ELEMENT_NODE:
                info.tag = str(node.get("tagName") or "").lower()
                attributes = node.get("attributes")
                if not isinstance(attributes, dict):
                    attributes = node["attributes"] = {}
                info.masks, info.allows, info.secret = self._marks(attributes)
                info.button = (
                    info.tag == "input" and str(attributes.get("type") or "").lower() in BUTTON_TYPES
                )
                self._nodes[node_id] = info
                self._clean_attributes(node_id, attributes, removing=False)
            else:
                self._nodes[node_id] = info
                if node.get("type") == TEXT_NODE and isinstance(node.get("textContent"), str):
                    node["textContent"] = self._clean_text(parent, node["textContent"])
            children = node.get("childNodes")
            if isinstance(children, list):
                stack.extend((child, node_id) for child in children if isinstance(child, dict))

    def _clean_text(self, parent_id: int | None, text: str) -> str:
        parent = self._nodes.get(parent_id) if parent_id is not None else None
        if parent is None:
            return stars(text)
        if parent.tag == "script":
            return ""
        if parent.tag in FIELD_TAGS and parent.tag != "option":
            return text if self._value_shown(parent_id) else stars(text)
        return stars(text) if self._state(parent_id) == MASKED else text

    def _clean_attributes(self, node_id: int, attributes: dict[str, Any], *, removing: bool) -> None:
        """Clean an element's attributes in place; ``removing``: a mutation, where ``None`` removes one."""
        node = self._nodes[node_id]
        masked = self._state(node_id) == MASKED
        for name in list(attributes):
            value = attributes[name]
            lowered = str(name).lower()
            if _is_dangerous(lowered, value) or (masked and lowered == "rr_dataurl"):
                self._drop(attributes, name, removing)
            elif node.tag in FIELD_TAGS and lowered in VALUE_ATTRIBUTES and not self._value_shown(node_id):
                if lowered == "value" and isinstance(value, str):
                    attributes[name] = "*" * len(value)
                else:
                    self._drop(attributes, name, removing)
            elif masked and lowered in TEXT_ATTRIBUTES and isinstance(value, str):
                attributes[name] = stars(value)

    @staticmethod
    def _drop(attributes: dict[str, Any], name: str, removing: bool) -> None:
        if removing:
            attributes[name] = None
        else:
            del attributes[name]

    # -- incremental snapshots ------------------------------------------------------------------------

    def _clean_mutation(self, data: dict[str, Any]) -> bool:
        removes = data.get("removes")
        for removed in removes if isinstance(removes, list) else []:
            if isinstance(removed, dict):
                self._nodes.pop(_node_id(removed.get("id")) or -1, None)
        adds = data.get("adds")
        for added in adds if isinstance(adds, list) else []:
            if isinstance(added, dict) and isinstance(added.get("node"), dict):
                self._walk(added["node"], _node_id(added.get("parentId")))
        attribute_changes = data.get("attributes")
        for change in attribute_changes if isinstance(attribute_changes, list) else []:
            node_id = _node_id(change.get("id")) if isinstance(change, dict) else None
            attributes = change.get("attributes") if isinstance(change, dict) else None
            if node_id is None or not isinstance(attributes, dict) or node_id not in self._nodes:
                if isinstance(change, dict):
                    change["attributes"] = {}
                continue
            node = self._nodes[node_id]
            masks, _allows, secret = self._marks(attributes)
            node.masks = node.masks or masks  # a mask is never taken off, the allow-list never put on
            node.secret = node.secret or secret
            if "type" in attributes:
                node.button = False
            self._clean_attributes(node_id, attributes, removing=True)
        texts = data.get("texts")
        for change in texts if isinstance(texts, list) else []:
            if isinstance(change, dict) and isinstance(change.get("value"), str):
                text_node = self._nodes.get(_node_id(change.get("id")) or -1)
                if text_node is None:
                    change["value"] = stars(change["value"])
                else:
                    change["value"] = self._clean_text(text_node.parent_id, change["value"])
        return True

    def _clean_input(self, data: dict[str, Any]) -> bool:
        node_id = _node_id(data.get("id"))
        if self._value_shown(node_id):
            return True
        if isinstance(data.get("text"), str):
            data["text"] = "*" * len(data["text"])
        if "isChecked" in data:
            data["isChecked"] = False
        return True

    def _clean_canvas(self, data: dict[str, Any]) -> bool:
        return self._state(_node_id(data.get("id"))) != MASKED
