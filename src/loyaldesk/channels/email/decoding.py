"""Bytes and header words to text, whatever the declared charset says: never raises, linear time. Pure.

Mail lies about charsets. The rules, in order: a byte-order mark decides (as in browsers); text labelled
with a single-byte charset that is valid UTF-8 with non-ASCII characters is UTF-8 (the usual mislabelling:
the odds that real windows-1252 text forms valid multi-byte UTF-8 are negligible); a declared charset that
decodes cleanly wins, except that a windows-1252 reading that charset-normalizer finds chaotic gives way to
the charset it recognises a language in; labels are read as mail clients mean them (latin-1 and ascii as
windows-1252, gb2312 as gb18030, ...); codecs that are not text encodings of mail (``idna``, ``punycode``
which is quadratic, ``unicode-escape``) are refused; then UTF-8, then windows-1252 when it reads plausibly,
else the charset charset-normalizer recognises, else windows-1252 anyway (latin-1 for its five undefined
bytes). Every fallback reports a problem.

charset-normalizer is asked only about 8-bit text that is not UTF-8, and only about its first 64 kB, so
its cost stays bounded; its guesses on short text are poor, so one is taken only when the windows-1252
reading is chaotic and the guess reads as a language (coherence) with little chaos.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

import charset_normalizer

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

    A leading byte-order mark (UTF-8, UTF-16) decides the encoding and is removed. Text labelled with a
    single-byte charset that is valid UTF-8 is read as UTF-8. Declared windows-1252 (or latin-1) that
    reads as chaos there is read in the charset charset-normalizer recognises, if any. Unknown or missing
    charsets try UTF-8, then windows-1252 when it reads plausibly, then the recognised charset, then
    windows-1252 anyway. Declared UTF-8 that is not UTF-8 is read the same way when no valid multi-byte
    sequence is present (latin-1 mislabelled), else as UTF-8 with U+FFFD for the invalid bytes.
    """
    declared = (charset or "").strip().strip("\"'").lower()[:40]
    codec = _codec(_CHARSET_ALIASES.get(declared, declared))
    for mark, marked_codec in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            text = data[len(mark) :].decode(marked_codec, "replace")
            agrees = (
                codec is None or codec == marked_codec or (codec, marked_codec[:6]) == ("utf-16", "utf-16")
            )
            return (
                text,
                None if agrees else f"charset {declared!r}: a {marked_codec} byte-order mark, read as that",
            )
    if codec is not None:
        if _is_single_byte(codec) and not data.isascii() and _is_utf8(data):
            return data.decode("utf-8"), f"charset {declared!r}: the text is UTF-8, read as utf-8"
        try:
            text = data.decode(codec)
        except Exception:
            pass
        else:
            if codec == "cp1252" and not data.isascii() and not _plausible_windows_1252(data):
                recognised = _recognised_charset(data)
                if recognised is not None:
                    return data.decode(
                        recognised, "replace"
                    ), f"charset {declared!r}: the text is {recognised}"
            return text, None
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
    recognised = None if _plausible_windows_1252(data) else _recognised_charset(data)
    if recognised is not None:
        return data.decode(recognised, "replace"), _problem(declared or "unspecified", recognised)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, _problem(declared or "unspecified", "windows-1252")


_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Python codec names (``codecs.lookup(...).name``) of single-byte charsets, whose decoding never tells
# them from UTF-8 by failing.
_SINGLE_BYTE_PREFIXES = ("iso8859-", "cp125", "koi8-", "mac-", "cp437", "cp85", "cp86", "cp874", "tis-620")
# How much of a text charset-normalizer reads: enough to judge, and a bound on its cost.
DETECTION_SAMPLE_BYTES = 64 * 1024
# Guesses never taken: UTF-16 and UTF-32 without a byte-order mark are not how mail comes, and UTF-7
# would read escapes into ASCII text.
_NEVER_GUESSED = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]


def _is_single_byte(codec: str) -> bool:
    return codec.startswith(_SINGLE_BYTE_PREFIXES)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sample(data: bytes) -> bytes:
    sample = data[:DETECTION_SAMPLE_BYTES]
    if len(data) > DETECTION_SAMPLE_BYTES:  # do not judge by a character cut in two
        sample = sample[: max(sample.rfind(b"\n"), sample.rfind(b" "), 1)]
    return sample


def _plausible_windows_1252(data: bytes) -> bool:
    """Whether the text reads as windows-1252 without the chaos of a wrong charset (charset-normalizer's
    measure: unlikely letter sequences, symbols among letters)."""
    try:
        return charset_normalizer.from_bytes(_sample(data), cp_isolation=["cp1252"]).best() is not None
    except Exception:  # the detector is a guess; a crash in it must not cost the message
        return True


def _recognised_charset(data: bytes) -> str | None:
    """The charset charset-normalizer reads a language in (coherence) with little chaos, else None."""
    try:
        found = charset_normalizer.from_bytes(_sample(data), cp_exclusion=_NEVER_GUESSED).best()
    except Exception:
        return None
    if found is None or found.coherence < 0.2 or found.chaos > 0.1:
        return None
    return _codec(found.encoding)


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
