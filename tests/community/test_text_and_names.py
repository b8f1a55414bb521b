"""What people type: hostile Markdown is stored as typed and rendered harmless; display names are never
the email, default to first name and last initial, and are checked when chosen."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from loyaldesk import community
from loyaldesk.community import CommunitySettingsIn
from loyaldesk.community.models import Post, Thread
from loyaldesk.community.rules.markdown import render_body
from loyaldesk.community.rules.words import default_display_name, find_banned_word
from loyaldesk.kernel.errors import Invalid
from tests.community.conftest import Forum

HOSTILE = """# Title

<script>alert('x')</script>
<img src=x onerror="alert(1)">
<a href="javascript:alert(2)">raw link</a>
[click](javascript:alert(3))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==)
![pic](https://evil.example/track.gif)
<iframe src="https://evil.example"></iframe>
<div style="position:fixed" onclick="steal()">raw html</div>
[ok](https://shop.example/beans "t") and **bold**
<svg onload=alert(5)>"""

SAFE_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}


class _Markup(HTMLParser):
    """Every element and attribute of an HTML fragment (escaped text is text, not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_harmless(html: str) -> None:
    """Only the safe elements; links only with an http(s)/mailto href and the community's rel; no other
    attribute at all (no event handler, style or src)."""
    parser = _Markup()
    parser.feed(html)
    for tag, attributes in parser.tags:
        assert tag in SAFE_TAGS, (tag, html)
        if tag == "a":
            assert set(attributes) <= {"href", "rel"}, attributes
            assert (attributes.get("href") or "").startswith(("https://", "http://", "mailto:")), attributes
            assert attributes.get("rel") == "nofollow ugc noopener noreferrer"
        elif tag == "ol":
            assert set(attributes) <= {"start"}
        else:
            assert attributes == {}, (tag, attributes)


def test_hostile_markdown_is_stored_as_typed_and_renders_nothing_dangerous(forum: Forum) -> None:
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Hostile",
        body=HOSTILE,
        customer_id=forum.people["ann"],
    )
    post_id = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body=HOSTILE,
        customer_id=forum.people["bob"],
    )
    with forum.db.read() as session:
        stored = session.execute(
            select(Thread.body, Post.body).join(Post, Post.thread_id == Thread.id).where(Post.id == post_id)
        ).one()
        view = community.thread(session, store_id=forum.store.id, thread_id=thread_id)
        listed = community.threads(session, store_id=forum.store.id, space_kind="discussions")
    assert stored == (HOSTILE, HOSTILE)  # as typed
    for html in (view.body_html, view.posts[0].body_html):
        assert_harmless(html)
        assert '<a href="https://shop.example/beans" rel="nofollow ugc noopener noreferrer">ok</a>' in html
        assert "<strong>bold</strong>" in html
        assert "&lt;script&gt;" in html  # shown as text
    assert listed[0].snippet.startswith("# Title <script>")  # plain text: pages escape it like any text


@pytest.mark.parametrize(
    "source",
    [
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "<a href='https://a.example' onmouseover='x()'>a</a>",
        "<<script>script>alert(1)<</script>/script>",
        "```\n<script>alert(1)</script>\n```",
    ],
)
def test_other_tricks_render_harmless(source: str) -> None:
    assert_harmless(render_body(source))


def test_display_names_default_to_first_name_and_initial_never_the_email(forum: Forum) -> None:
    assert default_display_name("Anna", "Kowalski") == "Anna K."
    assert default_display_name("  Anna ", None) == "Anna"
    assert default_display_name(None, "Kowalski") == "Member"
    assert default_display_name("Anna", "K", erased=True) == "Deleted member"
    ivy = forum.people["ivy"]
    with forum.db.read() as session:
        assert community.display_name(session, store_id=forum.store.id, customer_id=ivy) == "Ivy T."
    forum.write(
        community.set_display_name, store_id=forum.store.id, customer_id=ivy, display_name="  Coffee   Ivy "
    )
    with forum.db.read() as session:
        assert community.display_name(session, store_id=forum.store.id, customer_id=ivy) == "Coffee Ivy"
    forum.write(community.set_display_name, store_id=forum.store.id, customer_id=ivy, display_name="")
    with forum.db.read() as session:
        assert community.display_name(session, store_id=forum.store.id, customer_id=ivy) == "Ivy T."


@pytest.mark.parametrize(
    "name",
    ["x", "y" * 41, "ivy@example.com", "Admin", "staff", "<b>Ivy</b>", "Ivy; DROP", "Scam Queen"],
)
def test_bad_display_names_are_refused_naming_the_field(forum: Forum, name: str) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(banned_words=["scam"]),
    )
    with pytest.raises(Invalid) as refused:
        forum.write(
            community.set_display_name,
            store_id=forum.store.id,
            customer_id=forum.people["ivy"],
            display_name=name,
        )
    assert [problem.field for problem in refused.value.problems] == ["display_name"]
    with forum.db.read() as session:
        assert (
            community.display_name(session, store_id=forum.store.id, customer_id=forum.people["ivy"])
            == "Ivy T."
        )


@pytest.mark.parametrize(
    ("text", "words", "found"),
    [
        ("What a SCAM!", ["scam"], "scam"),
        ("scampi", ["scam"], None),
        ("a scam-artist", ["scam"], "scam"),
        ("Crème brûlée", ["brûlée"], "brûlée"),
        ("brûléee", ["brûlée"], None),
        ("total\nrip   off", ["rip off"], "rip off"),
        ("nothing here", [], None),
        ("dots.in.words", ["in"], "in"),
    ],
)
def test_banned_words_match_whole_words_in_any_case(text: str, words: list[str], found: str | None) -> None:
    assert find_banned_word(text, words) == found
