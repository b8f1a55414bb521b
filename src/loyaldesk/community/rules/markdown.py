"""Community bodies in Markdown, rendered by the chat's sanitising renderer
(``support.render_message_html``: CommonMark with raw HTML off, nh3 to a small allow-list, no images,
only http/https/mailto links), then cleaned once more here to give links the rel a public forum needs
(``nofollow ugc noopener noreferrer``: search engines do not credit links members post). Pure."""

from __future__ import annotations

import functools
import html

import nh3

from loyaldesk.support import render_message_html

LINK_REL = "nofollow ugc noopener noreferrer"
_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
_cleaner = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"*": set(), "a": {"href"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    link_rel=LINK_REL,
    url_relative="deny",
)


@functools.lru_cache(maxsize=1024)
def render_body(source: str) -> str:
    """Safe HTML for a community body typed in Markdown: no raw HTML, scripts, event handlers, images,
    styles, ``javascript:`` or ``data:`` URLs; links carry ``rel="nofollow ugc noopener noreferrer"``."""
    return _cleaner.clean(render_message_html(source)).strip()


def snippet(source: str, length: int = 160) -> str:
    """The body's first words as plain text, at most ``length`` characters."""
    text = " ".join(nh3.clean(render_body(source), tags=set()).split())
    text = html.unescape(text)
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"
