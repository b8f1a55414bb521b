"""The community's query results in the shape the member pages, the member API and the product Q&A block
show them: an author is a display name with badges (tier, "verified buyer", "staff"), never an email, and
a body is the domain's sanitised HTML (beside its Markdown source). One place, so that every door shows
the same thing."""

from __future__ import annotations

from typing import Any

from loyaldesk import community
from loyaldesk.kernel.errors import NotFound
from loyaldesk.kernel.i18n import gettext
from loyaldesk.runtime import Runtime


def author(
    view: community.AuthorView, *, verified_buyer: bool = False, staff: bool | None = None
) -> dict[str, Any]:
    return {
        "display_name": view.display_name,
        "tier": view.tier_name,
        "verified_buyer": verified_buyer,
        "staff": view.is_staff if staff is None else staff,
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def summary(item: community.ThreadSummary, category_names: dict[int, str] | None = None) -> dict[str, Any]:
    """A thread's line in a list (times left as datetimes, for the pages' filters)."""
    return {
        "id": item.id,
        "space": item.space_kind,
        "title": item.title,
        "author": author(item.author),
        "status": item.status,
        "answers_count": item.answers_count,
        "accepted": item.accepted,
        "product_id": item.product_id,
        "category_id": item.category_id,
        "category": (category_names or {}).get(item.category_id) if item.category_id else None,
        "hidden": item.hidden,
        "created_at": item.created_at,
        "last_activity_at": item.last_activity_at,
    }


def summary_json(
    item: community.ThreadSummary, category_names: dict[int, str] | None = None
) -> dict[str, Any]:
    found = summary(item, category_names)
    found["created_at"] = _iso(item.created_at)
    found["last_activity_at"] = _iso(item.last_activity_at)
    return found


def post(item: community.PostView) -> dict[str, Any]:
    return {
        "id": item.id,
        "body": item.body,
        "body_html": item.body_html,
        "author": author(item.author, verified_buyer=item.verified_buyer, staff=item.is_staff),
        "helpful_votes": item.helpful_votes,
        "accepted": item.accepted,
        "hidden": item.hidden,
        "hidden_reason": item.hidden_reason,
        "voted": item.voted,
        "may_vote": item.may_vote,
        "may_accept": item.may_accept,
        "created_at": item.created_at,
    }


def _event_of_thread(item: community.ThreadView) -> dict[str, Any] | None:
    if item.space_kind != community.SpaceKind.EVENTS or item.starts_at is None:
        return None
    return {
        "id": item.id,
        "title": item.title,
        "body_html": item.body_html,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "location": item.location,
        "capacity": item.capacity,
        "going_count": item.going_count,
        "mine": item.going,
        "full": item.capacity is not None and item.going_count >= item.capacity,
    }


def thread(
    item: community.ThreadView, category_names: dict[int, str] | None = None, viewer: int | None = None
) -> dict[str, Any]:
    """A thread with its answers and, for an event, its RSVP (times left as datetimes);
    ``asked_by_viewer``: ``viewer`` (a customer id) asked it."""
    return {
        "asked_by_viewer": viewer is not None and item.author.customer_id == viewer,
        "id": item.id,
        "space": item.space_kind,
        "title": item.title,
        "body": item.body,
        "body_html": item.body_html,
        "author": author(item.author),
        "status": item.status,
        "answers_count": sum(1 for p in item.posts if not p.hidden),
        "accepted": item.accepted_post_id is not None,
        "accepted_post_id": item.accepted_post_id,
        "article_id": item.article_id,
        "product_id": item.product_id,
        "category_id": item.category_id,
        "category": (category_names or {}).get(item.category_id) if item.category_id else None,
        "hidden": item.hidden,
        "hidden_reason": item.hidden_reason,
        "created_at": item.created_at,
        "last_activity_at": item.last_activity_at,
        "may_answer": item.may_answer,
        "posts": [post(p) for p in item.posts],
        "event": _event_of_thread(item),
    }


def thread_json(item: community.ThreadView, category_names: dict[int, str] | None = None) -> dict[str, Any]:
    found = thread(item, category_names)
    found["created_at"] = _iso(item.created_at)
    found["last_activity_at"] = _iso(item.last_activity_at)
    for entry in found["posts"]:
        entry["created_at"] = _iso(entry["created_at"])
    if found["event"] is not None:
        found["event"]["starts_at"] = _iso(found["event"]["starts_at"])
        found["event"]["ends_at"] = _iso(found["event"]["ends_at"])
    return found


def event(item: community.EventView) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "body_html": item.body_html,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "location": item.location or None,
        "capacity": item.capacity,
        "going_count": item.going_count,
        "mine": item.going,
        "full": item.full,
    }


def event_json(item: community.EventView) -> dict[str, Any]:
    found = event(item)
    found["starts_at"] = _iso(item.starts_at)
    found["ends_at"] = _iso(item.ends_at)
    return found


def product_question_json(item: community.ThreadView) -> dict[str, Any]:
    """A question for the product page's block: its title, asker, answers count and accepted answer."""
    visible = [p for p in item.posts if not p.hidden]
    accepted = next((p for p in visible if p.accepted), None)
    return {
        "id": item.id,
        "title": item.title,
        "author": author(item.author),
        "answers_count": len(visible),
        "accepted_answer": {
            "body": accepted.body,
            "body_html": accepted.body_html,
            "author": author(
                accepted.author, verified_buyer=accepted.verified_buyer, staff=accepted.is_staff
            ),
        }
        if accepted
        else None,
    }


def category_names(categories: list[community.CategoryView]) -> dict[int, str]:
    return {category.id: category.name for category in categories}


def post_of_thread(runtime: Runtime, store_id: int, thread_id: int, post_id: int) -> None:
    """``NotFound`` unless ``post_id`` is a visible answer of ``thread_id`` (a form names both)."""
    with runtime.database.read() as session:
        found = community.thread(session, store_id=store_id, thread_id=thread_id)
    if not any(p.id == post_id for p in found.posts):
        raise NotFound("there is no such answer in this thread")


def field_label(field: str) -> str:
    """A form field's name as the shopper reads it (the active language)."""
    return {
        "title": gettext("Title"),
        "body": gettext("Details"),
        "product_id": gettext("Product"),
        "category_id": gettext("Category"),
        "display_name": gettext("Display name"),
        "reason": gettext("What is wrong with it?"),
    }.get(field.split(".")[-1], field)


def member_flash(done: str | None) -> str | None:
    """What the thread page confirms after a form went through (the active language)."""
    return {
        "asked": gettext("Your question is posted."),
        "answered": gettext("Your answer is posted."),
        "voted": gettext("Thank you for your vote."),
        "accepted": gettext("You accepted an answer. Thank you!"),
        "unaccepted": gettext("The answer is no longer marked as accepted."),
        "reported": gettext("Thank you: a moderator will look at it."),
        "rsvp": gettext("Your answer is saved."),
    }.get(done or "")
