"""The survey page a customer reaches from a survey invitation: ``/s/{store}/{token}``, in the store's
colours (``/survey-theme/{store}.css``) and the customer's language.

* The token in the path is the credential: an unknown token, one of another store and an unknown store
  all answer the same 404. Strangers are limited per address (``ApiRateLimitMiddleware``).
* GET never writes (mail scanners follow links). The email's answer links carry ``?a=<value>``: the page
  shows that answer chosen and its script records it at once through the JSON API
  (``web.member.survey_api``); without scripts a "Confirm my answer" button posts the form. Each
  change is saved as the customer goes (partial answers are kept); "Send" completes.
* POST is a form post with a per-page form token (signed with the install's secret for this invitation,
  valid two days) and, when the browser sends an ``Origin``, that origin must be this server's. There is
  no cookie to ride on: a forged cross-site post would need the token, which is the credential itself;
  the form token and the origin check make the page's posts come from the page.
* Without scripts the server shows the questions that apply given the answers so far; a conditional
  question appears after "Save and continue".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from loyaldesk.feedback import SurveyInvitation, submit_answers
from loyaldesk.feedback.rules.questions import check_answers, is_complete
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.kernel.i18n import shipped_language, use_language
from loyaldesk.runtime import Runtime
from loyaldesk.stores import store_by_slug
from loyaldesk.web.console.rendering import render
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.member import survey_view as view
from loyaldesk.web.member.survey_words import problem_text, refusal_text

router = APIRouter(include_in_schema=False)

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
Token = Annotated[str, Path(min_length=1, max_length=200)]
FORM_TOKEN_SALT = "survey-page-form"
FORM_TOKEN_MAX_AGE = 2 * 24 * 3600
# The page may show the store's logo from its own site; nothing else comes from elsewhere.
SURVEY_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": SURVEY_PAGE_CSP,
    "Referrer-Policy": "no-referrer",
}


def form_token(runtime: Runtime, token: str) -> str:
    return URLSafeTimedSerializer(runtime.secret_key, salt=FORM_TOKEN_SALT).dumps(token)


def _form_token_holds(runtime: Runtime, token: str, given: str) -> bool:
    try:
        value = URLSafeTimedSerializer(runtime.secret_key, salt=FORM_TOKEN_SALT).loads(
            given, max_age=FORM_TOKEN_MAX_AGE
        )
    except BadSignature:
        return False
    return bool(value == token)


def _same_origin(request: Request, runtime: Runtime) -> bool:
    """No ``Origin`` (an old browser, a form without one) or this server's own."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.url.netloc}", runtime.settings.public_base_url.rstrip("/")}
    return origin.rstrip("/") in own


def _open(runtime: Runtime, store_slug: str, token: str) -> view.Opened:
    with runtime.database.read() as session:
        opened = view.open_by_token(session, store_slug, token)
        session.expunge_all()
    return opened


def _context(
    request: Request, runtime: Runtime, opened: view.Opened, language: str, **more: Any
) -> dict[str, Any]:
    with runtime.database.read() as session:
        brand, logo = view.brand_of(session, opened.store.id)
    return {
        "store": opened.store,
        "survey": opened.survey,
        "token": opened.invitation.token,
        "language": language,
        "shopper_language": shipped_language(language) or "en",
        "brand": brand,
        "logo_url": logo,
        **more,
    }


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    response = render(request, template, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def _not_found(request: Request) -> Response:
    language = shipped_language(request.query_params.get("lang")) or "en"
    with use_language(language):
        message = refusal_text("not_found")
    context = {"store": None, "shopper_language": language, "reason": "not_found", "message": message}
    return _page(request, "member/surveys/refused.html", context, 404)


def _refused(request: Request, runtime: Runtime, opened: view.Opened, language: str, reason: str) -> Response:
    context = _context(request, runtime, opened, language, reason=reason)
    with use_language(context["shopper_language"]):
        context["message"] = refusal_text(reason)
    # Answered twice is no failure of the customer's: thank them. Closed and expired say so.
    return _page(request, "member/surveys/refused.html", context, 200 if reason == view.ANSWERED else 409)


def render_survey(
    request: Request,
    runtime: Runtime,
    opened: view.Opened,
    language: str,
    *,
    answers: dict[str, Any],
    errors: dict[str, str] | None = None,
    record: str | None = None,
    saved: bool = False,
    status_code: int = 200,
    preview: bool = False,
) -> Response:
    """The survey's form: every question, those that do not apply (yet) hidden; ``answers`` chosen;
    ``errors`` beside their questions and in the summary; ``record`` the question whose answer (from the
    email's link) the page's script records at once."""
    survey = opened.survey
    shown = set(view.visible_ids(survey, answers))
    questions = []
    for question in view.questions_view(survey, language):
        question["shown"] = question["id"] in shown
        question["value"] = answers.get(question["id"])
        questions.append(question)
    context = _context(
        request,
        runtime,
        opened,
        language,
        questions=questions,
        errors=errors or {},
        record=record,
        saved=saved,
        preview=preview,
        form_token="" if preview else form_token(runtime, opened.invitation.token),
        action=f"/s/{opened.store.slug}/{opened.invitation.token}",
        api=f"/survey-api/v1/{opened.store.slug}/{opened.invitation.token}/answers",
    )
    return _page(request, "member/surveys/page.html", context, status_code)


@router.get("/s/{store_slug}/{token}", response_class=HTMLResponse)
def survey_page(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    token: Token,
    lang: Annotated[str | None, Query(max_length=35)] = None,
    a: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The survey. ``?a=`` chooses the first question's answer (the email's links); ``?lang=`` one of
    the survey's languages."""
    try:
        opened = _open(runtime, store_slug, token)
    except NotFound:
        return _not_found(request)
    language = view.survey_language(opened.survey, lang, opened.customer)
    reason = view.refusal(opened, runtime.clock.now())
    if reason is not None:
        return _refused(request, runtime, opened, language, reason)
    answers = dict(opened.answers)
    errors: dict[str, str] = {}
    record = None
    questions = opened.survey.questions or []
    if a is not None and questions:
        first = questions[0]
        clean, problems = check_answers(questions, {str(first["id"]): a})
        if problems:
            with use_language(shipped_language(language) or "en"):
                errors[str(first["id"])] = problem_text(first)
        elif clean:
            value = clean[str(first["id"])]
            if answers.get(str(first["id"])) != value:
                record = str(first["id"])
            answers[str(first["id"])] = value
    status = 422 if errors else 200
    return render_survey(
        request, runtime, opened, language, answers=answers, errors=errors, record=record, status_code=status
    )


@router.post("/s/{store_slug}/{token}", response_class=HTMLResponse)
async def answer_on_page(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, token: Token
) -> Response:
    """The page's form: ``action=save`` keeps what is answered and shows what applies next;
    ``action=submit`` (Send) completes, or names the questions still to answer."""
    try:
        opened = _open(runtime, store_slug, token)
    except NotFound:
        return _not_found(request)
    form = await request.form()
    language = view.survey_language(opened.survey, str(form.get("lang") or ""), opened.customer)
    ui = shipped_language(language) or "en"
    if not _same_origin(request, runtime) or not _form_token_holds(
        runtime, token, str(form.get("form_token") or "")
    ):
        context = _context(request, runtime, opened, language, reason="stale")
        with use_language(ui):
            context["message"] = refusal_text("stale")
        return _page(request, "member/surveys/refused.html", context, 403)
    reason = view.refusal(opened, runtime.clock.now())
    if reason == view.ANSWERED:  # completed as they went (each answer is saved): this is their "Send"
        return _page(request, "member/surveys/thanks.html", _context(request, runtime, opened, language))
    if reason is not None:
        return _refused(request, runtime, opened, language, reason)
    given = view.answers_from_form(opened.survey, form, form.getlist)
    clean, _problems = check_answers(opened.survey.questions or [], given)
    merged = {**opened.answers, **given, **clean}  # as given where it does not fit, to show it again
    by_id = {str(q["id"]): q for q in opened.survey.questions or []}
    if not given:
        with use_language(ui):
            errors = {"": refusal_text("empty")}
        return render_survey(
            request, runtime, opened, language, answers=merged, errors=errors, status_code=422
        )

    def save(uow: UnitOfWork) -> bool:
        invitation = uow.session.get(SurveyInvitation, opened.invitation.id)
        if invitation is None:
            raise NotFound(view.NOT_FOUND)
        return submit_answers(uow, invitation, given, language=language).complete

    try:
        complete = await runtime.database.write_async(save)
    except Invalid as invalid:
        with use_language(ui):
            errors = {
                problem.field.removeprefix("answers."): problem_text(by_id.get(problem.field[8:], {}))
                for problem in invalid.problems
            }
        return render_survey(
            request, runtime, opened, language, answers=merged, errors=errors, status_code=422
        )
    except Conflict:  # answered, closed or expired since the page was read
        again = _open(runtime, store_slug, token)
        reason = view.refusal(again, runtime.clock.now()) or view.ANSWERED
        return _refused(request, runtime, again, language, reason)
    if complete:
        context = _context(request, runtime, opened, language)
        return _page(request, "member/surveys/thanks.html", context)
    errors = {}
    if form.get("action") == "submit":
        with use_language(ui):
            errors = {
                qid: problem_text(by_id[qid], missing=True)
                for qid in view.visible_ids(opened.survey, merged)
                if by_id[qid].get("required") and merged.get(qid) in (None, "", [])
            }
    still_open = not is_complete(opened.survey.questions or [], merged)
    return render_survey(
        request,
        runtime,
        opened,
        language,
        answers=merged,
        errors=errors,
        saved=still_open and not errors,
        status_code=422 if errors else 200,
    )


@router.get("/survey-theme/{store_slug}.css")
def survey_theme(runtime: RuntimeDep, store_slug: StoreSlug) -> Response:
    """The store's colours for its survey pages, with contrast that reads (the page allows no inline
    styles)."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        brand, _logo = view.brand_of(session, store.id)
    return Response(view.theme_css(brand), media_type="text/css", headers={"Cache-Control": "max-age=300"})
