"""The optional LLM, against a fake OpenAI-compatible server on 127.0.0.1: an answer citing its sources is
sent; one citing nothing, citing an unknown source or stating a number no cited source gives is not (the
conversation is handed off instead)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loyaldesk.assistant.dialog.llm import Source, check_answer
from loyaldesk.assistant.dialog.llm_drafts import write_drafts
from loyaldesk.assistant.dialog.models import AssistantConversation
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from tests.assistant.dialogue.helpers import (
    FakeTool,
    enable_assistant,
    replies_after,
    widget,
)
from tests.factories import StoreHandle
from tests.servers import free_port
from tests.support.desk import hello, send_message


@dataclass
class FakeLlm:
    url: str
    answer: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def fake_llm() -> Iterator[FakeLlm]:
    port = free_port()
    llm = FakeLlm(url=f"http://127.0.0.1:{port}/v1")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            llm.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            reply = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": llm.answer}}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield llm
    server.shutdown()
    server.server_close()


def _ask(
    client: TestClient, db: Database, store: StoreHandle, llm: FakeLlm, answer: str
) -> tuple[dict[str, Any], int]:
    enable_assistant(db, store, llm_base_url=llm.url, llm_model="tiny-model", llm_api_key="sk-test-12345678")
    llm.answer = answer
    fake_llm_requests_before = len(llm.requests)
    with widget(client, store) as ws:
        hello(ws)
        ack = send_message(ws, "How fast do you ship?", "c-1")
        dispatch_until_idle(db)  # the turn leaves the answer to the LLM...
        assert fake_llm_requests_before == len(llm.requests)  # ...which is not asked inside it
        write_drafts(db)  # the server's job, outside any transaction
        return replies_after(ws, db), ack["conversation_id"]


def test_a_cited_answer_is_sent_with_its_sources_links(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    fake_llm: FakeLlm,
    assistant_world: dict[str, FakeTool],
):
    reply, _ = _ask(
        client, db, store, fake_llm, "We ship every order within 2 working days [a12], from Leipzig [a12]."
    )
    assert "We ship every order within 2 working days, from Leipzig." in reply["body_html"]
    assert "[a12]" not in reply["body_html"]
    assert "https://help.example.com/acme/articles/12-shipping-times" in reply["body_html"]
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test-12345678"
    prompt = request["body"]["messages"][1]["content"]
    # Only the sources (with their ids) and the question reach the model.
    assert "[a12] Shipping times" in prompt and "How fast do you ship?" in prompt
    with db.read() as session:  # settled: nothing waits for the model any more (SQL NULL, not JSON null)
        waiting = session.scalar(
            select(func.count())
            .select_from(AssistantConversation)
            .where(AssistantConversation.llm_draft.is_not(None))
        )
    assert waiting == 0


@pytest.mark.parametrize(
    "answer",
    [
        "We ship quickly, usually the same day.",  # cites nothing
        "We ship within 5 working days [a12].",  # a number no source gives
        "Your order #1001 ships tomorrow [a12].",  # an order number from nowhere
        "We ship within 2 working days [a99].",  # a source it was not given
        "NO_ANSWER",
    ],
)
def test_an_unsupported_answer_is_not_sent_and_a_person_takes_over(
    client: TestClient,
    db: Database,
    store: StoreHandle,
    fake_llm: FakeLlm,
    assistant_world: dict[str, FakeTool],
    answer: str,
):
    reply, conversation_id = _ask(client, db, store, fake_llm, answer)
    assert "passing you to a person" in reply["body_html"]
    assert "5 working days" not in reply["body_html"] and "1001" not in reply["body_html"]
    with db.read() as session:
        state = session.get(AssistantConversation, conversation_id)
        assert state is not None and state.handoff_reason == "unsupported_answer"


def test_check_answer_reads_dates_and_amounts_as_numbers() -> None:
    sources = [Source("t1", "order_status", "Order #1001 was shipped on 3 Dec with DHL, total 49.90 EUR")]
    assert check_answer("Your order #1001 left on 3 Dec [t1].", sources).text is not None
    assert check_answer("It cost 49.90 EUR [t1].", sources).text is not None
    assert check_answer("It cost 59.90 EUR [t1].", sources).refusal is not None
    assert check_answer("It left on 4 Dec [t1].", sources).refusal is not None
