"""Reading the slots of a ``ToolRequest`` from a shopper's words (pure, no I/O).

``read_slots(text, reward_names)`` returns the slots it finds, by the names ``ToolRequest`` documents:

- ``order_number``: "#1001", "order 1001", "order number A-1001", "Bestellung 1001" → "1001" / "A-1001"
  (as the shop shows it, without the "#");
- ``email``: the first email address;
- ``code``: a one-time code, six digits standing alone (not an order number);
- ``reward``: the name of one of ``reward_names`` the text mentions (the longest that matches, as the
  store spells it);
- ``address``: what follows "new address", "change (my) address to", "ship (it) to", "deliver (it) to" or
  "Adresse:" up to the end of the sentence;
- ``reason``: what follows "because" / "weil" / "reason:".

The text is data: nothing in it is executed or trusted beyond these patterns; the tools check that the
shopper may see what a slot names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ORDER_WORD = r"(?:order|bestellung|auftrag|commande|pedido)"
_ORDER = re.compile(
    rf"(?:\b{_ORDER_WORD}(?:\s*(?:number|no\.?|nr\.?|nummer|id))?(?:\s+(?:is|ist|was))?\s*[:#]?\s*#?\s*"
    r"(?P<after_word>[A-Za-z]{0,4}-?\d[\dA-Za-z-]{0,30})\b)"
    r"|(?:#\s?(?P<after_hash>[A-Za-z]{0,4}-?\d[\dA-Za-z-]{0,30})\b)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
_CODE = re.compile(r"(?<![#\d\w-])(\d{6})(?![\d\w-])")
_ADDRESS = re.compile(
    r"(?:new (?:shipping |delivery )?address(?: is)?|change (?:my |the )?(?:shipping |delivery )?address to"
    r"|ship (?:it |them |my order )?to|deliver (?:it |them |my order )?to|neue adresse|adresse)\s*:?\s*"
    r"(?P<address>[^\n.!?]{5,200}(?:\.[^\n!?]{0,200})?)",
    re.IGNORECASE,
)
_REASON = re.compile(r"(?:\bbecause\b|\bweil\b|\breason\s*:)\s*(?P<reason>[^\n]{3,300})", re.IGNORECASE)


def order_numbers(text: str) -> list[str]:
    """Every order number the text names, in order, without "#"."""
    found = []
    for match in _ORDER.finditer(text):
        number = (match.group("after_word") or match.group("after_hash") or "").strip("-")
        if number and number not in found:
            found.append(number)
    return found


def read_slots(text: str, reward_names: Iterable[str] = ()) -> dict[str, str]:
    """The slots ``text`` fills (see the module's docstring); an empty dict when it names none."""
    slots: dict[str, str] = {}
    orders = order_numbers(text)
    if orders:
        slots["order_number"] = orders[0]
    email = _EMAIL.search(text)
    if email:
        slots["email"] = email.group(0)
    without_emails = _EMAIL.sub(" ", text)
    for match in _CODE.finditer(without_emails):
        if match.group(1) not in orders:
            slots["code"] = match.group(1)
            break
    reward = _reward_in(text, reward_names)
    if reward:
        slots["reward"] = reward
    address = _ADDRESS.search(text)
    if address:
        slots["address"] = " ".join(address.group("address").split()).rstrip(" ,;")
    reason = _REASON.search(text)
    if reason:
        slots["reason"] = " ".join(reason.group("reason").split())
    return slots


def _reward_in(text: str, reward_names: Iterable[str]) -> str | None:
    folded = " ".join(re.findall(r"\w+", text.casefold()))
    best: str | None = None
    for name in reward_names:
        words = " ".join(re.findall(r"\w+", name.casefold()))
        matches = bool(words) and re.search(rf"(?:^| ){re.escape(words)}(?: |$)", folded) is not None
        if matches and (best is None or len(name) > len(best)):
            best = name
    return best
