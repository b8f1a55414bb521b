"""The store's email frame in MJML: one column, mobile-friendly; a header with the logo (or the store's
name) on the brand colour, the preheader, the body, one button when the message has one, and a footer
with the store's postal address, "Unsubscribe" and "Message preferences". Compiled with mjml-python, CSS
inlined with css-inline. Pure.

Compiling is fast (well under a millisecond for the frame, measured) but the frame is the same for every
recipient of a store and template shape, so the compiled HTML is cached by its MJML source, with markers
(``LDX...X``) where each message's own parts go; a template's own MJML (the full override) is cached the
same way, with its variables as markers.
"""

from __future__ import annotations

import functools
import html
import re

import css_inline
import mjml

# Markers of the frame's per-message parts.
BODY, PREHEADER, SUBJECT, BUTTON_LABEL, BUTTON_URL, UNSUBSCRIBE, PREFERENCES = (
    "LDXBODYX", "LDXPREHEADERX", "LDXSUBJECTX", "LDXBUTTONLABELX", "LDXBUTTONURLX", "LDXUNSUBX", "LDXPREFSX"
)  # fmt: skip
MARKERS = re.compile(r"LDX(BODY|PREHEADER|SUBJECT|BUTTONLABEL|BUTTONURL|UNSUB|PREFS)X")

KNOWN_TAGS = frozenset({
     "mjml", "mj-head", "mj-body", "mj-attributes", "mj-all", "mj-class", "mj-breakpoint", "mj-font",
     "mj-html-attributes", "mj-html-attribute", "mj-selector", "mj-preview", "mj-style", "mj-title",
     "mj-accordion", "mj-accordion-element", "mj-accordion-title", "mj-accordion-text", "mj-button",
     "mj-carousel", "mj-carousel-image", "mj-column", "mj-divider", "mj-group", "mj-hero", "mj-image",
     "mj-navbar", "mj-navbar-link", "mj-raw", "mj-section", "mj-social", "mj-social-element", "mj-spacer",
     "mj-table", "mj-text", "mj-wrapper",
})  # fmt: skip
_TAG = re.compile(r"<\s*(mj[a-z-]*)", re.IGNORECASE)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#1f5fbf"
FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def colour(value: str | None) -> str:
    return value if value and _COLOUR.match(value) else DEFAULT_COLOUR


def text_colour_on(background: str) -> str:
    """White or near-black, whichever reads better on ``background`` (WCAG relative luminance)."""
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#ffffff" if (1.05 / (luminance + 0.05)) >= ((luminance + 0.05) / 0.05) else "#111827"


def frame_source(
    *,
    store_name: str,
    brand_colour: str,
    logo_url: str,
    postal_address: str,
    with_button: bool,
    language: str,
    unsubscribe_label: str,
    preferences_label: str,
) -> str:
    """The MJML of the store's frame, with markers for the message's parts."""
    brand = colour(brand_colour)
    on_brand = text_colour_on(brand)
    name = html.escape(store_name)
    if logo_url.startswith(("https://", "http://")):
        header = (
            f'<mj-image src="{html.escape(logo_url, quote=True)}" alt="{name}" width="160px" '
            'align="left" padding="8px 24px" />'
        )
    else:
        header = (
            f'<mj-text color="{on_brand}" font-size="20px" font-weight="700" padding="8px 24px">{name}'
            "</mj-text>"
        )
    button = (
        f'<mj-button href="{BUTTON_URL}" background-color="{brand}" color="{on_brand}" font-size="16px" '
        'font-weight="600" border-radius="6px" inner-padding="12px 24px" align="left" '
        f'padding="8px 24px 16px">{BUTTON_LABEL}</mj-button>'
        if with_button
        else ""
    )
    address = "<br />".join(html.escape(line.strip()) for line in postal_address.splitlines() if line.strip())
    return f"""<mjml lang="{html.escape(language, quote=True)}">
<mj-head>
<mj-title>{SUBJECT}</mj-title>
<mj-preview>{PREHEADER}</mj-preview>
<mj-attributes><mj-all font-family="{FONT}" /><mj-text font-size="16px" line-height="1.55" color="#1f2933" /></mj-attributes>
<mj-style>
.ld-body p {{ margin: 0 0 16px; }}
.ld-body a {{ color: {brand}; }}
.ld-body h1, .ld-body h2, .ld-body h3 {{ font-size: 22px; line-height: 1.3; margin: 0 0 12px; }}
.ld-body img {{ max-width: 100%; height: auto; }}
.ld-body ul, .ld-body ol {{ margin: 0 0 16px; padding-left: 22px; }}
.ld-footer a {{ color: #3e4c59; text-decoration: underline; }}
</mj-style>
</mj-head>
<mj-body width="600px" background-color="#f3f4f6">
<mj-section background-color="{brand}" padding="12px 0"><mj-column>{header}</mj-column></mj-section>
<mj-section background-color="#ffffff" padding="24px 0 8px"><mj-column>
<mj-text css-class="ld-body" padding="0 24px">{BODY}</mj-text>
{button}
</mj-column></mj-section>
<mj-section padding="16px 0 28px"><mj-column>
<mj-text css-class="ld-footer" font-size="13px" line-height="1.5" color="#3e4c59" align="center" padding="0 24px">
{name}{"<br />" + address if address else ""}<br /><br />
<a href="{UNSUBSCRIBE}">{html.escape(unsubscribe_label)}</a> &#183; <a href="{PREFERENCES}">{html.escape(preferences_label)}</a>
</mj-text>
</mj-column></mj-section>
</mj-body>
</mjml>"""  # noqa: E501


@functools.lru_cache(maxsize=256)
def compile_mjml(source: str) -> str:
    """HTML of ``source`` (cached by the source); ``ValueError`` naming what is wrong."""
    check_mjml(source)
    return mjml.mjml2html(source, disable_comments=False, fonts={}, include_loader=_no_includes)


def inline_css(document: str) -> str:
    """The styles moved onto the elements (mail clients drop ``<style>``); media queries stay."""
    return _inliner.inline(document)


def check_mjml(source: str) -> None:
    """``ValueError`` unless ``source`` is an MJML document mjml-python compiles, made of known
    components (a misspelt tag would silently vanish) and without ``mj-include`` (no files are read)."""
    if not source.strip().startswith("<mjml"):
        raise ValueError("an MJML document starts with <mjml>")
    for match in _TAG.finditer(source):
        tag = match.group(1).lower()
        if tag == "mj-include":
            raise ValueError("mj-include is not allowed: put everything in the template")
        if tag not in KNOWN_TAGS:
            raise ValueError(f"unknown MJML component <{tag}>")
    try:
        mjml.mjml2html(source, fonts={}, include_loader=_no_includes)
    except (ValueError, RuntimeError) as error:
        raise ValueError(f"MJML does not compile: {error}") from None


def _no_includes(path: str) -> str:
    raise ValueError("mj-include is not allowed")
