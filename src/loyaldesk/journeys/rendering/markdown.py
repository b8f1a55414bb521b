"""A message body in Markdown, as HTML (staff HTML sanitised) and as plain text, with its ``{{ variables }}``
kept as slots to fill per recipient. Pure.

The body is parsed once per text (cached): each placeholder becomes an inert marker first, so that a
value can never be read as Markdown or HTML (a customer named ``*Bob*`` or ``<b>Bob</b>`` stays as typed)
and the parse is shared by every recipient. Filling a slot escapes the value for HTML in the HTML part
and leaves it as it is in the text part.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from loyaldesk.journeys.rules.variables import _PLACEHOLDER

# What store staff may use in a body: text structure, links and images; no scripts, styles, forms.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li", "ol", "p",
    "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u",
    "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
_MARKER = re.compile(r"LDV(\d+)Z")
_ENDS_A_LINE = {
    "paragraph_close", "heading_close", "fence", "code_block", "hr", "html_block", "th_close", "td_close"
}  # fmt: skip
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")


@dataclass(frozen=True)
class Slot:
    name: str
    fallback: str


@dataclass(frozen=True)
class ParsedBody:
    html: str  # sanitised HTML with markers LDV<n>Z where the variables go
    text: str  # plain text, links as "text (url)", with the same markers
    slots: tuple[Slot, ...]


def mark(text: str) -> tuple[str, tuple[Slot, ...]]:
    """``text`` with each ``{{ name | fallback }}`` replaced by the marker ``LDV<n>Z`` and the slots."""
    slots: list[Slot] = []

    def replace(match: re.Match[str]) -> str:
        slots.append(Slot(match.group(1), match.group(2) or ""))
        return f"LDV{len(slots) - 1}Z"

    return _PLACEHOLDER.sub(replace, text), tuple(slots)


def fill_marked(text: str, slots: Sequence[Slot], values: Mapping[str, Any], *, escape: bool) -> str:
    """Put each slot's value (or its fallback when empty) where its marker is, HTML-escaped if asked."""

    def replace(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(slots):
            return match.group(0)
        slot = slots[index]
        value = values.get(slot.name)
        filled = slot.fallback if value in (None, "") else str(value)
        return html.escape(filled, quote=True) if escape else filled

    return _MARKER.sub(replace, text)


@functools.lru_cache(maxsize=512)
def parse_body(body: str) -> ParsedBody:
    """The body's HTML and text with markers (cached per text)."""
    marked, slots = mark(body)
    tokens = _md.parse(marked)
    rendered = _md.renderer.render(tokens, _md.options, {})
    clean = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
    return ParsedBody(html=clean.strip(), text=_plain(tokens), slots=slots)


def strip_tags(markup: str) -> str:
    """Text of an HTML fragment, tags dropped and entities read."""
    return html.unescape(nh3.clean(markup, tags=set(), strip_comments=True))


def _plain(tokens: list[Token]) -> str:
    """Plain text of a Markdown token stream: paragraphs apart by a blank line, lists with ``-`` or
    numbers, links as ``text (url)``, images as their description, HTML dropped."""
    blocks: list[str] = []
    line: list[str] = []
    prefixes: list[str] = []  # one per open list: "-" or the next number as text
    for token in tokens:
        kind = token.type
        if kind == "bullet_list_open":
            prefixes.append("-")
        elif kind == "ordered_list_open":
            prefixes.append(str(int(token.attrGet("start") or 1)))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            prefixes.pop()
        elif kind == "list_item_open":
            marker = prefixes[-1] if prefixes else "-"
            indent = "  " * (len(prefixes) - 1)
            line.append(f"{indent}{marker}{'' if marker == '-' else '.'} ")
            if marker != "-":
                prefixes[-1] = str(int(marker) + 1)
        elif kind == "inline":
            line.append(_inline_text(token.children or []))
        elif kind in _ENDS_A_LINE:
            if kind in ("fence", "code_block"):
                line.append(token.content.rstrip("\n"))
            elif kind == "hr":
                line.append("---")
            elif kind == "html_block":
                line.append(strip_tags(token.content).strip())
            elif kind in ("th_close", "td_close"):
                line.append("  ")
                continue
            text = "".join(line).rstrip()
            line = []
            if text:
                blocks.append(text)
        elif kind == "tr_close":
            text = "".join(line).rstrip()
            line = []
            if text:
                blocks.append(text)
    if line and "".join(line).strip():
        blocks.append("".join(line).rstrip())
    joined: list[str] = []
    for block in blocks:  # list items sit on consecutive lines; other blocks are a blank line apart
        is_item = bool(re.match(r"^\s*(-|\d+\.) ", block))
        if joined and not (is_item and re.match(r"^\s*(-|\d+\.) ", joined[-1].splitlines()[-1])):
            joined.append("")
        joined.append(block)
    return "\n".join(joined).strip()


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    links: list[str] = []
    hidden = False  # inside an inline <script> or <style>: its content is not text
    for child in children:
        kind = child.type
        if kind == "html_inline":
            tag = child.content.lower()
            if tag.startswith(("<script", "<style")):
                hidden = True
            elif tag.startswith(("</script", "</style")):
                hidden = False
            continue
        if hidden:
            continue
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            links.append(str(child.attrGet("href") or ""))
            parts.append("\x00")  # where the link text starts
        elif kind == "link_close":
            href = links.pop() if links else ""
            start = len(parts) - 1 - parts[::-1].index("\x00")
            label = "".join(parts[start + 1 :])
            shown = href.removeprefix("mailto:")
            parts[start:] = [label if not href or shown == label else f"{label} ({shown})"]
        elif kind == "image":
            parts.append(child.content or str(child.attrGet("alt") or ""))
    return "".join(parts)
