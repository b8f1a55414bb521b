"""The dialogue's vocabularies, spelled once, with the labels a store manager reads."""

from __future__ import annotations

from enum import StrEnum


class AssistantStatus(StrEnum):
    """Whether the assistant still answers in a conversation."""

    ACTIVE = "active"  # it answers the customer's messages
    HANDED_OFF = "handed_off"  # people answer; it is silent until an agent hands the conversation back


class HandoffReason(StrEnum):
    """Why the assistant gave a conversation to people."""

    ASKED_FOR_PERSON = "asked_for_person"
    NOT_CONFIDENT = "not_confident"
    FRUSTRATED = "frustrated"
    TOOL_FAILED = "tool_failed"
    UNSUPPORTED_ANSWER = "unsupported_answer"  # the LLM's answer was not backed by its sources
    SWITCHED_OFF = "switched_off"  # the store turned the assistant off during the conversation


HANDOFF_LABELS: dict[HandoffReason, str] = {
    HandoffReason.ASKED_FOR_PERSON: "asked for a person",
    HandoffReason.NOT_CONFIDENT: "not understood twice",
    HandoffReason.FRUSTRATED: "frustrated",
    HandoffReason.TOOL_FAILED: "a tool failed",
    HandoffReason.UNSUPPORTED_ANSWER: "the written answer was not backed by its sources",
    HandoffReason.SWITCHED_OFF: "the assistant was switched off",
}


class SmallTalk(StrEnum):
    """Intents the dialogue answers itself (the intent model's names for them)."""

    GREETING = "greeting"
    THANKS = "thanks"
    TALK_TO_PERSON = "talk_to_person"


class ProofIntent(StrEnum):
    """The anonymous order-proof flow's intents (tools written beside the others)."""

    PROVE_ORDER = "prove_order"  # order number + email: a one-time code is sent to the order's email
    CONFIRM_ORDER_CODE = "confirm_order_code"  # the code: the order is the visitor's for this conversation


SLOT_NAMES = ("order_number", "email", "code", "reward", "address", "reason")
