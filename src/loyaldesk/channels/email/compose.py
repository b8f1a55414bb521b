"""Outbound replies as bytes: multipart/alternative with a text part and a small, mobile-friendly HTML part.

Pure: the clock and the threading headers come in as arguments. The HTML is built here from the agent's
text, never from received HTML: every character of the agent's text is escaped, links are only
http(s)/mailto, styles are inline (mail clients drop ``<style>``), and there are no images or scripts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime

from loyaldesk.channels.email.threading import ReplyHeaders

BODY_FORMATS = ("text", "markdown")

_FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_PARAGRAPH = "margin:0 0 16px 0;"
_LINK = "color:#0b5cad;text-decoration:underline;word-break:break-all;"
_CODE = "font-family:Menlo,Consolas,monospace;font-size:14px;background:#f3f4f6;padding:1px 4px;"
_QUOTE = "margin:0 0 16px 0;padding:0 0 0 12px;border-left:3px solid #d0d7de;color:#57606a;"
_LIST = "margin:0 0 16px 0;padding:0 0 0 24px;"

_MARKDOWN_INLINE = re.compile(
    r"`(?P<code>[^`\n]{1,1000})`"
    r"|\*\*(?P<bold>[^*\n]{1,1000})\*\*"
    r"|\[(?P<label>[^\]\n]{1,500})\]\((?P<target>(?:https?://|mailto:)[^\s()<>]{1,2000})\)"
    r"|(?P<url>https?://[^\s<>()\"']{1,2000})"
    r"|\*(?P<italic>[^*\n]{1,1000})\*"
    r"|(?<![\w])_(?P<underscored>[^_\n]{1,1000})_(?![\w])"
)
_PLAIN_INLINE = re.compile(r"(?P<url>https?://[^\s<>()\"']{1,2000})")
_BULLET = re.compile(r"\s{0,3}[-*+]\s+")
_NUMBERED = re.compile(r"\s{0,3}\d{1,3}[.)]\s+")
_HEADING = re.compile(r"\s{0,3}#{1,6}\s+")


def build_reply(
    *,
    headers: ReplyHeaders,
    from_address: str,
    from_name: str,
    to: Sequence[str],
    body: str,
    sent_at: datetime,
    cc: Sequence[str] = (),
    body_format: str = "text",
    signature: str = "",
    language: str = "en",
) -> bytes:
    """The reply as RFC 5322 bytes (CRLF line ends, quoted-printable UTF-8 parts).

    ``body`` is the agent's text, as plain text (blank lines separate paragraphs) or, with
    ``body_format="markdown"``, a safe subset: paragraphs, ``-``/``1.`` lists, ``>`` quotes, ``#`` headings,
    ``**bold**``, ``*italic*``, `` `code` ``, ``[label](https://...)`` and bare links. Raises ValueError
    for an unknown format, a naive ``sent_at``, or an address that is not a plain ``local@domain``.
    Non-ASCII addresses switch to the SMTPUTF8 policy (the transport must then offer SMTPUTF8).
    """
    if body_format not in BODY_FORMATS:
        raise ValueError(f"body_format must be one of {BODY_FORMATS}")
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    addresses = [from_address, *to, *cc, headers.reply_to]
    message = EmailMessage(policy=SMTP if all(a.isascii() for a in addresses) else SMTPUTF8)
    message["From"] = _address(from_address, _one_line(from_name))
    message["To"] = [_address(address) for address in to]
    if cc:
        message["Cc"] = [_address(address) for address in cc]
    message["Date"] = format_datetime(sent_at)
    for name, value in headers.as_pairs():
        message[name] = value
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    signature = signature.replace("\r\n", "\n").strip("\n")
    message.set_content(
        _plain_text(text, body_format) + (f"\n\n-- \n{signature}" if signature else "") + "\n",
        subtype="plain",
        charset="utf-8",
        cte="quoted-printable",
    )
    message.add_alternative(
        render_html(
            text, body_format=body_format, signature=signature, title=headers.subject, language=language
        ),
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    return message.as_bytes()


def render_html(
    text: str, *, body_format: str = "text", signature: str = "", title: str = "", language: str = "en"
) -> str:
    """The whole HTML document of a reply: one centred column, at most 600 px wide, readable on a phone."""
    blocks = _markdown_blocks(text) if body_format == "markdown" else _plain_blocks(text)
    if signature:
        signature_html = "<br>".join(html.escape(line) for line in signature.split("\n"))
        blocks += f'<p style="{_PARAGRAPH}font-size:14px;color:#57606a;">{signature_html}</p>'
    language = language if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", language) else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n"
        '<body style="margin:0;padding:0;background:#ffffff;">\n'
        f'<div style="max-width:600px;margin:0 auto;padding:16px;font-family:{_FONT};'
        f'font-size:16px;line-height:1.5;color:#1f2328;">\n{blocks}</div>\n</body>\n</html>\n'
    )


def _plain_blocks(text: str) -> str:
    return "".join(
        f'<p style="{_PARAGRAPH}">{"<br>".join(_inline(line, _PLAIN_INLINE) for line in block)}</p>\n'
        for block in _paragraphs(text)
    )


def _markdown_blocks(text: str) -> str:
    rendered = []
    for block in _paragraphs(text):
        if all(_BULLET.match(line) for line in block):
            items = "".join(f"<li>{_inline(_BULLET.sub('', line, 1))}</li>" for line in block)
            rendered.append(f'<ul style="{_LIST}">{items}</ul>\n')
        elif all(_NUMBERED.match(line) for line in block):
            items = "".join(f"<li>{_inline(_NUMBERED.sub('', line, 1))}</li>" for line in block)
            rendered.append(f'<ol style="{_LIST}">{items}</ol>\n')
        elif all(line.lstrip().startswith(">") for line in block):
            quoted = "<br>".join(_inline(line.lstrip().lstrip(">").strip()) for line in block)
            rendered.append(f'<blockquote style="{_QUOTE}">{quoted}</blockquote>\n')
        elif len(block) == 1 and _HEADING.match(block[0]):
            heading = _inline(_HEADING.sub("", block[0], 1))
            rendered.append(f'<p style="{_PARAGRAPH}font-size:18px;font-weight:bold;">{heading}</p>\n')
        else:
            lines = "<br>".join(_inline(line) for line in block)
            rendered.append(f'<p style="{_PARAGRAPH}">{lines}</p>\n')
    return "".join(rendered)


def _paragraphs(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _inline(line: str, pattern: re.Pattern[str] = _MARKDOWN_INLINE) -> str:
    """One line with inline markup as HTML; everything that is not markup is escaped."""
    pieces = []
    position = 0
    for match in pattern.finditer(line):
        pieces.append(html.escape(line[position : match.start()]))
        position = match.end()
        kind = match.lastgroup
        if kind == "code":
            pieces.append(f'<code style="{_CODE}">{html.escape(match["code"])}</code>')
        elif kind == "bold":
            pieces.append(f"<strong>{html.escape(match['bold'])}</strong>")
        elif kind in ("italic", "underscored"):
            pieces.append(f"<em>{html.escape(match[kind])}</em>")
        elif kind == "target":
            pieces.append(_link(match["target"], match["label"]))
        else:
            url = match["url"]
            trailing = len(url) - len(url.rstrip(".,;:!?"))
            url, tail = (url[:-trailing], url[-trailing:]) if trailing else (url, "")
            pieces.append(_link(url, url) + html.escape(tail))
    pieces.append(html.escape(line[position:]))
    return "".join(pieces)


def _link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}" style="{_LINK}">{html.escape(label)}</a>'


def _plain_text(text: str, body_format: str) -> str:
    if body_format != "markdown":
        return text
    return re.sub(r"\[([^\]\n]{1,500})\]\(((?:https?://|mailto:)[^\s()<>]{1,2000})\)", r"\1 <\2>", text)


def _one_line(text: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())[:200]


def _address(address: str, display_name: str = "") -> Address:
    """A plain ``local@domain`` as an Address; ValueError otherwise (and never a header injection)."""
    address = address.strip()
    if not re.fullmatch(r"[^\s@<>()\[\],;:\\\"]{1,64}@[^\s@<>()\[\],;:\\\"]{1,255}", address):
        raise ValueError(f"not a plain email address: {address!r}")
    local, _, domain = address.rpartition("@")
    return Address(display_name=display_name, username=local, domain=domain)
