"""The community as shoppers reach it over HTTP: the member page's forms and the member API.

A question answered by a verified buyer and accepted by the asker credits the answerer once; what another
shopper wrote cannot be accepted or changed (refused, nothing stored); hostile Markdown shows as harmless
text; flooding is refused with a clear message and nothing stored; bad input names its field; authors
show their display name and badges, never their email."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from tests.factories import StoreHandle
from tests.web.community_fixtures import JACKET, Community, community_shop


@pytest.fixture
def shop(runtime: Runtime, store: StoreHandle, db: Database, clock: FakeClock) -> Community:
    return community_shop(runtime, store, db, clock)


def _location_thread(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text[:500]
    found = re.search(r"/community/threads/(\d+)\?", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def test_a_buyer_answers_the_asker_accepts_and_the_answerer_earns_the_points_once(shop: Community) -> None:
    asked = shop.form(
        "ana", "/questions", space="product_qa", product=JACKET, title="Is it warm?", body="For winter walks?"
    )
    thread_id = _location_thread(asked)
    questions = shop.page("cleo", "/questions", product=JACKET)
    assert questions.status_code == 200 and "Is it warm?" in questions.text

    answered = shop.form("bea", f"/threads/{thread_id}/answers", body="Warm enough with a fleece under it.")
    assert _location_thread(answered) == thread_id
    page = shop.page("bea", f"/threads/{thread_id}")
    assert "Warm enough with a fleece" in page.text
    assert 'data-testid="verified-buyer"' in page.text  # Bea bought the jacket
    assert "bea@example.com" not in page.text and "ana@example.com" not in page.text  # never an email
    post_id = int(re.search(r'data-post-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    assert "Accept this answer" not in page.text  # Bea did not ask
    assert "Accept this answer" in shop.page("ana", f"/threads/{thread_id}").text

    before, asker_before = shop.balance("bea")[0], shop.balance("ana")[0]
    refused = shop.form("cleo", f"/threads/{thread_id}/accept", post_id=str(post_id))
    assert refused.status_code in (403, 404) and 'data-testid="error"' in refused.text
    assert shop.balance("bea")[0] == before

    accepted = shop.form("ana", f"/threads/{thread_id}/accept", post_id=str(post_id))
    assert _location_thread(accepted) == thread_id
    points = shop.api("ana", "GET", f"/threads/{thread_id}").json()
    assert points["accepted"] and points["posts"][0]["accepted"]
    assert shop.balance("bea")[0] == before + 50  # the store's accepted-answer points (default)
    assert shop.balance("ana")[0] == asker_before + 10  # and the asker's, for an answered question
    again = shop.form("ana", f"/threads/{thread_id}/accept", post_id=str(post_id))
    assert again.status_code in (303, 409)
    assert shop.balance("bea")[0] == before + 50  # once
    assert shop.balance("ana")[0] == asker_before + 10
    member_page = shop.client.get(f"/m/acme?customer=bea&signature={shop.identity('bea')['signature']}")
    assert f'data-testid="balance">{before + 50:,}<' in member_page.text
    assert "Withdraw acceptance" not in shop.page("bea", f"/threads/{thread_id}").text
    before_refusal = shop.fingerprint()
    refused = shop.form("cleo", f"/threads/{thread_id}/unaccept")
    assert refused.status_code in (403, 404) and shop.fingerprint() == before_refusal
    assert "Withdraw acceptance" in shop.page("ana", f"/threads/{thread_id}").text
    withdrawn = shop.form("ana", f"/threads/{thread_id}/unaccept")
    assert _location_thread(withdrawn) == thread_id
    assert shop.api("ana", "GET", f"/threads/{thread_id}").json()["accepted"] is False
    assert shop.balance("bea")[0] == before + 50  # points already credited stay
    shop.assert_ledger_clean()


def test_another_shoppers_question_cannot_be_accepted_or_changed_through_the_api(shop: Community) -> None:
    thread_id = shop.ask("ana")
    post_id = shop.answer(thread_id, "bea")
    before = shop.fingerprint()
    refused = shop.api("cleo", "POST", f"/threads/{thread_id}/accept", json={"post_id": post_id})
    assert refused.status_code in (403, 404), refused.text
    assert shop.fingerprint() == before
    own_vote = shop.api("bea", "POST", f"/posts/{post_id}/votes")
    assert own_vote.status_code in (403, 409), own_vote.text
    assert shop.fingerprint() == before
    stranger = shop.client.post(
        f"/member-api/v1/acme/community/threads/{thread_id}/accept",
        json={"post_id": post_id},
        headers={"X-Customer-Id": "ana", "X-Customer-Signature": "ab" * 32},
    )
    assert stranger.status_code == 401
    assert shop.fingerprint() == before
    voted = shop.api("cleo", "POST", f"/posts/{post_id}/votes")
    assert voted.status_code == 200 and voted.json() == {"helpful_votes": 1}


def test_the_asker_withdraws_an_acceptance_through_the_api_and_no_one_else_can(shop: Community) -> None:
    thread_id = shop.ask("ana")
    post_id = shop.answer(thread_id, "bea")
    accepted = shop.api("ana", "POST", f"/threads/{thread_id}/accept", json={"post_id": post_id})
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    credited = shop.balance("bea")[0]
    before = shop.fingerprint()
    refused = shop.api("cleo", "DELETE", f"/threads/{thread_id}/accept")
    assert refused.status_code in (403, 404), refused.text
    assert shop.fingerprint() == before
    withdrawn = shop.api("ana", "DELETE", f"/threads/{thread_id}/accept")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["accepted"] is False and not withdrawn.json()["posts"][0]["accepted"]
    assert shop.balance("bea")[0] == credited  # points already credited stay
    again = shop.api("ana", "DELETE", f"/threads/{thread_id}/accept")
    assert again.status_code == 200 and again.json()["accepted"] is False
    shop.assert_ledger_clean()


HOSTILE = (
    "<script>alert('pwned')</script>\n\n"
    '<img src=x onerror="alert(1)">\n\n'
    "[click me](javascript:alert(2)) and [a shop](https://example.com)\n\n"
    '<a href="https://evil.example" onclick="steal()">raw link</a>'
)


class _Elements(HTMLParser):
    """Every element of a page with its attributes: what a browser would run or follow."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _dangers(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    dangers = []
    for tag, attributes in parser.found:
        inline_script = tag == "script" and attributes.get("src") != "/static/member.js"
        if inline_script or tag in ("iframe", "object", "embed"):
            dangers.append(tag)
        dangers += [f"{tag} {name}" for name in attributes if name.startswith("on")]
        dangers += [
            f"{tag} href"
            for name, value in attributes.items()
            if name == "href" and "javascript:" in (value or "")
        ]
        if tag == "img" and attributes.get("src") == "x":
            dangers.append("img")
    return dangers


def test_hostile_markdown_shows_as_harmless_text(shop: Community) -> None:
    thread_id = shop.ask("ana", title="<b>Bold</b> title?", body=HOSTILE)
    shop.answer(thread_id, "bea", body=HOSTILE)
    page = shop.page("cleo", f"/threads/{thread_id}")
    assert page.status_code == 200
    html = page.text
    assert _dangers(html) == []
    assert html.count("&lt;script&gt;alert") == 2  # shown as the text it is, question and answer
    assert "&lt;b&gt;Bold&lt;/b&gt; title?" in html  # titles are text, not markup
    assert re.search(r'<a href="https://example.com"[^>]*rel="[^"]*nofollow', html)
    found = shop.api("cleo", "GET", f"/threads/{thread_id}").json()
    for body_html in (found["body_html"], found["posts"][0]["body_html"]):
        assert _dangers(body_html) == [] and "&lt;script&gt;" in body_html
    assert "<script>" in found["body"]  # the source as written, for a front end to show as text


def test_flooding_is_refused_with_a_clear_message_and_nothing_stored(shop: Community) -> None:
    refused = None
    for number in range(30):
        response = shop.api(
            "cleo",
            "POST",
            "/questions",
            json={"space": "product_qa", "product_id": JACKET, "title": f"Question {number}", "body": "?"},
        )
        if response.status_code != 201:
            refused = response
            break
    assert refused is not None, "thirty questions in a row were all accepted"
    assert refused.status_code == 429, refused.text
    assert "try again" in refused.json()["error"]["message"].lower()
    stored = shop.count("community_threads")
    again = shop.form("cleo", "/questions", space="product_qa", product=JACKET, title="One more", body="?")
    assert again.status_code == 429 and 'role="alert"' in again.text and "One more" in again.text
    assert shop.count("community_threads") == stored


def test_bad_input_is_refused_naming_the_field(shop: Community) -> None:
    empty = shop.api(
        "ana", "POST", "/questions", json={"space": "product_qa", "title": "", "product_id": JACKET}
    )
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"].endswith("title")
    question = {"space": "product_qa", "title": "Hm?", "body": "Which one?", "product_id": "NOPE"}
    unknown = shop.api("ana", "POST", "/questions", json=question)
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "product_id"
    form = shop.form("ana", "/questions", space="product_qa", product="", title="Which size?", body="")
    assert form.status_code == 422 and "Product" in form.text and "Which size?" in form.text
    assert shop.count("community_threads") == 0


def test_a_display_name_replaces_the_default_and_never_the_email(shop: Community) -> None:
    thread_id = shop.ask("ana")
    saved = shop.form("ana", "/display-name", display_name="Rainy Ana")
    assert saved.status_code == 303
    assert 'value="Rainy Ana"' in shop.page("ana").text
    page = shop.page("cleo", f"/threads/{thread_id}")
    assert "Rainy Ana" in page.text and "ana@example.com" not in page.text
    listed = shop.api("cleo", "GET", "/threads", params={"space": "product_qa", "product_id": JACKET}).json()
    assert [t["author"]["display_name"] for t in listed] == ["Rainy Ana"]
    too_long = shop.api("ana", "POST", "/me/display-name", json={"display_name": "x" * 61})
    assert too_long.status_code == 422 and too_long.json()["error"]["fields"][0]["field"].endswith(
        "display_name"
    )


def test_a_report_from_the_member_page_reaches_the_queue(shop: Community) -> None:
    thread_id = shop.ask("ana")
    post_id = shop.answer(thread_id, "bea", body="Buy it from the shop next door instead.")
    reported = shop.form("cleo", f"/threads/{thread_id}/reports", post_id=str(post_id), reason="advertising")
    assert reported.status_code == 303
    assert shop.count("community_reports") == 1
    no_reason = shop.api("cleo", "POST", "/reports", json={"post_id": post_id, "reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["fields"][0]["field"].endswith("reason")


def test_a_thread_reads_without_an_identity_but_a_forged_one_is_refused(shop: Community) -> None:
    thread_id = shop.ask("ana", title="Does it pack small?")
    shop.answer(thread_id, "bea", body="Into its own pocket.")
    reader = shop.client.get(f"/m/acme/community/threads/{thread_id}")  # a notification email's link
    assert reader.status_code == 200
    assert "Into its own pocket." in reader.text and 'data-testid="verified-buyer"' in reader.text
    assert "<form" not in reader.text and "open the community from your account" in reader.text
    forged = shop.client.get(f"/m/acme/community/threads/{thread_id}?customer=ana&signature={'ab' * 32}")
    assert forged.status_code == 401 and "Into its own pocket." not in forged.text
    elsewhere = shop.client.get(f"/m/nosuchstore/community/threads/{thread_id}")
    assert elsewhere.status_code == 404
