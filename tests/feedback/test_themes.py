"""Themes in the domain: built-in themes for every store, a comment tagged on arrival (a real answer
through ``submit_answers`` and the event dispatcher), a person's themes kept, corrections asking for one
retraining per burst, the job training a store model that changes the next prediction, a failed training
keeping the previous model, a store-made theme waiting for its labels, and suggested themes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from loyaldesk.customers import CustomerRef, resolve_customers
from loyaldesk.feedback import submit_answers, themes
from loyaldesk.feedback.models import (
    ResponseTheme,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    Theme,
    ThemeModel,
)
from loyaldesk.feedback.themes import jobs as theme_jobs
from loyaldesk.feedback.themes.defaults import DEFAULT_THEME_KEYS
from loyaldesk.kernel.actors import SYSTEM, Actor
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from loyaldesk.stores.actions import create_store
from tests.factories import StoreHandle, make_store

SURVEY_NAME = "Themes test: a score and a comment"
QUESTIONS = [
    {"id": "score", "type": "scale", "min": 1, "max": 5, "required": True, "text": {"en": "How was it?"}},
    {"id": "comment", "type": "text", "required": False, "text": {"en": "Tell us more"}},
]


def survey_for(db: Database, store_id: int) -> int:
    def create(uow):  # type: ignore[no-untyped-def]
        survey = Survey(
            store_id=store_id,
            kind="csat",
            name=SURVEY_NAME,
            status="active",
            questions=QUESTIONS,
            languages=["en"],
            trigger={"kind": "api"},
            channel="email",
            created_at=uow.now(),
            updated_at=uow.now(),
        )
        uow.session.add(survey)
        uow.session.flush()
        return survey.id

    return db.write(create)


def answer(db: Database, store_id: int, comment: str | None, *, score: int = 2, customer: str = "c-1") -> int:
    """A customer's real answer to a survey invitation (through ``submit_answers``), its events handled
    by the registered handlers; returns the answer's id."""
    with db.read() as session:
        survey_id = session.scalar(
            select(func.min(Survey.id)).where(Survey.store_id == store_id, Survey.name == SURVEY_NAME)
        )
    if survey_id is None:
        survey_id = survey_for(db, store_id)

    def respond(uow):  # type: ignore[no-untyped-def]
        [customer_id] = resolve_customers(uow, store_id, [CustomerRef(external_id=customer)], source="api")
        invitation = SurveyInvitation(
            store_id=store_id,
            survey_id=survey_id,
            customer_id=customer_id,
            channel="email",
            token=uuid.uuid4().hex,
            status="asked",
            product_ids=[],
            idempotency_key=uuid.uuid4().hex,
            asked_at=uow.now(),
            expires_at=uow.now() + timedelta(days=30),
        )
        uow.session.add(invitation)
        uow.session.flush()
        answers: dict[str, object] = {"score": score}
        if comment is not None:
            answers["comment"] = comment
        return submit_answers(uow, invitation, answers).id

    response_id = db.write(respond)
    dispatch_until_idle(db)
    return response_id


def theme_keys_of(db: Database, response_id: int) -> dict[str, str]:
    """key -> source of the themes an answer carries."""
    with db.read() as session:
        rows = session.execute(
            select(Theme.key, ResponseTheme.source)
            .join(Theme, Theme.id == ResponseTheme.theme_id)
            .where(ResponseTheme.response_id == response_id, ResponseTheme.present.is_(True))
        ).all()
    return {key: source for key, source in rows}


def theme_id(db: Database, store_id: int, key: str) -> int:
    with db.read() as session:
        found = session.scalar(select(Theme.id).where(Theme.store_id == store_id, Theme.key == key))
    assert found is not None
    return int(found)


@pytest.fixture
def store(db: Database) -> StoreHandle:
    return make_store(db)


def test_every_new_store_gets_the_retail_themes(db: Database, store: StoreHandle) -> None:
    with db.read() as session:
        keys = set(
            session.scalars(select(Theme.key).where(Theme.store_id == store.id, Theme.builtin.is_(True)))
        )
    assert keys == set(DEFAULT_THEME_KEYS)
    assert len(DEFAULT_THEME_KEYS) == 13
    assert db.write(themes.ensure_default_themes, store.id) == []  # idempotent


def test_a_comment_is_tagged_on_arrival_and_a_bare_score_is_not(db: Database, store: StoreHandle) -> None:
    late = answer(db, store.id, "My parcel arrived ten days late.")
    assert theme_keys_of(db, late) == {"delivery": "model"}
    both = answer(db, store.id, "The vase came smashed to pieces and I am still waiting for my refund.")
    assert {"damaged_item", "returns_refunds"} <= set(theme_keys_of(db, both))
    bare = answer(db, store.id, None, score=5)
    assert theme_keys_of(db, bare) == {}
    with db.read() as session:
        tagged = session.get(SurveyResponse, late)
        assert tagged is not None and tagged.themes_tagged_at is not None
        assert session.get(SurveyResponse, bare).themes_tagged_at is None  # type: ignore[union-attr]


def test_tagging_again_keeps_a_persons_themes_and_is_idempotent(db: Database, store: StoreHandle) -> None:
    response_id = answer(db, store.id, "Delivery was late again, the courier is hopeless.")
    payment = theme_id(db, store.id, "payment")
    delivery = theme_id(db, store.id, "delivery")
    db.write(themes.correct_themes, store.actor, store.id, response_id, [payment])

    def retag(uow):  # type: ignore[no-untyped-def]
        return themes.tag_response(uow, uow.session.get(SurveyResponse, response_id))

    assert db.write(retag) == [payment]  # delivery was removed by a person: the model never re-adds it
    assert db.write(retag) == [payment]
    with db.read() as session:
        removed = session.get(ResponseTheme, (response_id, delivery))
        assert removed is not None and removed.source == "agent" and removed.present is False


def test_a_theme_switched_off_is_not_tagged(db: Database, store: StoreHandle) -> None:
    delivery = theme_id(db, store.id, "delivery")
    db.write(themes.update_theme, store.actor, store.id, delivery, {"enabled": False})
    response_id = answer(db, store.id, "My parcel arrived ten days late and the tracking never updated.")
    assert "delivery" not in theme_keys_of(db, response_id)


def test_stores_made_before_themes_get_them_on_first_use(db: Database) -> None:
    def bare_store(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.composition import store_setup_steps
        from loyaldesk.stores.setup_steps import set_store_setup_steps

        set_store_setup_steps([])
        try:
            return create_store(uow, SYSTEM, slug="older", name="Older", currency="EUR").id
        finally:
            set_store_setup_steps(store_setup_steps())

    store_id = db.write(bare_store)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Theme).where(Theme.store_id == store_id)) == 0
    response_id = answer(db, store_id, "Points never showed up on my loyalty account after my order.")
    assert theme_keys_of(db, response_id) == {"loyalty_program": "model"}


def test_corrections_are_checked_and_a_burst_costs_one_training(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    response_id = answer(db, store.id, "Too much plastic in the box.")
    packaging = theme_id(db, store.id, "packaging")
    with pytest.raises(Invalid) as refused:
        db.write(themes.correct_themes, store.actor, store.id, response_id, [packaging, 2**40])
    assert refused.value.problems[0].field == "theme_ids"
    other = make_store(db, "rival")
    with pytest.raises(NotFound):
        db.write(themes.correct_themes, other.actor, other.id, response_id, [])
    stranger = Actor(kind="api_key", id=1, store_id=store.id, label="k", scopes=frozenset({"feedback:read"}))
    with pytest.raises(PermissionDenied):
        db.write(themes.correct_themes, stranger, store.id, response_id, [])
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ThemeModel)) == 0  # nothing stored
    for chosen in ([packaging], [packaging, theme_id(db, store.id, "price_value")], [packaging]):
        db.write(themes.correct_themes, store.actor, store.id, response_id, chosen)
        clock.advance(timedelta(seconds=5))
    with db.read() as session:
        requests = session.scalars(select(ThemeModel).where(ThemeModel.store_id == store.id)).all()
    assert [row.status for row in requests] == ["requested"]
    assert theme_jobs.run_due_theme_training(db) == 0  # due a minute after the first correction
    clock.advance(timedelta(seconds=50))
    assert theme_jobs.run_due_theme_training(db) == 1
    assert theme_jobs.run_due_theme_training(db) == 0
    with db.read() as session:
        state = themes.model_state(session, store.id)
    assert state.version == 1 and not state.uses_default and state.macro_f1 is not None


def test_a_store_theme_is_learnt_from_its_labels_and_changes_the_next_prediction(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    gift = db.write(themes.create_theme, store.actor, store.id, name="Gift wrap").id
    comments = [
        "Please offer gift wrapping for presents.",
        "The gift wrap option was lovely, ribbon and a card.",
        "I wanted it gift wrapped but there was no option to add wrapping.",
        "Gift wrapping paper was torn and the bow was missing.",
        "Could you wrap gifts for Christmas? I'd pay for gift wrap.",
        "Loved that it came gift wrapped with a little tag.",
    ]
    ids = [answer(db, store.id, text, customer=f"g-{i}") for i, text in enumerate(comments)]
    with db.read() as session:
        view = next(v for v in themes.themes_overview(session, store.id, clock.now()) if v.id == gift)
    assert view.labels_needed == 5 and not view.predicted
    for response_id in ids[:4]:
        db.write(themes.correct_themes, store.actor, store.id, response_id, [gift])
    clock.advance(timedelta(minutes=2))
    theme_jobs.run_due_theme_training(db)
    with db.read() as session:
        view = next(v for v in themes.themes_overview(session, store.id, clock.now()) if v.id == gift)
        state = themes.model_state(session, store.id)
    assert view.labels_needed == 1 and not view.predicted and state.version == 1
    assert state.per_theme and "gift_wrap" not in state.per_theme
    db.write(themes.correct_themes, store.actor, store.id, ids[4], [gift])
    clock.advance(timedelta(minutes=2))
    theme_jobs.run_due_theme_training(db)
    with db.read() as session:
        view = next(v for v in themes.themes_overview(session, store.id, clock.now()) if v.id == gift)
    assert view.predicted and view.labels_needed == 0 and view.f1 is not None
    fresh = answer(
        db, store.id, "Is gift wrapping available? I want it wrapped as a present.", customer="g-new"
    )
    assert "gift_wrap" in theme_keys_of(db, fresh)


def test_a_failed_training_keeps_the_previous_model(
    db: Database, store: StoreHandle, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.write(themes.retrain_themes_now, store.actor, store.id)
    assert theme_jobs.run_due_theme_training(db) == 1

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("out of memory")

    monkeypatch.setattr(theme_jobs, "train_theme_classifier", broken)
    db.write(themes.retrain_themes_now, store.actor, store.id)
    assert theme_jobs.run_due_theme_training(db) == 1
    with db.read() as session:
        state = themes.model_state(session, store.id)
    assert state.version == 1 and state.status == "failed" and "out of memory" in (state.failure or "")
    response_id = answer(db, store.id, "The jumper runs really small, had to size up twice.")
    assert "sizing_fit" in theme_keys_of(db, response_id)


def test_suggestions_come_from_comments_no_theme_fits(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    for index, text in enumerate(
        [
            "Would love an engraving service for the watches.",
            "Can you add engraving service? My initials on the lid would be perfect.",
            "The engraving service you offered last year was great, bring it back.",
            "My parcel arrived late.",
        ]
    ):
        answer(db, store.id, text, customer=f"s-{index}")
    with db.read() as session:
        found = themes.theme_suggestions(session, store.id, clock.now())
    assert found and found[0].phrase == "engraving service"
    assert found[0].comment_count == 3 and len(found[0].examples) == 3


def test_the_owning_team_of_an_answer_and_the_choices_for_its_page(db: Database, store: StoreHandle) -> None:
    from loyaldesk.support import save_team

    logistics = db.write(save_team, store.actor, store.id, name="Logistics").id
    billing = db.write(save_team, store.actor, store.id, name="Billing").id
    delivery, payment = theme_id(db, store.id, "delivery"), theme_id(db, store.id, "payment")
    db.write(themes.update_theme, store.actor, store.id, delivery, {"owner_team_id": logistics})
    db.write(themes.update_theme, store.actor, store.id, payment, {"owner_team_id": billing})
    response_id = answer(db, store.id, "My parcel arrived ten days late.")
    with db.read() as session:
        assert themes.owner_team_of_response(session, response_id) == logistics
        choices = themes.theme_choices(session, store.id)
    assert choices[0] == (delivery, "Delivery") and len(choices) == 13
    db.write(themes.correct_themes, store.actor, store.id, response_id, [payment])
    with db.read() as session:
        assert themes.owner_team_of_response(session, response_id) == billing
    db.write(themes.correct_themes, store.actor, store.id, response_id, [])
    with db.read() as session:
        assert themes.owner_team_of_response(session, response_id) is None
