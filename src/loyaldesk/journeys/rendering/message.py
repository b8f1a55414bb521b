"""``render_message``: a template, a customer's values and the store's brand into what a channel sends.
Pure (no I/O): the engine calls it for each send, the console for its preview.

* Email: the Markdown body (staff HTML sanitised) laid into the store's MJML frame, or the template's own
  MJML when set; variables filled (HTML-escaped in the HTML part); CSS inlined; a plain-text part from
  the Markdown with the unsubscribe address at its end. For marketing, links go through the signed click
  redirect, an open pixel is appended, and ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` (RFC 8058)
  are set.
* Blocks (``blocks``, from the send's content): parts a domain adds below the body, such as a survey's
  first question as a row of answer links (``"choices"``), so that it can be answered in the email
  itself. Email shows them as buttons (HTML) and numbered links (text); the short channels carry the
  block's ``url`` (the whole survey) instead. The ``"recommendations"`` block (products picked for the
  recipient, ``rendering.recommendations``) goes where the template's ``{{ recommendations }}`` is, else
  below the body; without products it renders nothing. Short channels leave it out.
* SMS, web push, the widget: text only (the subject is a push's or banner's title). A marketing SMS ends
  with "Reply STOP to opt out." and is cut to two segments.

Time: about a millisecond for an email (MJML compile cached per frame; measured in the tests).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from loyaldesk.journeys.links import MessageLinks
from loyaldesk.journeys.models import MessageTemplate, StoreMessaging
from loyaldesk.journeys.rendering import frame
from loyaldesk.journeys.rendering import recommendations as picks_block
from loyaldesk.journeys.rendering.markdown import fill_marked, mark, parse_body, strip_tags
from loyaldesk.journeys.rules.variables import fill
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.i18n import _, use_language

_HREF = re.compile(r'href="([^"]*)"')
# The GSM 03.38 alphabet (with its extension): a text only in these fits 153 characters a segment.
_GSM = re.compile(
    r"^[A-Za-z0-9 \n\r@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\\[~\]|€]*$"
)
SMS_SEGMENTS = 2  # a marketing SMS longer than two segments is cut (cost, and carriers' filters)
PUSH_MAX = 240
WIDGET_MAX = 500


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def render_message(
    template: MessageTemplate,
    channel: Channel,
    values: Mapping[str, Any],
    brand: StoreMessaging,
    links: MessageLinks,
    *,
    store_name: str,
    language: str,
    marketing: bool,
    blocks: Sequence[Mapping[str, Any]] = (),
) -> RenderedMessage:
    """The message ``template`` says, for one recipient (``values``: the variables), on ``channel``.
    ``marketing`` decides tracking, the List-Unsubscribe headers and the SMS opt-out line; ``blocks`` are
    added below the body (the module's docstring)."""
    filled: dict[str, Any] = {
        "store_name": store_name,
        **values,
        "unsubscribe_url": links.unsubscribe_url,
        "preferences_url": links.preferences_url,
        # Where the products block goes, never words: its options are not a fallback to show.
        picks_block.RECOMMENDATIONS: " ",
    }
    with use_language(language):
        if channel is Channel.EMAIL:
            return _email(template, filled, brand, links, store_name, language, marketing, blocks)
        return _short(template, channel, filled, marketing, blocks)


def _email(
    template: MessageTemplate,
    values: dict[str, Any],
    brand: StoreMessaging,
    links: MessageLinks,
    store_name: str,
    language: str,
    marketing: bool,
    blocks: Sequence[Mapping[str, Any]] = (),
) -> RenderedMessage:
    subject = _line(fill(template.subject or "", values))
    preheader = _line(fill(template.preheader or "", values))
    button_url = _web_url(fill(template.button_url or "", values).strip())
    button_label = _line(fill(template.button_label or "", values))
    body = parse_body(template.body or "")
    # The products block goes where the template says ``{{ recommendations }}`` (a one-off token stands
    # there through the filling, so no value can pass for it), the other blocks below the body.
    picked = [block for block in blocks if block.get("kind") == picks_block.KIND]
    blocks = [block for block in blocks if block.get("kind") != picks_block.KIND]
    token = f"LDREC{secrets.token_hex(8)}Z"
    picks_html = "".join(picks_block.block_html(block, brand.brand_color) for block in picked)
    picks_text = "\n\n".join(t for t in (picks_block.block_text(block) for block in picked) if t)
    marked_html, placed = _place_picks(body.html, body.slots, token, paragraph=True)
    body_html = fill_marked(marked_html, body.slots, values, escape=True) + "".join(
        _block_html(block, brand.brand_color) for block in blocks
    )
    if not template.mjml and not placed:
        body_html += token
    body_html = body_html.replace(token, picks_html)
    if template.mjml:
        marked, slots = mark(template.mjml)
        compiled, placed = _place_picks(frame.compile_mjml(marked), slots, token, paragraph=True)
        document = fill_marked(compiled, slots, values, escape=True)
        if not placed:
            blocks = [*picked, *blocks]  # the store's MJML has no place for the products: at its end
        document = document.replace(token, picks_html)
        if blocks:  # a store's own MJML has no place for them: they go at the end of its body
            extra = "".join(_block_html(block, brand.brand_color) for block in blocks)
            document = document.replace("</body>", f'<div style="padding:0 24px">{extra}</div></body>', 1)
    else:
        source = frame.frame_source(
            store_name=store_name,
            brand_colour=brand.brand_color,
            logo_url=brand.logo_url or "",
            postal_address=brand.postal_address or "",
            with_button=bool(button_url and button_label),
            language=language,
            unsubscribe_label=_("Unsubscribe"),
            preferences_label=_("Message preferences"),
        )
        parts = {
            "BODY": body_html,
            "PREHEADER": html.escape(preheader),
            "SUBJECT": html.escape(subject),
            "BUTTONLABEL": html.escape(button_label),
            "BUTTONURL": html.escape(button_url or "", quote=True),
            "UNSUB": html.escape(links.unsubscribe_url, quote=True),
            "PREFS": html.escape(links.preferences_url, quote=True),
        }
        document = frame.MARKERS.sub(lambda m: parts[m.group(1)], frame.compile_mjml(source))
    document = frame.inline_css(document)
    document = _links(document, links, track=marketing)
    if marketing:
        pixel = (
            f'<img src="{html.escape(links.open_url, quote=True)}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0;" />'
        )
        document = document.replace("</body>", pixel + "</body>", 1)
    marked_text, placed = _place_picks(body.text, body.slots, token, paragraph=False)
    text = _email_text(template, marked_text, body.slots, values, button_label, button_url, links, store_name)
    text = re.sub(r"\n{3,}", "\n\n", text.replace(token, picks_text)).strip()
    if picks_text and not placed:
        text += "\n\n" + picks_text
    if blocks:
        text += "".join(
            "\n\n" + _block_text(block) for block in blocks if block.get("kind") != picks_block.KIND
        )
    text = text + "\n\n" + _footer_text(brand, links, store_name)
    headers: dict[str, str] = {}
    if marketing:
        headers = {
            "List-Unsubscribe": f"<{links.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return RenderedMessage(subject=subject, text=text, html=document, url=button_url, headers=headers)


def _email_text(
    template: MessageTemplate,
    marked_text: str,
    slots: Any,
    values: Mapping[str, Any],
    button_label: str,
    button_url: str | None,
    links: MessageLinks,
    store_name: str,
) -> str:
    text = fill_marked(marked_text, slots, values, escape=False)
    if not text.strip() and template.mjml:  # an MJML-only template: its words, without the markup
        marked, mjml_slots = mark(template.mjml)
        words = strip_tags(re.sub(r"<mj-(head|style|title|preview)[\s\S]*?</mj-\1>", "", marked))
        words = fill_marked(words, mjml_slots, values, escape=False)
        text = "\n".join(line.strip() for line in words.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if button_url and button_label:
        text += f"\n\n{button_label}: {button_url}"
    return text.strip()


def _place_picks(marked: str, slots: Sequence[Any], token: str, *, paragraph: bool) -> tuple[str, bool]:
    """``marked`` with the markers of its ``{{ recommendations }}`` slots replaced by ``token`` (a
    paragraph of its own taken whole in HTML, so no card sits inside a ``<p>``), and whether there was one."""
    found = False
    for index, slot in enumerate(slots):
        if slot.name != picks_block.RECOMMENDATIONS:
            continue
        pattern = rf"<p>\s*LDV{index}Z\s*</p>|LDV{index}Z(?!\d)" if paragraph else rf"LDV{index}Z(?!\d)"
        marked, count = re.subn(pattern, token, marked)
        found = found or count > 0
    return marked, found


def _footer_text(brand: StoreMessaging, links: MessageLinks, store_name: str) -> str:
    lines = ["--", store_name]
    lines += [line.strip() for line in (brand.postal_address or "").splitlines() if line.strip()]
    lines += ["", f"{_('Message preferences')}: {links.preferences_url}"]
    lines += [f"{_('Unsubscribe')}: {links.unsubscribe_url}"]
    return "\n".join(lines)


def _links(document: str, links: MessageLinks, *, track: bool) -> str:
    """Every ``href``: kept if it is a web or mail address (else dropped), and for marketing sent through
    the signed click redirect, except the unsubscribe and preference links themselves."""
    untracked = {links.unsubscribe_url, links.preferences_url}

    def rewrite(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1)).strip()
        if url.startswith("mailto:"):
            return match.group(0)
        if not url.startswith(("https://", "http://")):
            return 'href="#"' if url else match.group(0)
        if track and url not in untracked:
            url = links.click_url(url)
        return f'href="{html.escape(url, quote=True)}"'

    return _HREF.sub(rewrite, document)


def _block_html(block: Mapping[str, Any], brand_colour: str) -> str:
    """A block as HTML for the email's body. ``choices``: the question, then one button per answer (a
    link that records it), with the scale's end labels under the row."""
    if block.get("kind") == picks_block.KIND:
        return picks_block.block_html(block, brand_colour)
    if block.get("kind") != "choices":
        return ""
    colour = frame.colour(brand_colour)
    on = frame.text_colour_on(colour)
    cells = []
    for option in block.get("options") or ():
        url = _web_url(str(option.get("url") or ""))
        if url is None:
            continue
        label = html.escape(str(option.get("label") or ""))
        title = html.escape(str(option.get("title") or option.get("label") or ""), quote=True)
        cells.append(
            f'<td style="padding:2px"><a href="{html.escape(url, quote=True)}" title="{title}" '
            f'aria-label="{title}" style="display:inline-block;min-width:28px;padding:8px 6px;'
            f"background:{colour};color:{on};text-decoration:none;border-radius:4px;text-align:center;"
            f'font-weight:600">{label}</a></td>'
        )
    question = html.escape(str(block.get("question") or ""))
    ends = ""
    if block.get("low") or block.get("high"):
        ends = (
            '<table role="presentation" width="100%" style="font-size:12px;color:#4b5563"><tr>'
            f'<td align="left">{html.escape(str(block.get("low") or ""))}</td>'
            f'<td align="right">{html.escape(str(block.get("high") or ""))}</td></tr></table>'
        )
    whole = _web_url(str(block.get("url") or ""))
    open_label = _("Open the survey")
    link = (
        f'<p style="margin:12px 0 0"><a href="{html.escape(whole, quote=True)}" style="color:{colour}">'
        f"{html.escape(open_label)}</a></p>"
        if whole
        else ""
    )
    return (
        '<div class="ld-choices" style="margin:16px 0">'
        f'<p style="font-weight:600;margin:0 0 8px">{question}</p>'
        f'<table role="presentation" style="border-collapse:collapse"><tr>{"".join(cells)}</tr></table>'
        f"{ends}{link}</div>"
    )


def _block_text(block: Mapping[str, Any]) -> str:
    """A block in the plain-text part: the question and one line per answer with its link."""
    if block.get("kind") == picks_block.KIND:
        return picks_block.block_text(block)
    if block.get("kind") != "choices":
        return ""
    lines = [str(block.get("question") or "")]
    for option in block.get("options") or ():
        title = option.get("title") or option.get("label")
        lines.append(f"{title}: {option.get('url')}")
    if block.get("url"):
        open_label = _("Open the survey")
        lines.append(f"{open_label}: {block.get('url')}")
    return "\n".join(lines)


def _short(
    template: MessageTemplate,
    channel: Channel,
    values: Mapping[str, Any],
    marketing: bool,
    blocks: Sequence[Mapping[str, Any]] = (),
) -> RenderedMessage:
    title = _line(fill(template.subject or "", values))
    text = " ".join(fill(template.body or "", values).split())
    url = _web_url(fill(template.button_url or "", values).strip())
    block_url = next((u for block in blocks if (u := _web_url(str(block.get("url") or "")))), None)
    url = url or block_url  # a survey on a short channel: its link, in place of a button
    if channel is Channel.SMS:
        # An SMS has no button: the survey's link ends the text, never cut.
        text = _sms(text, marketing, suffix=f" {block_url}" if block_url else "")
    else:
        text = _cut(text, PUSH_MAX if channel is Channel.PUSH else WIDGET_MAX)
    return RenderedMessage(subject=title, text=text, url=url)


def _sms(text: str, marketing: bool, suffix: str = "") -> str:
    if marketing and "stop" not in text.lower():
        suffix += " " + _("Reply STOP to opt out.")
    whole = text + suffix
    per_segment = 153 if _GSM.match(whole) else 67  # concatenated GSM-7 / UCS-2 segments
    return _cut(text, per_segment * SMS_SEGMENTS - len(suffix)) + suffix


def _cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, cut at a word with an ellipsis when it must be."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _line(text: str) -> str:
    return " ".join(text.split())


def _web_url(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) else None
