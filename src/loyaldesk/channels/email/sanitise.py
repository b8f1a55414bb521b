"""Untrusted mail HTML made safe to show agents, and turned into plain text. Pure, linear time.

``sanitise_html`` runs in two steps. First a linear pre-pass of our own re-writes the markup as
canonical tags: every ``<`` that is not a tag we recognise becomes ``&lt;``, comments and declarations go,
dangerous elements go with their content, unknown tags go (their text stays), and start tags past
``MAX_HTML_DEPTH`` open elements are dropped. Then nh3 (html5ever + ammonia) enforces the allowlist below.
The pre-pass exists because html5ever spends time proportional to nesting depth on every block tag:
500 kB of ``<div>`` took 17 s without it.

What survives: formatting, lists, tables, links (http, https, mailto, tel; ``target="_blank"``,
``rel="noopener noreferrer nofollow"``), images only by ``cid:`` (remote images are tracking beacons that
would report the agent reading; ``data:`` URLs are refused outright, since ``data:image/svg+xml`` can carry
script and they bloat storage), and a small set of inline CSS properties with plain values (no ``url()``,
``expression()``, escapes or comments). No scripts, event handlers, forms, frames, SVG, MathML, ``<style>``,
``<meta>``, ``<base>``, ids or classes. Show the result inside a sandboxed frame with a strict CSP anyway.
"""

from __future__ import annotations

import html
import re

import nh3

MAX_HTML_DEPTH = 128

# fmt: off
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd",
    "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
})
# fmt: on
_ATTRIBUTES = {
    "*": {"title", "dir", "lang", "align", "valign", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "ol": {"start"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor"},
    "td": {"width", "colspan", "rowspan", "bgcolor"},
    "th": {"width", "colspan", "rowspan", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
}
_KNOWN_ATTRIBUTES = frozenset(name for names in _ATTRIBUTES.values() for name in names)
_VOID = frozenset({"br", "hr", "img", "col"})
# Removed with everything inside them (to the end if never closed, as a browser would read them).
# fmt: off
_DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "noscript", "noembed", "noframes", "textarea", "title", "xmp", "plaintext",
    "svg", "math", "template",
})
# fmt: on
_FORMATTING = frozenset(
    {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"}
)
# Neither "special" nor formatting in the HTML parsing algorithm: an end tag closes through them.
_TRANSPARENT = frozenset({"abbr", "cite", "del", "ins", "kbd", "mark", "q", "span", "sub", "sup"})
_SELF_CLOSING_SIBLINGS = {"p": {"p"}, "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "tr": {"tr"}}
_SELF_CLOSING_SIBLINGS |= {"td": {"td", "th"}, "th": {"td", "th"}}

# fmt: off
_STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-weight", "font-style", "font-size", "font-family", "text-align",
    "text-decoration", "line-height", "vertical-align", "white-space", "margin", "margin-top",
    "margin-bottom", "margin-left", "margin-right", "padding", "padding-top", "padding-bottom",
    "padding-left", "padding-right", "border", "border-collapse", "width", "max-width", "height",
    "border-radius", "border-color", "border-style", "border-width",
})
# fmt: on
_STYLE_VALUE = re.compile(r"[#\w\s.,%'\"()+-]{0,200}")
_STYLE_REFUSED = re.compile(r"expression|url|javascript|behavior|binding|import|var\(", re.IGNORECASE)

_CLOSING_TAGS = {name: re.compile(f"</{name}", re.IGNORECASE) for name in _DROPPED_WITH_CONTENT}
# The next markup: a whole tag (possessive quantifiers, Python 3.11+: a failed match never backtracks into
# the attribute text), else a comment, declaration or processing instruction opener, else a lone "<" + letter.
_NEXT_MARKUP = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9]{0,30})((?:[^<>\"']++|\"[^\"]*+\"|'[^']*+')*+)>|<!--|<[!?]|</?[A-Za-z]"
)
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")


def _safe_style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        name, colon, css = declaration.partition(":")
        name, css = name.strip().lower(), css.strip()
        if (
            colon
            and name in _STYLE_PROPERTIES
            and _STYLE_VALUE.fullmatch(css)
            and not _STYLE_REFUSED.search(css)
        ):
            kept.append(f"{name}: {css}")
    return "; ".join(kept) or None


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return _safe_style(value)
    if element == "img" and attribute == "src":
        return value if value[:4].lower() == "cid:" else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes={"http", "https", "mailto", "tel", "cid"},
    url_relative="deny",
)


def sanitise_html(untrusted: str) -> str:
    """Safe HTML for agents from any string; linear time, never raises. See the module doc for the rules."""
    return _CLEANER.clean(_canonical_markup(untrusted))


def _canonical_markup(untrusted: str) -> str:
    """The pre-pass: our own tokenisation re-serialised, so html5ever sees exactly the tags we counted."""
    output: list[str] = []
    open_elements: list[str] = []
    position, length = 0, len(untrusted)
    while position < length:
        tag = _NEXT_MARKUP.search(untrusted, position)
        if tag is None:
            output.append(untrusted[position:].replace("<", "&lt;"))
            break
        start = tag.start()
        output.append(untrusted[position:start].replace("<", "&lt;"))
        if tag[2] is None:
            if tag[0] == "<!--":
                end = untrusted.find("-->", start + 2)
                position = length if end < 0 else end + 3
            elif tag[0] in ("<!", "<?"):
                end = untrusted.find(">", start)
                position = length if end < 0 else end + 1
            else:  # "<" + letter that does not make a tag: text
                output.append("&lt;")
                position = start + 1
            continue
        position = tag.end()
        name = tag[2].lower()
        if tag[1]:
            if name in ALLOWED_TAGS:
                _close(open_elements, name)
                output.append(f"</{name}>")
        elif name in _DROPPED_WITH_CONTENT:
            closing = _CLOSING_TAGS[name].search(untrusted, position)
            end = -1 if closing is None else untrusted.find(">", closing.end())
            position = length if end < 0 else end + 1
        elif name in ALLOWED_TAGS:
            if open_elements and open_elements[-1] in _SELF_CLOSING_SIBLINGS.get(name, ()):
                open_elements.pop()
            if name not in _VOID:
                if len(open_elements) >= MAX_HTML_DEPTH:
                    continue
                open_elements.append(name)
            output.append(f"<{name}{_canonical_attributes(tag[3])}>")
    return "".join(output).replace("\x00", "")


def _close(open_elements: list[str], name: str) -> None:
    """Pop ``name`` only where the HTML parser surely would too, so our depth never undercounts its own."""
    for distance in range(1, min(len(open_elements), 8) + 1):
        element = open_elements[-distance]
        if element == name:
            del open_elements[-distance:]
            return
        if name in _FORMATTING or element not in _TRANSPARENT:
            return


def _canonical_attributes(source: str) -> str:
    """Known attributes only, first of each name, values decoded then re-escaped inside double quotes."""
    seen: dict[str, str] = {}
    for name, double_quoted, single_quoted, unquoted in _ATTRIBUTE.findall(source):
        name = name.lower()
        if name in _KNOWN_ATTRIBUTES and name not in seen:
            value = double_quoted or single_quoted or unquoted
            seen[name] = html.escape(html.unescape(value) if "&" in value else value)
    return "".join(f' {name}="{value}"' for name, value in seen.items())


# --- HTML to text --------------------------------------------------------------------------------------

_OUTPUT_TAG = re.compile(r"<(/?)([a-z0-9]+)((?:[^>\"]++|\"[^\"]*+\")*+)>")
_HREF = re.compile(r'\shref="([^"]*)"')
# Blocks that end a line, and blocks that also leave a blank line after them.
_LINE_BLOCKS = frozenset({"div", "tr", "li", "dt", "dd", "caption", "center"})
_PARAGRAPH_BLOCKS = frozenset(
    {"p", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "blockquote", "dl"}
)


def html_to_text(safe_html: str) -> str:
    """Readable plain text from ``sanitise_html`` output: blocks on their own lines, paragraphs apart,
    list items as "- ", blockquotes as "> " lines (so quoted history can be split off), links as
    "text (url)". Linear time.
    """
    lines: list[str] = []
    current: list[str] = []
    quote_depth = 0
    link: str | None = None
    link_text_start = 0

    def end_line() -> bool:
        text = " ".join("".join(current).split())
        current.clear()
        if text:
            lines.append("> " * quote_depth + text)
        return bool(text)

    def blank_line() -> None:
        if lines and lines[-1].strip(" >"):
            lines.append(("> " * quote_depth).rstrip())

    position = 0
    for tag in _OUTPUT_TAG.finditer(safe_html):
        if tag.start() > position:
            current.append(_text(safe_html[position : tag.start()]))
        position = tag.end()
        closing, name = tag[1], tag[2]
        if name == "a":
            if not closing:
                href = _HREF.search(tag[3])
                link, link_text_start = (html.unescape(href[1]) if href else None), len(current)
            else:
                shown = "".join(current[link_text_start:])
                target = (link or "").removeprefix("mailto:")
                if target and target not in shown:
                    current.append(f" ({target})")
                link = None
        elif name == "br":
            if not end_line():
                blank_line()
        elif name in _LINE_BLOCKS:
            end_line()
            if name == "li" and not closing:
                current.append("- ")
        elif name in _PARAGRAPH_BLOCKS:
            end_line()
            if name == "blockquote" and closing:
                quote_depth = max(0, quote_depth - 1)
            blank_line()
            if name == "blockquote" and not closing:
                quote_depth += 1
        elif name in ("td", "th") and closing:
            current.append(" ")
    current.append(_text(safe_html[position:]))
    end_line()
    while lines and not lines[-1].strip(" >"):
        lines.pop()
    return "\n".join(lines).strip("\n")


def _text(escaped: str) -> str:
    return html.unescape(escaped).replace("\xa0", " ") if "&" in escaped else escaped
