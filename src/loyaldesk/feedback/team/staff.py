"""Who is on a store's staff, by name, and who leads whom: the reads every team page shares."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.stores import Permission, StaffAccount, StoreMembership, has_permission
from loyaldesk.support import Team, TeamMember


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: str

    @property
    def answers_conversations(self) -> bool:
        return has_permission(self.role, Permission.ANSWER_CONVERSATIONS)


def staff_of(session: Session, store_id: int) -> list[StaffMember]:
    """Every staff member of the store, ordered by name (then id): never by any measure of their work."""
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.name, StaffAccount.email, StoreMembership.role)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .where(StoreMembership.store_id == store_id)
        .order_by(StaffAccount.name, StaffAccount.id)
    ).all()
    return [StaffMember(staff_id, name or email, role) for staff_id, name, email, role in rows]


def staff_member(session: Session, store_id: int, staff_id: int) -> StaffMember | None:
    """One staff member of the store, or None when ``staff_id`` does not work for it."""
    row = session.execute(
        select(StaffAccount.id, StaffAccount.name, StaffAccount.email, StoreMembership.role)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .where(StoreMembership.store_id == store_id, StaffAccount.id == staff_id)
    ).first()
    return StaffMember(row[0], row[1] or row[2], row[3]) if row else None


def leads_of(session: Session, store_id: int, agent_id: int) -> set[int]:
    """The leads (``support_teams.lead_id``) of the store's teams that ``agent_id`` belongs to."""
    return {
        lead
        for lead in session.scalars(
            select(Team.lead_id)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(Team.store_id == store_id, TeamMember.staff_account_id == agent_id)
        )
        if lead is not None
    }


def may_coach(session: Session, store_id: int, viewer_id: int, viewer_role: str, agent_id: int) -> bool:
    """Whether the viewer may see ``agent_id``'s coaching list and leave notes on it: a manager (who may
    manage feedback) or the lead of a team the agent belongs to; never another agent, nor the agent
    themselves (they see their own list, notes included, but do not coach themselves)."""
    if viewer_id == agent_id:
        return False
    if has_permission(viewer_role, Permission.MANAGE_FEEDBACK):
        return True
    return viewer_id in leads_of(session, store_id, agent_id)
