"""The console's Community section: the moderation queue (``/console/{store}/community``: reports with the
content they are about, hide / restore / dismiss, and the moderation audit trail), the threads
(``.../community/threads``) and a thread (``.../threads/{thread_id}``: answering as staff, marked staff;
accepting an answer; "publish as article" on an accepted answer, linking to the knowledge-base article it
became).

Roles: whoever may view conversations reads the threads (agents, analysts, managers); whoever may answer
them sees the moderation queue, moderates and answers (agents and managers: ``answer_conversations``);
publishing an article is managing the knowledge base (``manage_knowledge``). Every form carries the CSRF
token; the actions write the audit row and refuse what is not allowed, and a refusal shows the page again
with the reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk import community
from loyaldesk.kernel.errors import DomainError, Invalid
from loyaldesk.stores import Permission
from loyaldesk.stores import queries as store_queries
from loyaldesk.stores.models import AuditLogEntry
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.errors import status_for
from loyaldesk.web.member import community_views as views

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**62)]
READ = Permission.VIEW_CONVERSATIONS
MODERATE = Permission.ANSWER_CONVERSATIONS
PUBLISH = Permission.MANAGE_KNOWLEDGE
BASE = "/console/{store_slug}/community"
AUDIT_SHOWN = 20

DONE = {
    "dismissed": "Report dismissed: the content stays up.",
    "hidden": "Hidden: shoppers no longer see it.",
    "restored": "Restored: shoppers see it again.",
    "answered": "Your answer is posted, marked as staff.",
    "accepted": "Answer accepted.",
    "unaccepted": "The answer is no longer accepted (points already credited stay).",
    "published": "Published as a knowledge-base article: the assistant can use it now.",
    "closed": "Closed: the thread takes no more answers.",
    "reopened": "Reopened: shoppers can answer again.",
}


def _text(form: Any, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return str(value)[:limit] if isinstance(value, str) else ""


def _row_id(form: Any, name: str) -> int | None:
    value = _text(form, name, 20).strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**62:
        raise Invalid.field(name, "a number")
    return int(value)


def _moderation_audit(session: Any, store_id: int) -> list[AuditLogEntry]:
    """The store's latest community moderation entries of the audit log (newest first)."""
    entries, _next = store_queries.audit_log(session, store_id, limit=AUDIT_SHOWN, action_prefix="community.")
    return entries


def _report(report: community.ReportView) -> dict[str, Any]:
    return {
        "id": report.id,
        "status": report.status,
        "reason": report.reason,
        "reporter": report.reporter,
        "thread_id": report.thread_id,
        "post_id": report.post_id,
        "thread_title": report.thread_title,
        "content_html": report.content_html,
        "content_hidden": report.content_hidden,
        "author": views.author(report.content_author),
        "created_at": report.created_at,
    }


def _queue_page(
    request: Request,
    runtime: Any,
    console: Console,
    status: str,
    *,
    done: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        reports = community.moderation_queue(session, store_id=console.store.id, status=status)
        audit = _moderation_audit(session, console.store.id)
    return render(
        request,
        "community/moderation.html",
        {
            "console": console,
            "section": "community",
            "active": "moderation",
            "reports": [_report(report) for report in reports],
            "status": status,
            "statuses": [(s.value, s.label) for s in community.ReportStatus],
            "audit": audit,
            "may_moderate": console.can(MODERATE),
            "flash": DONE.get(done or ""),
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse)
def moderation_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    status: Annotated[community.ReportStatus, Query()] = community.ReportStatus.OPEN,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(MODERATE)
    return _queue_page(request, runtime, console, status.value, done=done)


@router.post(BASE + "/reports/{report_id}")
def resolve(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, report_id: RowId, form: FormDep
) -> Response:
    """Dismiss the report (the content stays) or hide the content it is about."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(MODERATE)
    action = _text(form, "action", 20)
    try:
        if action not in {r.value for r in community.ReportResolution}:
            raise Invalid.field("action", "dismiss or hide")
        runtime.database.write(
            community.resolve_report,
            store_id=console.store.id,
            actor=console.actor,
            report_id=report_id,
            action=action,
        )
    except DomainError as error:
        return _queue_page(
            request, runtime, console, "open", problem=str(error), status_code=status_for(error)
        )
    done = "dismissed" if action == community.ReportResolution.DISMISS else "hidden"
    return RedirectResponse(f"/console/{console.store.slug}/community?done={done}", status_code=303)


@router.post(BASE + "/threads/{thread_id}/visibility")
def visibility(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, thread_id: RowId, form: FormDep
) -> Response:
    """Hide or restore the thread, or one of its answers (``post_id``), with a reason for the audit log;
    back to where the form was (``back``: the queue or the thread)."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(MODERATE)
    action = _text(form, "action", 20)
    back = _text(form, "back", 20)
    try:
        post_id = _row_id(form, "post_id")
        if action not in ("hide", "restore"):
            raise Invalid.field("action", "hide or restore")
        change = community.hide_content if action == "hide" else community.restore_content
        runtime.database.write(
            change,
            store_id=console.store.id,
            actor=console.actor,
            reason=_text(form, "reason", 500).strip() or ("hidden by staff" if action == "hide" else ""),
            thread_id=None if post_id else thread_id,
            post_id=post_id,
        )
    except DomainError as error:
        if back == "queue":
            return _queue_page(
                request, runtime, console, "open", problem=str(error), status_code=status_for(error)
            )
        return _thread_page(
            request, runtime, console, thread_id, problem=str(error), status_code=status_for(error)
        )
    done = "hidden" if action == "hide" else "restored"
    if back == "queue":
        return RedirectResponse(f"/console/{console.store.slug}/community?done={done}", status_code=303)
    return RedirectResponse(
        f"/console/{console.store.slug}/community/threads/{thread_id}?done={done}", status_code=303
    )


@router.get(BASE + "/threads", response_class=HTMLResponse)
def threads_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    space: Annotated[community.SpaceKind, Query()] = community.SpaceKind.PRODUCT_QA,
    product: Annotated[str | None, Query(max_length=255)] = None,
    category: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    console.require(READ)
    with runtime.database.read() as session:
        categories = community.categories(session, store_id=console.store.id)
        found = community.threads(
            session,
            store_id=console.store.id,
            space_kind=space,
            product_id=product or None,
            category_id=category,
            include_hidden=True,
            limit=100,
        )
    names = views.category_names(categories)
    return render(
        request,
        "community/threads.html",
        {
            "console": console,
            "section": "community",
            "active": "threads",
            "space": space.value,
            "spaces": [(s.value, s.label) for s in community.SpaceKind],
            "product": product or "",
            "category": category,
            "categories": categories,
            "threads": [views.summary(item, names) for item in found],
        },
    )


def _thread_page(
    request: Request,
    runtime: Any,
    console: Console,
    thread_id: int,
    *,
    done: str | None = None,
    problem: str | None = None,
    answer: str = "",
    status_code: int = 200,
) -> Response:
    with runtime.database.read() as session:
        found = community.thread(session, store_id=console.store.id, thread_id=thread_id, staff=True)
        names = views.category_names(community.categories(session, store_id=console.store.id))
    return render(
        request,
        "community/thread.html",
        {
            "console": console,
            "section": "community",
            "active": "threads",
            "thread": views.thread(found, names),
            "may_moderate": console.can(MODERATE),
            "may_publish": console.can(PUBLISH),
            "flash": DONE.get(done or ""),
            "problem": problem,
            "answer": answer,
        },
        status_code=status_code,
    )


@router.get(BASE + "/threads/{thread_id}", response_class=HTMLResponse)
def thread_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    thread_id: RowId,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(READ)
    return _thread_page(request, runtime, console, thread_id, done=done)


def _on_thread(
    request: Request, runtime: Any, console: Console, thread_id: int, act: Any, done: str, answer: str = ""
) -> Response:
    try:
        act()
    except DomainError as error:
        return _thread_page(
            request,
            runtime,
            console,
            thread_id,
            problem=str(error),
            answer=answer,
            status_code=status_for(error),
        )
    return RedirectResponse(
        f"/console/{console.store.slug}/community/threads/{thread_id}?done={done}", status_code=303
    )


@router.post(BASE + "/threads/{thread_id}/answers")
def staff_answer(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, thread_id: RowId, form: FormDep
) -> Response:
    """Answer as staff: the answer shows the "staff" badge."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(MODERATE)
    body = _text(form, "body")

    def act() -> None:
        runtime.database.write(
            community.post_answer,
            store_id=console.store.id,
            thread_id=thread_id,
            body=body,
            actor=console.actor,
        )

    return _on_thread(request, runtime, console, thread_id, act, "answered", body)


@router.post(BASE + "/threads/{thread_id}/accept")
def staff_accept(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, thread_id: RowId, form: FormDep
) -> Response:
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(MODERATE)

    def act() -> None:
        post_id = _row_id(form, "post_id")
        if post_id is None:
            raise Invalid.field("post_id", "which answer to accept")
        runtime.database.write(
            community.accept_answer,
            store_id=console.store.id,
            thread_id=thread_id,
            post_id=post_id,
            actor=console.actor,
        )

    return _on_thread(request, runtime, console, thread_id, act, "accepted")


@router.post(BASE + "/threads/{thread_id}/publish")
def publish(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, thread_id: RowId, form: FormDep
) -> Response:
    """The accepted answer becomes a knowledge-base article (the thread then links to it)."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(PUBLISH)

    def act() -> None:
        runtime.database.write(
            community.publish_answer_as_article,
            store_id=console.store.id,
            actor=console.actor,
            thread_id=thread_id,
        )

    return _on_thread(request, runtime, console, thread_id, act, "published")


@router.post(BASE + "/threads/{thread_id}/closing")
def close_or_reopen(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, thread_id: RowId, form: FormDep
) -> Response:
    """Close the thread to new answers and accepts (``action=close``) or reopen it (audited)."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(MODERATE)
    action = _text(form, "action", 20)

    def act() -> None:
        if action not in ("close", "reopen"):
            raise Invalid.field("action", "close or reopen")
        runtime.database.write(
            community.close_thread,
            store_id=console.store.id,
            actor=console.actor,
            thread_id=thread_id,
            closed=action == "close",
        )

    return _on_thread(
        request, runtime, console, thread_id, act, "closed" if action == "close" else "reopened"
    )


@router.post(BASE + "/threads/{thread_id}/unaccept")
def staff_unaccept(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, thread_id: RowId, form: FormDep
) -> Response:
    """No accepted answer any more (the thread is open again; points already credited stay)."""
    console.check_csrf(_text(form, "csrf_token", 200))
    console.require(MODERATE)

    def act() -> None:
        runtime.database.write(
            community.unaccept_answer, store_id=console.store.id, thread_id=thread_id, actor=console.actor
        )

    return _on_thread(request, runtime, console, thread_id, act, "unaccepted")
