"""What a manager might do with each RFM segment, fitted to the store: no invitation to a loyalty program
everyone in the segment is already in, no points or tiers where the store has none. Pure.

The advice says what the segment is, then one thing to do, chosen from the store's facts
(:class:`StoreFacts`) and the segment's own (how many of its customers are loyalty members).
"""

from __future__ import annotations

from dataclasses import dataclass

from loyaldesk.analytics.segments import Segment


@dataclass(frozen=True)
class StoreFacts:
    """``program``: a loyalty program runs (switched on); ``tiers``: it has tiers above the base one."""

    program: bool
    tiers: bool


# What each segment is (the same in every store).
WHAT = {
    Segment.CHAMPIONS: "Bought recently, often and the most.",
    Segment.LOYAL: "Buy regularly.",
    Segment.POTENTIAL_LOYALIST: "Recent, with average frequency.",
    Segment.NEW_CUSTOMERS: "Bought for the first time lately.",
    Segment.PROMISING: "Recent, but have not spent much yet.",
    Segment.NEED_ATTENTION: "Above average, but slipping.",
    Segment.ABOUT_TO_SLEEP: "Below average and fading.",
    Segment.AT_RISK: "Spent a lot and often, long ago.",
    Segment.CANNOT_LOSE_THEM: "Your best customers once, not seen lately.",
    Segment.HIBERNATING: "Low spend, long ago.",
    Segment.LOST: "Lowest recency, frequency and spend.",
}


# Segments worth bringing into the loyalty program: recent buyers, whose next orders it can reward.
INVITED = frozenset(
    {
        Segment.CHAMPIONS,
        Segment.LOYAL,
        Segment.POTENTIAL_LOYALIST,
        Segment.NEW_CUSTOMERS,
        Segment.PROMISING,
    }
)


def segment_advice(segment: Segment, customers: int, members: int, facts: StoreFacts) -> str:
    """What the segment is and what to do with it, given that ``members`` of its ``customers`` are in
    the loyalty program and what ``facts`` says about the store. Recent buyers outside a running program
    are invited to it (counted); members get the program's own advice; without a program nothing
    mentions points, tiers or joining."""
    outside = customers - members if facts.program and segment in INVITED else 0
    if outside:
        whom = (
            "the one customer who is not a member"
            if outside == 1
            else f"the {outside:,} customers who are not members"
        )
        todo = f"Invite {whom} yet to the loyalty program."
        if segment is Segment.NEW_CUSTOMERS:
            todo = f"Welcome them and help them to a second order. {todo}"
        return f"{WHAT[segment]} {todo}"
    return f"{WHAT[segment]} {_todo(segment, facts)}"


def _todo(segment: Segment, facts: StoreFacts) -> str:
    program, tiers = facts.program, facts.tiers
    match segment:
        case Segment.CHAMPIONS:
            reward = "Reward them with bonus points or early access" if program else "Thank them personally"
            return f"{reward}; ask for reviews."
        case Segment.LOYAL:
            if tiers:
                return "Show them what the next tier brings and give them early access."
            if program:
                return "Offer bonus points on the categories they buy."
            return "Offer them early access to new products."
        case Segment.POTENTIAL_LOYALIST:
            if program:
                return "Double points on their next order can make them regulars."
            return "Recommend what goes with what they bought to make them regulars."
        case Segment.NEW_CUSTOMERS:
            return "Welcome them and help them to a second order."
        case Segment.PROMISING:
            if program:
                return "Show them what their points already buy."
            return "Build the relationship: a helpful follow-up, not a discount."
        case Segment.NEED_ATTENTION:
            return "A timely, personal offer may bring them back."
        case Segment.ABOUT_TO_SLEEP:
            return "Reconnect before they are gone."
        case Segment.AT_RISK:
            return "Reach out personally."
        case Segment.CANNOT_LOSE_THEM:
            if program:
                return "Win them back now: a win-back bonus, and remind them of their points."
            return "Win them back now, personally."
        case Segment.HIBERNATING:
            return "A win-back campaign may wake some."
        case Segment.LOST:
            return "Low priority."
    return ""  # pragma: no cover - every segment is matched above
