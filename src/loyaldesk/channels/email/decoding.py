"""Bytes and header words to text, whatever the declared charset says: never raises, linear time. Pure.

Mail lies about charsets. The rules, in order: a declared charset that decodes cleanly wins; labels are
read as mail clients mean them (latin-1 and ascii as windows-1252, gb2312 as gb18030, ...); codecs that are
not text encodings of mail (``idna``, ``punycode`` which is quadratic, ``unicode-escape``) are refused;
then UTF-8, then windows-1252 (latin-1 for its five undefined bytes). Every fallback reports a problem.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_SURROGATE = re.compile("[\udc80-\udcff]")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def decode_header_text(raw: str) -> str:
    """A raw header value as text: 8-bit bytes decoded (UTF-8, else windows-1252), RFC 2047 words decoded.

    Adjacent encoded words in one charset are joined as bytes first (a character may be split across
    them); broken base64 or unknown charsets degrade to a best effort, never an exception.
    """
    raw = undo_surrogate_escapes(raw)
    if "=?" not in raw:
        return raw
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        gap = raw[position : match.start()]
        charset, data = match[1].split("*")[0].lower(), _decode_word(match[2], match[3])
        adjacent = bool(pending) and not gap.strip()  # white space between encoded words is not text
        if pending and not (adjacent and charset == pending_charset):
            pieces.append(decode_bytes(b"".join(pending), pending_charset)[0])
            pending = []
        if not adjacent:
            pieces.append(gap)
        pending.append(data)
        pending_charset = charset
        position = match.end()
    if pending:
        pieces.append(decode_bytes(b"".join(pending), pending_charset)[0])
    pieces.append(raw[position:])
    return "".join(pieces)


def undo_surrogate_escapes(text: str) -> str:
    """Text as the stdlib parser hands it over (raw 8-bit bytes as lone surrogates) decoded for real."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), None)[0]


def _decode_word(encoding: str, text: str) -> bytes:
    if encoding in "qQ":
        return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
    letters = re.sub(r"[^A-Za-z0-9+/]", "", text)
    letters = letters[:-1] if len(letters) % 4 == 1 else letters  # a lone sextet holds no whole byte
    return base64.b64decode(letters + "=" * (-len(letters) % 4))


# --- charsets ------------------------------------------------------------------------------------------

# What mail clients mean rather than what they say (as browsers do): latin-1 is windows-1252.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "windows-1252": "cp1252",
    "ks_c_5601-1987": "cp949", "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932", "x-sjis": "cp932",
    "tis-620": "cp874", "iso-8859-8-i": "iso-8859-8", "unicode-1-1-utf-7": "utf-7", "cp-850": "cp850",
}  # fmt: skip
# Codecs that are not text encodings of mail, or are quadratic (punycode) or interpret escapes.
_REFUSED_CODECS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "mbcs"})
_UNSPECIFIED = frozenset({"", "unknown", "unknown-8bit", "x-unknown", "x-user-defined", "default"})


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Bytes as text in the declared charset; returns (text, problem or None) and never raises.

    Unknown or missing charsets try UTF-8, then windows-1252. Declared UTF-8 that is not UTF-8 is read as
    windows-1252 when no valid multi-byte sequence is present (latin-1 mislabelled), else with U+FFFD.
    """
    declared = (charset or "").strip().strip("\"'").lower()[:40]
    codec = _codec(_CHARSET_ALIASES.get(declared, declared))
    if codec is not None:
        try:
            return data.decode(codec), None
        except Exception:
            pass
        if codec == "cp1252":  # five bytes windows-1252 leaves undefined: read the whole as latin-1
            return data.decode(
                "latin-1"
            ), f"charset {declared!r}: bytes undefined in windows-1252, read as latin-1"
        if codec not in ("utf-8", "ascii"):  # ascii-labelled 8-bit text is usually UTF-8: guess below
            try:
                return data.decode(codec, "replace"), f"charset {declared!r}: invalid bytes replaced"
            except Exception:
                pass
    try:
        text = data.decode("utf-8")
        return text, None if codec is None and declared in _UNSPECIFIED else _problem(declared, "utf-8")
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8", "replace")
    if codec == "utf-8" and any(ord(char) > 127 and char != "\ufffd" for char in replaced):
        return replaced, "charset 'utf-8': invalid bytes replaced"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, _problem(declared or "unspecified", "windows-1252")


def _problem(declared: str, used: str) -> str:
    return f"charset {declared!r} not usable, decoded as {used}"


def _codec(name: str) -> str | None:
    if name in _UNSPECIFIED:
        return None
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None
    return None if codec in _REFUSED_CODECS else codec
