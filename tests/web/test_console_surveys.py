"""The survey builder in the console, driven through its forms as a browser would: a new survey from a
kind (its default questions), questions added, moved and removed without JSON, a condition, a refusal
shown beside its field with nothing stored, switching on and closing, the list, and the preview."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.feedback import Survey
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle, login, make_staff, table_counts
from tests.web.survey_fixtures import invite, make_customer


class FormReader(HTMLParser):
    """The fields of the page's survey form, as a browser would send them (no button)."""

    def __init__(self, form_class: str = "survey-builder") -> None:
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and self.form_class in a.get("class", ""):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit",):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = a.get("name"), None, False
        elif tag == "option" and self.select:
            if self.select_first is None:
                self.select_first = a.get("value", "")
            if "selected" in a and not self.select_chosen:
                self.values.append((self.select, a.get("value", "")))
                self.select_chosen = True
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.select_chosen:
                self.values.append((self.select, self.select_first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.values.append((self.textarea, self.text))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data


def read_form(html: str) -> dict[str, Any]:
    reader = FormReader()
    reader.feed(html)
    return dict(reader.values)


def manager(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str = "admin"
) -> None:
    login(client, make_staff(db, store, role, password_hash))


def test_a_manager_builds_a_survey_without_json(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    manager(client, db, store, password_hash)
    new = client.get("/console/acme/feedback/surveys/new?kind=nps")
    assert new.status_code == 200
    form = read_form(new.text)
    assert form["q0_type"] == "nps" and form["q0_text_en"].startswith("How likely are you to recommend us")
    assert form["question_count"] == "3" and form["q2_show_question"] == "score"
    # Add a single-choice question, give it words and answers, move it up, and show it only to detractors.
    form.update(name="After delivery", new_type="single", editor="add")
    added = client.post("/console/acme/feedback/surveys", data=form)
    assert added.status_code == 200 and 'id="question-3"' in added.text
    form = read_form(added.text)
    assert form["q3_type"] == "single" and form["question_count"] == "4"
    form.update(q3_text_en="What went wrong?", q3_options_en="Late\nDamaged\nWrong item", q3_required="yes")
    form.update(q3_show_question="score", q3_show_op="lte", q3_show_value="6", editor="up:3")
    moved = client.post("/console/acme/feedback/surveys", data=form)
    form = read_form(moved.text)
    assert form["q2_text_en"] == "What went wrong?" and form["q3_id"] == "improve"
    removed = client.post("/console/acme/feedback/surveys", data={**form, "editor": "remove:3"})
    form = read_form(removed.text)
    assert form["question_count"] == "3"
    form.update(trigger_kind="event", trigger_event="order.delivered", trigger_delay_days="5", editor="save")
    saved = client.post("/console/acme/feedback/surveys", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    with db.read() as session:
        survey = session.scalar(select(Survey).where(Survey.name == "After delivery"))
        assert survey is not None and survey.status == "draft" and survey.kind == "nps"
        assert survey.trigger == {"kind": "event", "event": "order.delivered", "delay_days": 5}
        wrong = survey.questions[2]
        assert wrong["type"] == "single" and wrong["required"] is True
        assert [o["text"]["en"] for o in wrong["options"]] == ["Late", "Damaged", "Wrong item"]
        assert wrong["show_if"] == {"question": "score", "op": "lte", "value": 6}
        survey_id = survey.id
    page = client.get(saved.headers["location"])
    assert "Saved After delivery." in page.text
    # Switched on, it shows in the list as active with when it asks; then closed.
    on = client.post(
        f"/console/acme/feedback/surveys/{survey_id}/status",
        data={"status": "active", "csrf_token": read_form(page.text)["csrf_token"]},
        follow_redirects=False,
    )
    assert on.status_code == 303
    listing = client.get("/console/acme/feedback/surveys")
    assert "After delivery" in listing.text and "5 days after: an order was delivered" in listing.text
    with db.read() as session:
        assert session.get(Survey, survey_id).status == "active"  # type: ignore[union-attr]
        assert session.get(Survey, survey_id).rule_id is not None  # type: ignore[union-attr]


def test_a_refusal_is_shown_beside_its_field_and_nothing_is_stored(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    manager(client, db, store, password_hash)
    form = read_form(client.get("/console/acme/feedback/surveys/new?kind=custom").text)
    form = read_form(
        client.post(
            "/console/acme/feedback/surveys", data={**form, "new_type": "single", "editor": "add"}
        ).text
    )
    last = int(form["question_count"]) - 1
    before = table_counts(db, "feedback_surveys")
    form.update(
        {f"q{last}_text_en": "Pick one", f"q{last}_options_en": "Only one", "editor": "save", "name": "Mine"}
    )
    refused = client.post("/console/acme/feedback/surveys", data=form)
    assert refused.status_code == 422
    assert f'id="f-q{last}_options_en-error">2 to 20 options</p>' in refused.text
    assert "Nothing was saved." in refused.text
    form.update({f"q{last}_options_en": "One\nTwo", "trigger_kind": "event", "trigger_delay_days": "400"})
    late = client.post("/console/acme/feedback/surveys", data=form)
    assert (
        late.status_code == 422
        and 'id="f-trigger_delay_days-error">a whole number of days from 0 to 90</p>' in late.text
    )
    assert table_counts(db, "feedback_surveys") == before


def test_who_may_see_and_change_and_the_preview(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    with db.read() as session:
        survey = session.scalars(
            select(Survey).where(Survey.store_id == store.id, Survey.kind == "nps")
        ).first()
        assert survey is not None  # a default survey every store has
        survey_id = survey.id
    invite(db, store, survey_id, make_customer(db, store))
    manager(client, db, store, password_hash, role="analyst")
    listing = client.get("/console/acme/feedback/surveys")
    assert listing.status_code == 200 and "New survey" not in listing.text
    page = client.get(f"/console/acme/feedback/surveys/{survey_id}")
    assert page.status_code == 200 and 'value="save"' not in page.text
    refused = client.post(
        f"/console/acme/feedback/surveys/{survey_id}/status",
        data={"status": "closed", "csrf_token": read_form(page.text)["csrf_token"]},
    )
    assert refused.status_code == 403
    preview = client.get(f"/console/acme/feedback/surveys/{survey_id}/preview?lang=de")
    assert preview.status_code == 200
    assert (
        "Wie wahrscheinlich ist es" in preview.text
        and "Vorschau: Antworten werden nicht gesendet." in preview.text
    )
    assert 'href="/survey-theme/acme.css"' in preview.text and "Antworten senden" not in preview.text
    assert "form-action 'none'" in preview.headers["content-security-policy"]
