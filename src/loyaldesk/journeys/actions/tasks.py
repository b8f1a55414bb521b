"""The team's tasks that rules create (``create_task`` steps): marking one done."""

from __future__ import annotations

from loyaldesk.journeys.models import TeamTask
from loyaldesk.journeys.vocab import TaskStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound, PermissionDenied
from loyaldesk.stores import Permission, authorize, record_audit


def _authorize(actor: Actor, store_id: int) -> None:
    """Managers of journeys and the agents who answer customers may close a task."""
    try:
        authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    except PermissionDenied:
        authorize(actor, store_id, scope="journeys:write", permission=Permission.ANSWER_CONVERSATIONS)


def complete_task(uow: UnitOfWork, actor: Actor, store_id: int, task_id: int) -> TeamTask:
    """Mark an open task done (done already: left as it is). ``NotFound`` for another store's task."""
    _authorize(actor, store_id)
    task = uow.session.get(TeamTask, task_id)
    if task is None or task.store_id != store_id:
        raise NotFound(f"no task {task_id} in this store")
    if task.status == TaskStatus.DONE:
        return task
    task.status = TaskStatus.DONE.value
    task.done_at = uow.now()
    record_audit(
        uow,
        actor,
        "journeys.task_done",
        store_id=store_id,
        target_type="journey_task",
        target_id=task.id,
        details={"title": task.title},
    )
    return task
