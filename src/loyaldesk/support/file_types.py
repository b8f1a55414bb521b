"""What a file is, judged by its bytes: the few kinds a conversation accepts. Pure: no I/O.

The type a sender declares is a label, not a fact: browsers derive it from the file name, mail programs
write ``image/jpg`` or ``application/octet-stream`` for a photo, and anyone can call anything
``image/png``. So every upload path (the widget, the agents' composer, inbound email) decides a file's
type here, from its first bytes: the signatures of PNG, JPEG, GIF, WebP and PDF, and otherwise text (no
NUL or other binary control bytes). Text that starts like a web page, an SVG picture or an XML document
is markup a browser would run, and is named as such so that it can be refused. The declared type only
tells CSV from plain text, which no signature can.

Why not a library: see the decision record on deciding file types by content (python-magic needs the
system's libmagic; ``filetype`` and ``puremagic`` know hundreds of formats and say nothing about text,
which is the one judgement here that is not a fixed signature).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
PLAIN_TEXT = "text/plain"
CSV = "text/csv"
HTML = "text/html"
SVG = "image/svg+xml"
XML = "application/xml"

# The declared types that mean CSV (Windows browsers label a .csv file as an Excel file).
_CSV_LABELS = frozenset(
    {"text/csv", "application/csv", "text/comma-separated-values", "text/x-csv", "application/vnd.ms-excel"}
)
# Bytes that do not occur in text: NUL and the C0 controls other than tab, line feed, vertical tab,
# form feed, carriage return, SUB (0x1a, the DOS end of file) and ESC (terminal colours in logs); DEL.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1c-\x1f\x7f]")
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x19\x1c-\x1f\x7f]")
# The WHATWG MIME Sniffing standard's patterns for HTML (after leading white space, any case, followed
# by a space or ">"), plus comments; then XML and SVG, which browsers run scripts in as well.
_HTML_START = re.compile(
    rb"(?i)<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)"
    rb"[ \t\n\f\r>]"
)
_SNIFFED_BYTES = 1024


@dataclass(frozen=True)
class FileKind:
    """A judged file: ``content_type`` is what its bytes are; ``markup`` is true for HTML, SVG and XML."""

    content_type: str | None  # None: binary of no kind we know
    markup: bool = False


def judge(data: bytes, declared_type: str = "", filename: str = "") -> FileKind:
    """What ``data`` is. PNG, JPEG, GIF, WebP and PDF by their signatures; text (UTF-8 or any 8-bit
    charset, or UTF-16 with a byte-order mark) is ``text/csv`` when declared as CSV or named ``*.csv``,
    else ``text/plain``, unless it starts like HTML, SVG or XML (``markup``); anything else is
    ``FileKind(None)``. ``declared_type`` and ``filename`` serve only to tell CSV from plain text."""
    head = data[:_SNIFFED_BYTES]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind(PNG)
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind(JPEG)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FileKind(GIF)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileKind(WEBP)
    if head.startswith(b"%PDF-"):
        return FileKind(PDF)
    if not _is_text(data):
        return FileKind(None)
    markup = _markup(head)
    if markup is not None:
        return FileKind(markup, markup=True)
    declared = declared_type.split(";", 1)[0].strip().lower()
    if declared in _CSV_LABELS or filename.strip().lower().endswith(".csv"):
        return FileKind(CSV)
    return FileKind(PLAIN_TEXT)


def _is_text(data: bytes) -> bool:
    for mark, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(mark):
            text = data[len(mark) :].decode(codec, "replace")
            return _BINARY_CHARACTERS.search(text) is None
    return _BINARY_BYTES.search(data) is None


def _markup(head: bytes) -> str | None:
    """HTML, SVG or XML when the text starts like one (after white space and a byte-order mark)."""
    for mark, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(mark):
            head = head[len(mark) :].decode(codec, "replace").encode("utf-8", "replace")
            break
    start = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\n\f\r")
    if _HTML_START.match(start):
        return HTML
    lowered = start.lower()
    if lowered.startswith(b"<svg"):
        return SVG
    if lowered.startswith((b"<?xml", b"<!doctype svg")):
        return SVG if b"<svg" in lowered else XML
    return None
