"""The server's sanitiser of co-browsing streams: no input value, masked text, script or card number
reaches the agent, whatever the client sent; what the store lets through (the allow-list, the page's own
text) still does; masking follows nodes across the stream."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from loyaldesk.calls import MaskingPolicy, StreamSanitiser
from loyaldesk.calls.rules.cobrowse_sanitiser import mask_card_numbers, passes_luhn
from tests.calls.rrweb_stream import Page, full_snapshot, input_event, mutation, strings_of

CARD = "4111 1111 1111 1111"


def checkout(page: Page, canary: str) -> tuple[dict, dict[str, int]]:
    """A checkout page with ``canary`` in every hiding place; returns the document and the ids of note."""
    email = page.element("input", {"type": "email", "name": "email", "value": canary + "-email"})
    password = page.element(
        "input", {"type": "password", "value": canary + "-password", "data-ld-unmask": ""}
    )
    card = page.element("input", {"autocomplete": "cc-number", "value": canary + "-card"})
    hidden = page.element("input", {"type": "hidden", "value": canary + "-hidden"})
    note = page.element("textarea", {"value": canary + "-textarea"}, page.text(canary + "-textarea-text"))
    gift = page.element("input", {"type": "checkbox", "checked": True})
    country = page.element(
        "select", {"value": canary + "-select"},
        page.element("option", {"value": "de"}, page.text("Germany")),
        page.element("option", {"value": canary + "-option", "selected": True}, page.text("France")),
    )  # fmt: skip
    search = page.element("input", {"type": "search", "value": "red shoes"})
    quantity = page.element("input", {"type": "number", "value": "3"})
    allowed = page.element("div", {"data-ld-unmask": ""}, search, quantity)
    editable = page.element("div", {"contenteditable": "true"}, page.text(canary + "-editable"))
    masked = page.element(
        "p", {"class": "address ld-mask", "title": canary + "-title"}, page.text(canary + "-masked")
    )
    rr_masked = page.element("span", {"class": "rr-mask"}, page.text(canary + "-rr"))
    attr_masked = page.element(
        "span", {"data-ld-mask": "1"}, page.element("b", {}, page.text(canary + "-nested"))
    )
    unmasked_in_mask = page.element(
        "div", {"class": "ld-mask"}, page.element("em", {"data-ld-unmask": ""}, page.text("Order 1234"))
    )
    script = page.element("script", {}, page.text(f"var secret = '{canary}-script';"))
    button = page.element("button", {"onclick": f"leak('{canary}-onclick')"}, page.text("Pay now"))
    submit = page.element("input", {"type": "submit", "value": "Place order"})
    link = page.element("a", {"href": f"javascript:alert('{canary}-js')"}, page.text("Help"))
    frame_input = page.element("input", {"value": canary + "-iframe"})
    frame = page.element(
        "iframe", {"srcdoc": canary + "-srcdoc"}, page.document(page.element("html", {}, frame_input))
    )
    shadow_input = page.element("input", {"value": canary + "-shadow"}, isShadow=True)
    host = page.element("my-widget", {}, shadow_input, isShadowHost=True)
    heading = page.element("h1", {}, page.text("Checkout"))
    stray_card = page.element("p", {"data-note": CARD}, page.text(f"Card {CARD} on file"))
    body = page.element(
        "body", {}, heading, email, password, card, hidden, note, gift, country, allowed, editable, masked,
        rr_masked, attr_masked, unmasked_in_mask, script, button, submit, link, frame, host, stray_card,
    )  # fmt: skip
    document = page.document(page.element("html", {}, body))
    ids = {
        "email": email["id"],
        "search": search["id"],
        "password": password["id"],
        "masked": masked["id"],
        "editable": editable["id"],
        "body": body["id"],
        "gift": gift["id"],
        "masked_text": masked["childNodes"][0]["id"],
        "heading_text": heading["childNodes"][0]["id"],
        "frame_input": frame_input["id"],
    }
    return document, ids


def find(node: dict, node_id: int) -> dict:
    if node.get("id") == node_id:
        return node
    for child in node.get("childNodes", []):
        found = find(child, node_id)
        if found:
            return found
    return {}


def test_a_checkout_snapshot_keeps_the_page_and_drops_every_canary() -> None:
    page = Page()
    document, ids = checkout(page, "CANARY")
    events = [full_snapshot(document)]
    original = copy.deepcopy(events)
    [cleaned] = StreamSanitiser().clean(events)
    assert events == original  # the input is not changed
    assert "CANARY" not in strings_of(cleaned)
    assert "4111" not in strings_of(cleaned)
    root = cleaned["data"]["node"]
    shown = strings_of(root)
    for kept in ("Checkout", "Pay now", "Place order", "red shoes", "Germany", "France", "Order 1234"):
        assert kept in shown, kept
    assert find(root, ids["email"])["attributes"]["value"] == "*" * len("CANARY-email")  # typing shows as *
    assert "value" in find(root, ids["password"])["attributes"]  # masked even inside the allow-list
    assert "checked" not in find(root, ids["gift"])["attributes"]
    assert find(root, ids["masked_text"])["textContent"] == "*" * len("CANARY-masked")


def test_later_mutations_and_input_events_are_masked_by_what_the_snapshot_said() -> None:
    page = Page()
    document, ids = checkout(page, "CANARY")
    sanitiser = StreamSanitiser()
    sanitiser.clean([full_snapshot(document)])
    late_field = page.element("input", {"value": "CANARY-late"})
    late_text = page.text("CANARY-late-text")
    cleaned = sanitiser.clean(
        [
            input_event(ids["email"], "CANARY-typed"),
            input_event(ids["search"], "blue shoes"),  # the allow-list: the agent sees the search
            input_event(ids["password"], "CANARY-password"),
            input_event(ids["gift"], "on", is_checked=True),
            input_event(999_999, "CANARY-unknown"),
            mutation(
                adds=[
                    {"parentId": ids["body"], "nextId": None, "node": late_field},
                    {"parentId": ids["masked"], "nextId": None, "node": late_text},
                ],
                texts=[
                    {"id": ids["masked_text"], "value": "CANARY-changed"},
                    {"id": ids["heading_text"], "value": "Pay"},
                ],
                attributes=[
                    {"id": ids["email"], "attributes": {"value": "CANARY-script-set", "onfocus": "x()"}},
                    {"id": ids["frame_input"], "attributes": {"value": "CANARY-frame-typed"}},
                    # a mask is never taken off by a mutation
                    {"id": ids["masked"], "attributes": {"class": "address"}},
                ],
            ),
            mutation(texts=[{"id": ids["masked_text"], "value": "CANARY-after-unmask"}]),
            {
                "type": 3,
                "data": {"source": 11, "level": "log", "payload": ["CANARY-console"]},
                "timestamp": 4,
            },
            {"type": 5, "data": {"tag": "x", "payload": {"v": "CANARY-custom"}}, "timestamp": 5},
            {"type": 6, "data": {"plugin": "rrweb/console@1", "payload": "CANARY-plugin"}, "timestamp": 6},
            {
                "type": 3,
                "data": {"source": 1, "positions": [{"x": 1, "y": 2, "id": ids["body"], "timeOffset": 0}]},
                "timestamp": 7,
            },
            "not an event",
            {"type": 2},
            {"type": 3, "data": "nope"},
        ]
    )
    assert "CANARY" not in strings_of(cleaned)
    assert cleaned[0]["data"]["text"] == "*" * len("CANARY-typed")
    assert cleaned[1]["data"]["text"] == "blue shoes"
    assert cleaned[3]["data"]["isChecked"] is False
    changes = cleaned[5]["data"]
    assert changes["texts"][1]["value"] == "Pay"  # the page's own text passes
    assert changes["attributes"][0]["attributes"] == {
        "value": "*" * len("CANARY-script-set"),
        "onfocus": None,
    }
    assert [event["type"] for event in cleaned] == [
        3,
        3,
        3,
        3,
        3,
        3,
        3,
        3,
    ]  # log, custom, plugin, junk dropped
    assert cleaned[-1]["data"]["source"] == 1


def test_a_tampered_stream_cannot_unmask_by_mutation_or_by_skipping_the_snapshot() -> None:
    page = Page()
    document, ids = checkout(page, "CANARY")
    sanitiser = StreamSanitiser()
    sanitiser.clean([full_snapshot(document)])
    cleaned = sanitiser.clean([
        mutation(attributes=[{"id": ids["body"], "attributes": {"data-ld-unmask": ""}},
                             {"id": ids["password"], "attributes": {"type": "text"}}]),
        input_event(ids["email"], "CANARY-after-allow"),
        input_event(ids["password"], "CANARY-after-retype"),
    ])  # fmt: skip
    assert "CANARY" not in strings_of(cleaned)
    # without a snapshot every node is unknown, so masked
    fresh = StreamSanitiser().clean(
        [mutation(texts=[{"id": 5, "value": "CANARY-text"}]), input_event(6, "CANARY")]
    )
    assert "CANARY" not in strings_of(fresh)


def test_a_store_policy_names_its_own_markers() -> None:
    page = Page()
    secret = page.element("div", {"class": "private"}, page.text("CANARY"))
    document = page.document(page.element("html", {}, page.element("body", {}, secret)))
    policy = MaskingPolicy(mask_selector_classes=("private",))
    assert "CANARY" not in strings_of(StreamSanitiser(policy).clean([full_snapshot(document)]))


def test_card_numbers_are_masked_anywhere_by_the_luhn_check() -> None:
    assert passes_luhn("4111111111111111") and not passes_luhn("4111111111111112")
    assert mask_card_numbers("pay 4111-1111-1111-1111 now") == "pay ****-****-****-**** now"
    assert mask_card_numbers("5500 0000 0000 0004") == "**** **** **** ****"
    assert mask_card_numbers("order 4111111111111112") == "order 4111111111111112"  # fails Luhn
    assert mask_card_numbers("call 0049 30 1234567") == "call 0049 30 1234567"  # too short
    assert mask_card_numbers("1700000000000") == "1700000000000" or passes_luhn("1700000000000")


CANARY = st.from_regex(r"[A-Za-z]{4,12}", fullmatch=True).map(lambda word: f"QZX{word}XZQ")
PLACES = [
    "input",
    "textarea",
    "select",
    "masked",
    "editable",
    "input_event",
    "attribute_mutation",
    "added_masked",
]


@settings(max_examples=40, deadline=None)
@given(
    canary=CANARY,
    places=st.lists(st.sampled_from(PLACES), min_size=1, max_size=6),
    unmask_ancestors=st.booleans(),
)
def test_no_canary_survives_wherever_the_shopper_typed_it(
    canary: str, places: list[str], unmask_ancestors: bool
) -> None:
    page = Page()
    fields, events_after = [], []
    for place in places:
        if place in ("input", "input_event", "attribute_mutation"):
            kind = "password" if unmask_ancestors else "text"
            fields.append(page.element("input", {"type": kind, "value": canary if place == "input" else ""}))
        elif place == "textarea":
            # inside the allow-list a textarea shows, unless the store masks it
            marks = {"class": "rr-mask"} if unmask_ancestors else {}
            fields.append(page.element("textarea", {"value": canary, **marks}, page.text(canary)))
        elif place == "select":
            fields.append(
                page.element(
                    "select",
                    {"value": canary, "autocomplete": "cc-exp-month"},
                    page.element("option", {"value": canary, "selected": True}, page.text("05")),
                )
            )
        elif place in ("masked", "added_masked"):
            fields.append(
                page.element("div", {"class": "ld-mask"}, page.text(canary if place == "masked" else ""))
            )
        else:
            fields.append(page.element("p", {"contenteditable": ""}, page.text(canary)))
    container = page.element("form", {"data-ld-unmask": ""} if unmask_ancestors else {}, *fields)
    document = page.document(page.element("html", {}, page.element("body", {}, container)))
    for place, field in zip(places, fields, strict=True):
        if place == "input_event":
            events_after.append(input_event(field["id"], canary))
        elif place == "attribute_mutation":
            events_after.append(mutation(attributes=[{"id": field["id"], "attributes": {"value": canary}}]))
        elif place == "added_masked":
            events_after.append(
                mutation(adds=[{"parentId": field["id"], "nextId": None, "node": page.text(canary)}])
            )
    cleaned = StreamSanitiser().clean([full_snapshot(document), *events_after])
    assert canary not in strings_of(cleaned)


def test_an_event_nested_beyond_any_page_is_dropped_not_relayed() -> None:
    deep: dict = {"type": 3, "id": 1, "textContent": "CANARY"}
    for n in range(2, 3000):
        deep = {"type": 2, "id": n, "tagName": "div", "attributes": {}, "childNodes": [deep]}
    assert StreamSanitiser().clean([full_snapshot(deep)]) == []
