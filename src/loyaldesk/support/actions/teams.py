"""Teams of agents: a conversation given to a team is routed only to its members (see ``routing``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.support.actions.routing import is_desk_member
from loyaldesk.support.models import Conversation, Team, TeamMember

MAX_TEAM_NAME = 80


def _check_name(uow: UnitOfWork, store_id: int, name: str, team_id: int | None) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_TEAM_NAME:
        raise Invalid("the team needs a name", [FieldProblem("name", f"1 to {MAX_TEAM_NAME} characters")])
    clash = uow.session.scalar(
        select(Team.id).where(Team.store_id == store_id, Team.name == cleaned, Team.id != (team_id or 0))
    )
    if clash is not None:
        raise Conflict(f"a team called {cleaned!r} exists already")
    return cleaned


def _team(uow: UnitOfWork, store_id: int, team_id: int) -> Team:
    team = uow.session.get(Team, team_id)
    if team is None or team.store_id != store_id:
        raise NotFound("no such team")
    return team


def save_team(uow: UnitOfWork, actor: Actor, store_id: int, *, name: str, team_id: int | None = None) -> Team:
    """Create a team, or rename ``team_id``. Names are unique within the store."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    cleaned = _check_name(uow, store_id, name, team_id)
    if team_id is None:
        team = Team(store_id=store_id, name=cleaned)
        uow.session.add(team)
    else:
        team = _team(uow, store_id, team_id)
        team.name = cleaned
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "support.team_saved",
        store_id=store_id,
        target_type="team",
        target_id=team.id,
        details={"name": cleaned},
    )
    return team


def delete_team(uow: UnitOfWork, actor: Actor, store_id: int, team_id: int) -> None:
    """Delete a team; its conversations stay, without a team (so any agent may be routed them)."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    team = _team(uow, store_id, team_id)
    uow.session.execute(update(Conversation).where(Conversation.team_id == team_id).values(team_id=None))
    uow.session.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
    uow.session.delete(team)
    record_audit(uow, actor, "support.team_deleted", store_id=store_id, target_type="team", target_id=team_id)


def set_agent_teams(
    uow: UnitOfWork, actor: Actor, store_id: int, staff_id: int, team_ids: Iterable[int]
) -> list[int]:
    """Make ``staff_id`` a member of exactly ``team_ids`` (teams of this store); returns them sorted."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    if not is_desk_member(uow, store_id, staff_id):
        raise NotFound("no such agent in this store")
    wanted = sorted(set(team_ids))
    known = set(uow.session.scalars(select(Team.id).where(Team.store_id == store_id, Team.id.in_(wanted))))
    if unknown := [team_id for team_id in wanted if team_id not in known]:
        raise Invalid("unknown team", [FieldProblem("team_ids", f"not teams of this store: {unknown}")])
    store_teams = select(Team.id).where(Team.store_id == store_id)
    uow.session.execute(
        delete(TeamMember).where(TeamMember.staff_account_id == staff_id, TeamMember.team_id.in_(store_teams))
    )
    for team_id in wanted:
        uow.session.add(TeamMember(team_id=team_id, staff_account_id=staff_id))
    record_audit(
        uow,
        actor,
        "support.agent_teams_changed",
        store_id=store_id,
        target_type="staff",
        target_id=staff_id,
        details={"team_ids": wanted},
    )
    return wanted
