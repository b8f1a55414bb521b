"""Agents and routing: presence from connected consoles, capacity, and the assignment of waiting
conversations to online agents (round robin or least load, within teams), most urgent first.

Routing runs inside the transaction of the change that makes it necessary (a new conversation, an agent
coming online), so a conversation is never left unrouted."""

from __future__ import annotations

from sqlalchemy import func, select, update

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.stores import Permission, StoreMembership, authorize, has_permission, record_audit
from loyaldesk.support import rules
from loyaldesk.support.actions.desk_settings import desk_facts
from loyaldesk.support.events import AgentPresenceChanged, ConversationAssigned
from loyaldesk.support.models import Agent, Conversation, Team, TeamMember

# Conversations that count against an agent's capacity.
LOAD_STATUSES = ("open",)


def is_desk_member(uow: UnitOfWork, store_id: int, staff_id: int) -> bool:
    role = uow.session.scalar(
        select(StoreMembership.role).where(
            StoreMembership.store_id == store_id, StoreMembership.staff_id == staff_id
        )
    )
    return role is not None and has_permission(role, Permission.ANSWER_CONVERSATIONS)


def assign_to(uow: UnitOfWork, conversation: Conversation, staff_id: int | None, *, automatic: bool) -> None:
    previous = conversation.assignee_id
    conversation.assignee_id = staff_id
    conversation.updated_at = uow.now()
    if staff_id is not None:
        agent = agent_record(uow, conversation.store_id, staff_id)
        agent.last_assigned_at = uow.now()
    uow.emit(
        ConversationAssigned(
            store_id=conversation.store_id,
            customer_id=conversation.customer_id,
            conversation_id=conversation.id,
            assignee_id=staff_id,
            team_id=conversation.team_id,
            previous_assignee_id=previous,
            automatic=automatic,
        )
    )


def agent_record(uow: UnitOfWork, store_id: int, staff_id: int) -> Agent:
    agent = uow.session.scalar(
        select(Agent).where(Agent.store_id == store_id, Agent.staff_account_id == staff_id)
    )
    if agent is None:
        agent = Agent(
            store_id=store_id,
            staff_account_id=staff_id,
            presence="offline",
            chosen_presence="online",
            connections=0,
        )
        uow.session.add(agent)
        uow.session.flush()
    return agent


def agent_connected(uow: UnitOfWork, store_id: int, staff_id: int, *, delta: int) -> str:
    """A console of this agent connected (+1) or went away (-1); returns the resulting presence. An
    agent is online while a console is connected and they have not chosen "away"."""
    agent = agent_record(uow, store_id, staff_id)
    uow.session.execute(
        update(Agent).where(Agent.id == agent.id).values(connections=Agent.connections + delta)
    )
    uow.session.refresh(agent)
    if agent.connections < 0:  # a process that died never said goodbye; never count below zero
        agent.connections = 0
    _update_presence(uow, agent)
    return agent.presence


def choose_presence(uow: UnitOfWork, actor: Actor, store_id: int, presence: str) -> str:
    """The agent says they are "online" or "away" (offline follows from closing every console)."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.ANSWER_CONVERSATIONS)
    if presence not in ("online", "away"):
        raise Invalid("unknown presence", [FieldProblem("presence", "must be online or away")])
    assert actor.id is not None
    agent = agent_record(uow, store_id, actor.id)
    agent.chosen_presence = presence
    _update_presence(uow, agent)
    return agent.presence


def _update_presence(uow: UnitOfWork, agent: Agent) -> None:
    presence = agent.chosen_presence if agent.connections > 0 else "offline"
    if presence == agent.presence:
        return
    agent.presence = presence
    agent.presence_changed_at = uow.now()
    uow.emit(
        AgentPresenceChanged(
            store_id=agent.store_id, staff_account_id=agent.staff_account_id, presence=presence
        )
    )
    if presence == "online":
        route_waiting(uow, agent.store_id)


def set_capacity(uow: UnitOfWork, actor: Actor, store_id: int, staff_id: int, capacity: int | None) -> None:
    """How many open conversations routing gives this agent at most (None: the store's default)."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    if capacity is not None and not 0 <= capacity <= 100:
        raise Invalid("capacity out of range", [FieldProblem("capacity", "must be between 0 and 100")])
    if not is_desk_member(uow, store_id, staff_id):
        raise NotFound("no such agent in this store")
    agent_record(uow, store_id, staff_id).capacity = capacity
    record_audit(
        uow,
        actor,
        "support.capacity_changed",
        store_id=store_id,
        target_type="staff",
        target_id=staff_id,
        details={"capacity": capacity},
    )


def agent_loads(uow: UnitOfWork, store_id: int, default_capacity: int) -> list[rules.AgentLoad]:
    """Every agent of the store as routing sees them."""
    open_counts = dict(
        uow.session.execute(
            select(Conversation.assignee_id, func.count())
            .where(
                Conversation.store_id == store_id,
                Conversation.assignee_id.is_not(None),
                Conversation.status.in_(LOAD_STATUSES),
            )
            .group_by(Conversation.assignee_id)
        ).all()
    )
    teams: dict[int, set[int]] = {}
    for staff_id, team_id in uow.session.execute(
        select(TeamMember.staff_account_id, TeamMember.team_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.store_id == store_id)
    ):
        teams.setdefault(staff_id, set()).add(team_id)
    agents = uow.session.scalars(select(Agent).where(Agent.store_id == store_id))
    return [
        rules.AgentLoad(
            agent_id=agent.staff_account_id,
            online=agent.presence == "online",
            open_conversations=int(open_counts.get(agent.staff_account_id, 0)),
            capacity=agent.capacity if agent.capacity is not None else default_capacity,
            last_assigned_at=agent.last_assigned_at,
            teams=frozenset(teams.get(agent.staff_account_id, ())),
        )
        for agent in agents
        if is_desk_member(uow, store_id, agent.staff_account_id)
    ]


def route_waiting(uow: UnitOfWork, store_id: int, *, limit: int = 200) -> int:
    """Give unassigned open conversations, most urgent and longest waiting first, to online agents with
    room (by the store's routing method), until nobody has room. Returns how many were assigned."""
    return _route(uow, store_id, limit)[0]


def route_waiting_until_full(uow: UnitOfWork, store_id: int) -> bool:
    """``route_waiting``; True when it found nobody to assign to before looking at the queue (routing
    off, nobody online, nobody with room): until an agent comes online, gets room or routing is turned
    on, routing again assigns nothing."""
    return _route(uow, store_id, 200)[1]


def _route(uow: UnitOfWork, store_id: int, limit: int) -> tuple[int, bool]:
    """How many ``route_waiting`` assigned, and whether the desk was full (``route_waiting_until_full``)."""
    settings = desk_facts(uow, store_id)
    if not settings.auto_assign:
        return 0, True
    online = select(Agent.id).where(Agent.store_id == store_id, Agent.presence == "online").limit(1)
    if uow.session.scalar(online) is None:
        return 0, True  # nobody online: the conversations wait in the queue
    loads = {load.agent_id: load for load in agent_loads(uow, store_id, settings.default_capacity)}
    if not any(load.online and load.open_conversations < load.capacity for load in loads.values()):
        return 0, True  # nobody has room: do not lock and walk the queue for nothing
    waiting = list(
        uow.session.scalars(
            select(Conversation)
            .where(
                Conversation.store_id == store_id,
                Conversation.status == "open",
                Conversation.assignee_id.is_(None),
                Conversation.assistant_active.is_(False),  # the assistant answers it
            )
            .order_by(Conversation.priority_rank.desc(), Conversation.waiting_since, Conversation.id)
            .limit(limit)
            .with_for_update()
        )
    )
    if not waiting:
        return 0, False
    assigned = 0
    for conversation in waiting:
        chosen = rules.choose_agent(
            list(loads.values()), settings.routing_method, team_id=conversation.team_id
        )
        if chosen is None:
            continue
        assign_to(uow, conversation, chosen, automatic=True)
        load = loads[chosen]
        loads[chosen] = rules.AgentLoad(
            agent_id=load.agent_id,
            online=load.online,
            open_conversations=load.open_conversations + 1,
            capacity=load.capacity,
            last_assigned_at=uow.now(),
            teams=load.teams,
        )
        assigned += 1
    return assigned, False
