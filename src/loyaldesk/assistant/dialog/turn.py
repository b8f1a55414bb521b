"""One turn of the dialogue: the assistant reads a customer's message and answers, asks, or hands off.

``converse(uow, conversation_id, message_id)`` runs for each customer message of a conversation the
assistant answers (``Conversation.assistant_active``), inside the handler's unit of work, so that its
answer, its state and its hand-off commit together and reach the shopper live like an agent's reply.
In this order:

1. slots from the words (``slots.read_slots``; rewards matched against the store's active rewards) and the
   intent (``ports.read_intents``; a few fixed phrases for greetings, thanks and "a person" when the model
   has no answer);
2. a message that fills the slot the assistant asked for continues the pending intent; a 6-digit code
   while an order is being proved confirms it;
3. hand-off when the shopper asks for a person or is frustrated (``frustration.assess``: two signals of
   three, never sentiment alone);
4. greeting / thanks → a short reply;
5. an intent with a tool → the tool runs for the proved ``Asker`` (``ANSWERED``/``DONE``/``NOT_FOUND``/
   ``REFUSED``: its text; ``NEEDS_SLOT``: ask for it and remember; ``NEEDS_IDENTITY``: sign in or prove an
   order by code; ``FAILED``: hand off);
6. no tool → the best articles (``ports.find_articles``); none, or out of scope → say so and count a
   miss; ``low_confidence_limit`` misses hand off.

With an LLM configured, answers from a tool or from articles are left to it as a draft request
(``AssistantConversation.llm_draft``): ``llm_drafts.write_drafts`` asks the model outside any transaction
and sends the answer only when backed by its cited sources; otherwise it hands the conversation off.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from loyaldesk.assistant import ports
from loyaldesk.assistant.dialog import llm, replies
from loyaldesk.assistant.dialog.frustration import Frustration, assess
from loyaldesk.assistant.dialog.handoff import hand_off
from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.assistant.dialog.order_proof import verified_order_ids
from loyaldesk.assistant.dialog.settings import AssistantConfig, assistant_config
from loyaldesk.assistant.dialog.slots import read_slots
from loyaldesk.assistant.dialog.state import (
    clear_pending,
    count_intent,
    remember_articles,
    remember_text,
    remember_tool_call,
    state_of,
)
from loyaldesk.assistant.dialog.vocab import AssistantStatus, HandoffReason, ProofIntent, SmallTalk
from loyaldesk.assistant.knowledge.actions.shoppers import record_search
from loyaldesk.assistant.knowledge.models import Article
from loyaldesk.assistant.knowledge.vocab import SearchChannel
from loyaldesk.assistant.tools.registry import Asker, Tool, ToolRequest, ToolResult, ToolStatus, tool_for
from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import shipped_language, use_language
from loyaldesk.loyalty import Reward
from loyaldesk.stores import Store
from loyaldesk.support import Contact, Conversation, Message
from loyaldesk.support.actions.assistant_turns import post_assistant_message

ASSISTED_CHANNELS = ("webchat", "api")
PROOF_INTENTS = frozenset(intent.value for intent in ProofIntent)
_PERSON = re.compile(
    r"\b(human|real person|a person|an agent|live agent|someone real|talk to (?:someone|somebody|staff)"
    r"|speak to (?:someone|somebody|a person|an agent)|customer service rep|mitarbeiter|echten menschen"
    r"|einem menschen|mit jemandem)\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hallo|servus|moin|good (morning|afternoon|evening)|guten tag)\b[\s!.,]*$", re.I
)
_THANKS = re.compile(
    r"^\s*(thanks?( you)?( so much)?|thx|cheers|danke( schön| sehr)?|vielen dank)\b[\s!.,]*$", re.I
)


def shopper_language(uow: UnitOfWork, conversation: Conversation) -> str:
    """The shopper's language: their profile's, else the store's default for shoppers, else English."""
    if conversation.customer_id is not None:
        customer = uow.session.get(Customer, conversation.customer_id)
        if customer is not None and shipped_language(customer.locale):
            return shipped_language(customer.locale) or "en"
    store = uow.session.get(Store, conversation.store_id)
    return (shipped_language(store.default_language) if store is not None else None) or "en"


def wants_person(text: str) -> bool:
    return bool(_PERSON.search(text))


def small_talk(text: str) -> str | None:
    """A greeting or thanks said plainly (when the intent model has no answer)."""
    if _GREETING.match(text):
        return SmallTalk.GREETING.value
    if _THANKS.match(text):
        return SmallTalk.THANKS.value
    return None


def converse(uow: UnitOfWork, conversation_id: int, message_id: int) -> None:
    """React to the customer's message ``message_id`` (see the module). Does nothing when the assistant does
    not answer in that conversation."""
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or not conversation.assistant_active:
        return
    if conversation.channel not in ASSISTED_CHANNELS:
        return
    message = uow.session.get(Message, message_id)
    if message is None or message.author_kind != "customer" or message.conversation_id != conversation.id:
        return
    state = state_of(uow, conversation)
    if state.status != AssistantStatus.ACTIVE:
        return
    config = assistant_config(uow.session, conversation.store_id)
    language = shopper_language(uow, conversation)
    with use_language(language):
        if not config.enabled:
            hand_off(uow, conversation, state, config, HandoffReason.SWITCHED_OFF, language=language)
            return
        _Turn(uow, conversation, state, config, language, message).run()


@dataclass
class _Turn:
    uow: UnitOfWork
    conversation: Conversation
    state: AssistantConversation
    config: AssistantConfig
    language: str
    message: Message
    calls: list[dict[str, Any]] = field(default_factory=list)  # the tools called in this turn

    def run(self) -> None:
        text = self.message.body.strip()
        session = self.uow.session
        rewards = session.scalars(
            select(Reward.name).where(Reward.store_id == self.conversation.store_id, Reward.active.is_(True))
        ).all()
        slots = read_slots(text, rewards)
        prediction = ports.read_intents(session, self.conversation.store_id, [text])[0]
        intent = prediction.intent or small_talk(text)
        state = self.state
        state.llm_draft = None  # an answer still being written for an earlier message is not sent now
        earlier = remember_text(state, text)
        intent = self._continue_pending(intent, slots)
        repeats = count_intent(state, intent) if intent else 0
        state.last_intent = intent
        state.last_confidence = prediction.confidence
        if intent and not state.intent and intent not in (SmallTalk.GREETING, SmallTalk.THANKS):
            state.intent = intent
        state.updated_at = self.uow.now()
        feeling = assess(text, earlier, repeats)
        state.last_sentiment = feeling.sentiment
        if intent == SmallTalk.TALK_TO_PERSON or wants_person(text):
            return self._hand_off(HandoffReason.ASKED_FOR_PERSON, feeling)
        if feeling.frustrated:
            return self._hand_off(HandoffReason.FRUSTRATED, feeling)
        if intent is None:  # no intent: the help center may still answer it (a content gap if not)
            return self._answer_from_articles(text, feeling, miss_words=replies.not_understood())
        if intent == SmallTalk.GREETING:
            return self._say(replies.greeting(self.config.display_name))
        if intent == SmallTalk.THANKS:
            return self._say(replies.thanks())
        tool = tool_for(intent)
        merged = {**(state.slots or {}), **slots}
        if tool is not None:
            return self._use_tool(tool, intent, text, merged, feeling)
        return self._answer_from_articles(text, feeling)

    # -- steps ---------------------------------------------------------------------------------------

    def _continue_pending(self, intent: str | None, slots: dict[str, str]) -> str | None:
        state = self.state
        proving = state.pending_intent in (ProofIntent.PROVE_ORDER, ProofIntent.CONFIRM_ORDER_CODE)
        if proving and "code" in slots and tool_for(ProofIntent.CONFIRM_ORDER_CODE) is not None:
            return ProofIntent.CONFIRM_ORDER_CODE.value
        if state.pending_intent and state.pending_slot and state.pending_slot in slots:
            return state.pending_intent
        if proving and ({"order_number", "email"} & slots.keys()):
            return state.pending_intent
        if intent is not None and intent != state.pending_intent and intent not in (SmallTalk.GREETING,):
            clear_pending(state)  # the shopper moved on
        return intent

    def _asker(self) -> Asker:
        contact = self.uow.session.get(Contact, self.conversation.contact_id)
        # The contact carries a customer only when the widget's HMAC identity (or the store's backend on
        # the API channel) proved who the shopper is.
        customer_id = contact.customer_id if contact is not None else None
        return Asker(
            store_id=self.conversation.store_id,
            conversation_id=self.conversation.id,
            customer_id=customer_id,
            verified_order_ids=verified_order_ids(self.uow.session, self.conversation.id),
            language=self.language,
        )

    def _run_tool(self, tool: Tool, intent: str, text: str, slots: dict[str, str]) -> ToolResult:
        request = ToolRequest(
            intent=intent,
            text=text,
            slots=slots,
            idempotency_key=f"assistant:{self.conversation.id}:{self.message.id}:{intent}",
        )
        mark = self.uow.mark()
        savepoint = self.uow.session.begin_nested()
        try:
            result = tool(self.uow, self._asker(), request)
            savepoint.commit()
        except Exception as error:  # a broken tool hands off; it never breaks the conversation
            savepoint.rollback()
            self.uow.discard_since(mark)
            result = ToolResult(
                tool=tool.name, status=ToolStatus.FAILED, text="", facts={"error": type(error).__name__}
            )
        call = {
            "tool": result.tool,
            "intent": intent,
            "status": str(result.status),
            "text": result.text[:1000],
            "facts": _json_safe(result.facts),
            "at": self.uow.now().isoformat(),
        }
        self.calls.append(call)
        remember_tool_call(self.state, call, result.order_ids)
        return result

    def _use_tool(
        self, tool: Tool, intent: str, text: str, slots: dict[str, str], feeling: Frustration
    ) -> None:
        state = self.state
        result = self._run_tool(tool, intent, text, slots)
        if result.status == ToolStatus.FAILED:
            return self._hand_off(HandoffReason.TOOL_FAILED, feeling, apology=replies.went_wrong())
        if result.status == ToolStatus.NEEDS_SLOT:
            state.pending_intent, state.pending_slot, state.slots = intent, result.missing, dict(slots)
            return self._say(result.text or replies.ask_for(result.missing or ""))
        if result.status == ToolStatus.NEEDS_IDENTITY:
            can_prove = tool_for(ProofIntent.PROVE_ORDER) is not None
            resume = state.resume_intent if intent in PROOF_INTENTS else intent
            clear_pending(state)
            if can_prove:
                state.pending_intent, state.resume_intent = ProofIntent.PROVE_ORDER.value, resume
                state.slots = {k: v for k, v in slots.items() if k != "code"}
                if intent in PROOF_INTENTS and result.text:
                    return self._say(result.text)
            return self._say(replies.sign_in(can_prove))
        resume = state.resume_intent
        if intent == ProofIntent.PROVE_ORDER and result.status == ToolStatus.DONE:
            state.pending_intent, state.pending_slot, state.slots = (
                ProofIntent.CONFIRM_ORDER_CODE.value,
                "code",
                dict(slots),
            )
            state.resume_intent = resume
            return self._say(result.text)
        clear_pending(state)
        if result.status == ToolStatus.NOT_FOUND and "order_number" not in slots:
            # The store keeps no data for this (its delivery options, say): its articles may answer.
            hits = ports.find_articles(self.uow.session, self.conversation.store_id, text, self.language, 3)
            if hits:
                return self._answer_from_articles(text, feeling, hits)
        texts = [result.text]
        if intent == ProofIntent.CONFIRM_ORDER_CODE and result.status == ToolStatus.DONE and resume:
            resumed_tool = tool_for(resume)
            if resumed_tool is not None:
                again = self._run_tool(
                    resumed_tool, resume, text, {k: v for k, v in slots.items() if k != "code"}
                )
                if again.status == ToolStatus.FAILED:
                    return self._hand_off(HandoffReason.TOOL_FAILED, feeling, apology=replies.went_wrong())
                texts.append(again.text)
                result = again
        if self.config.llm is not None and result.status == ToolStatus.ANSWERED:
            sources = [
                llm.Source(f"t{i + 1}", call["tool"], _source_text(call)) for i, call in enumerate(self.calls)
            ]
            return self._say_from_llm(text, sources, feeling)
        return self._say("\n\n".join(t for t in texts if t))

    def _answer_from_articles(
        self,
        text: str,
        feeling: Frustration,
        hits: list[ports.ArticleHit] | None = None,
        *,
        miss_words: str | None = None,
    ) -> None:
        if hits is None:
            hits = ports.find_articles(self.uow.session, self.conversation.store_id, text, self.language, 3)
        # The help center's content-gap report counts what shoppers asked the assistant too (the top
        # article by id only when it is one of this store's: another finder may rank other documents).
        top = self.uow.session.get(Article, hits[0].article_id) if hits else None
        record_search(
            self.uow,
            self.conversation.store_id,
            query=text,
            language=self.language,
            channel=SearchChannel.ASSISTANT,
            results_count=len(hits),
            top_article_id=top.id if top is not None and top.store_id == self.conversation.store_id else None,
            customer_id=self._asker().customer_id,
        )
        if not hits:
            return self._miss(miss_words or replies.no_answer(), feeling)
        remember_articles(self.state, [{"id": h.article_id, "title": h.title, "url": h.url} for h in hits])
        if self.config.llm is not None:
            sources = [llm.Source(f"a{h.article_id}", h.title, h.snippet, h.url) for h in hits]
            return self._say_from_llm(text, sources, feeling)
        return self._say(replies.articles(hits))

    def _say_from_llm(self, question: str, sources: list[llm.Source], feeling: Frustration) -> None:
        """Leave the answer to the LLM: the draft is written by ``llm_drafts`` outside this transaction
        (a slow model must not hold the database), then sent or handed off."""
        self.state.llm_draft = {
            "message_id": self.message.id,
            "question": question,
            "sources": [asdict(source) for source in sources],
            "language": self.language,
            "sentiment": feeling.describe(),
        }

    def _miss(self, words: str, feeling: Frustration) -> None:
        state = self.state
        state.misses += 1
        state.low_confidence_turns += 1
        if state.low_confidence_turns >= self.config.low_confidence_limit:
            return self._hand_off(HandoffReason.NOT_CONFIDENT, feeling)
        return self._say(words)

    def _say(self, words: str) -> None:
        post_assistant_message(self.uow, self.conversation, self.config.display_name, words)
        self.state.answers += 1
        self.state.last_answer = words[:4000]
        self.state.last_answer_at = self.uow.now()

    def _hand_off(self, reason: HandoffReason, feeling: Frustration, apology: str | None = None) -> None:
        hand_off(
            self.uow,
            self.conversation,
            self.state,
            self.config,
            reason,
            language=self.language,
            sentiment=feeling.describe(),
            apology=apology,
        )


def _source_text(call: dict[str, Any]) -> str:
    facts = "; ".join(f"{key}: {value}" for key, value in (call.get("facts") or {}).items())
    return f"{call['text']}\n{facts}" if facts else call["text"]


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
