"""Chat message bodies: checking what a person typed, rendering it as safe HTML, and checking
attachments. Pure: no I/O.

A chat message is Markdown: CommonMark (markdown-it-py) with raw HTML off, so markup typed by a person
shows as text; bare URLs are not turned into links there (``<https://example.com>`` and
``[text](https://example.com)`` link). An email is plain text (``render_plain_text_html``): shown as
written, line breaks kept, web and mail addresses made links (linkify-it-py), and nothing read as
Markdown, since a mail program's ``*``, ``#`` or ``1.`` at a line's start are the writer's own. Both are
sanitized with nh3 to a small allow-list, so that nothing executable survives even if a renderer had a
bug.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt

from loyaldesk.kernel.errors import Invalid
from loyaldesk.support import file_types

MAX_MESSAGE_LENGTH = 10_000

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# Images would load from anywhere (tracking, mixed content) and are dropped by the sanitizer anyway;
# headings and rules make no sense in a chat bubble. With these rules off, "![x](url)" is "!" plus a
# link, "# note" and "---" stay as typed.
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).disable(
    ["image", "heading", "lheading", "hr"]
)
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    # ``start`` keeps "3. third step" numbered as typed; it is a plain number attribute.
    # "*" replaces nh3's default attributes for every tag (title, lang).
    attributes={"*": set(), "a": {"href"}, "ol": {"start"}},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    # A relative link would point into the agent console itself.
    url_relative="deny",
)


def render_message_html(markdown_text: str) -> str:
    """Safe HTML for a chat message written in Markdown.

    Raw HTML is shown as text; single newlines become ``<br>``; links keep only an http, https or mailto
    ``href`` and get ``rel="noopener noreferrer nofollow"``. Only p, br, strong, em, code, pre,
    blockquote, ul, ol (with ``start``), li and a survive; scripts, event handlers, images, SVG, iframes,
    styles and ``javascript:``/``data:`` URLs never do.
    """
    return _cleaner.clean(_markdown.render(markdown_text)).strip()


# Web addresses with and without a scheme ("www.shop.example", "shop.example/track") and mail addresses.
_linkify = LinkifyIt()
_LINKED_SCHEMES = frozenset({"http:", "https:", "mailto:", ""})  # "": a fuzzy link, given http://
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)


def render_plain_text_html(text: str) -> str:
    """Safe HTML for plain text (an email): every character shown as written, nothing read as Markdown.

    Blank lines separate paragraphs (``<p>``), single newlines become ``<br>``, indentation is kept
    (as non-breaking spaces), and http(s) URLs, ``www.`` and bare domain addresses and email addresses
    become links with ``rel="noopener noreferrer nofollow"``. The output uses only p, br and a.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        return ""
    text = _LEADING_SPACE.sub(lambda found: "\u00a0" * len(found[0].expandtabs(4)), text)
    pieces: list[str] = []
    position = 0
    for match in _linkify.match(text) or []:
        if match.schema.lower() not in _LINKED_SCHEMES:
            continue  # ftp: and protocol-relative "//" stay text
        pieces.append(html.escape(text[position : match.index], quote=False))
        url = html.escape(match.url, quote=True)
        pieces.append(f'<a href="{url}">{html.escape(match.text, quote=False)}</a>')
        position = match.last_index
    pieces.append(html.escape(text[position:], quote=False))
    paragraphs = (
        "<p>" + paragraph.replace("\n", "<br>\n") + "</p>"
        for paragraph in _PARAGRAPH_BREAK.split("".join(pieces))
    )
    return _cleaner.clean("\n".join(paragraphs)).strip()


# C0 controls except tab (\x09) and newline (\x0a), plus DEL: invisible, and NUL breaks PostgreSQL text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Lone surrogates cannot be encoded as UTF-8, so no database or socket could carry them.
_LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _clean(text: str) -> str:
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LONE_SURROGATES.sub("", _CONTROL_CHARACTERS.sub("", body)).strip()


def check_message_body(text: str) -> str:
    """``text`` cleaned up for storage: line endings normalized to ``\\n``, NUL and other control
    characters (except tab and newline) and lone surrogates removed, surrounding whitespace stripped.

    ``Invalid`` on field ``body`` if nothing is left or it is longer than ``MAX_MESSAGE_LENGTH``
    characters.
    """
    body = _clean(text)
    if not body:
        raise Invalid.field("body", "must not be empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise Invalid.field("body", f"must be at most {MAX_MESSAGE_LENGTH:,} characters, got {len(body):,}")
    return body


def check_message_body_or_empty(text: str) -> str:
    """Like ``check_message_body`` but an empty result is allowed (a message that is only a file)."""
    return check_message_body(text) if _clean(text) else ""


# --- Attachments ---------------------------------------------------------------------------------------

# Content type -> the extension (with its dot) a stored file of that type gets.
ALLOWED_ATTACHMENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
        "text/plain": ".txt",
        "text/csv": ".csv",
    }
)
# Further extensions a file of each type may already carry (the name is kept then).
_EXTENSION_ALIASES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "image/jpeg": frozenset({".jpeg", ".jpe", ".jfif"}),
        "text/plain": frozenset({".text", ".log"}),
    }
)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_FILENAME_LENGTH = 120
# Characters that are unsafe in a file name on some system or in a Content-Disposition header.
_UNSAFE_FILENAME_CHARACTERS = re.compile(r'[<>:"|?*;]')


def _safe_filename(filename: str, content_type: str) -> str:
    extension = ALLOWED_ATTACHMENT_TYPES[content_type]
    name = unicodedata.normalize("NFC", filename)
    name = re.split(r"[/\\]", name)[-1]
    # Category C: controls, format characters (bidi overrides that flip "gpj.exe"), unassigned, private.
    name = "".join(character for character in name if not unicodedata.category(character).startswith("C"))
    name = _UNSAFE_FILENAME_CHARACTERS.sub("_", name)
    name = " ".join(name.split()).strip(". ")
    stem, dot, current_extension = name.rpartition(".")
    accepted = {extension} | _EXTENSION_ALIASES.get(content_type, frozenset())
    if dot and f".{current_extension.lower()}" in accepted:
        stem, extension = stem.rstrip(". "), f".{current_extension.lower()}"
    else:
        stem = name
    stem = stem[: MAX_FILENAME_LENGTH - len(extension)].rstrip(". ") or "attachment"
    return f"{stem}{extension}"


def check_attachment(filename: str, declared_type: str, data: bytes) -> tuple[str, str]:
    """A safe file name and the content type for an uploaded attachment, decided by its content.

    The type is what ``file_types.judge`` finds in the bytes (PNG, JPEG, GIF, WebP, PDF, CSV or plain
    text); ``declared_type`` (what the sender's browser or mail program said, ``image/jpg`` or
    ``application/octet-stream`` for a photo as often as not) only tells CSV from plain text. The type
    must be one of ``ALLOWED_ATTACHMENT_TYPES``: never HTML, SVG or XML (a browser would run them), nor
    a binary of another kind. The size must be between 1 byte and ``MAX_ATTACHMENT_BYTES``. The file name
    is reduced to its last path component without control or format characters, ends in an extension
    that matches the type (one is appended if it does not, so "page.html" holding plain text is stored
    as "page.html.txt"), and is at most ``MAX_FILENAME_LENGTH`` characters; if nothing is left it is
    "attachment" plus the extension. ``Invalid`` on field ``file`` naming the reason otherwise.
    """
    if not data:
        raise Invalid.field("file", "is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Invalid.field("file", f"is larger than the {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB limit")
    kind = file_types.judge(data, declared_type, filename)
    allowed = ", ".join(ALLOWED_ATTACHMENT_TYPES)
    if kind.markup:
        raise Invalid.field(
            "file",
            f"{kind.content_type} files are not allowed (a browser would run them); allowed: {allowed}",
        )
    if kind.content_type is None or kind.content_type not in ALLOWED_ATTACHMENT_TYPES:
        declared = declared_type.split(";", 1)[0].strip().lower()
        if declared in ALLOWED_ATTACHMENT_TYPES or declared in _DECLARED_ALIASES:
            reason = f"its content is not {declared} (nor any type allowed)"
        else:
            reason = f"{declared} files are not allowed" if declared else "files of this kind are not allowed"
        raise Invalid.field("file", f"{reason}; allowed: {allowed}")
    return _safe_filename(filename, kind.content_type), kind.content_type


# Labels mail programs and old browsers give allowed types: a file with such a label and other content
# is named for what it claimed to be.
_DECLARED_ALIASES = frozenset({"image/jpg", "image/pjpeg", "image/x-png", "application/x-pdf"})
