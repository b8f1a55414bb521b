"""A fake Twilio-compatible Messages API on 127.0.0.1, in a thread: it checks basic auth and the
``Idempotency-Key`` header, records what it was sent, answers as Twilio does (201 with the message's
``sid``; 400 with code 21211 for a number it calls invalid; a queue of statuses to answer first, such as
503 once), deduplicates by idempotency key, and posts signed status callbacks back to loyaldesk."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from loyaldesk.channels.sms.signature import SIGNATURE_HEADER, twilio_signature

SID = "AC" + "1" * 32
TOKEN = "fake-auth-token-0123456789"
INVALID_NUMBER = "+15005550001"  # Twilio's own test number for "not a valid phone number"


@dataclass
class Received:
    path: str
    form: dict[str, str]
    headers: dict[str, str]
    status: int


@dataclass
class FakeProvider:
    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    messages: dict[str, dict[str, str]] = field(default_factory=dict)  # sid -> form
    by_key: dict[str, str] = field(default_factory=dict)  # idempotency key -> sid
    answer_first: list[int] = field(default_factory=list)  # statuses to answer before accepting
    delay_seconds: float = 0.0  # how long to think before answering (timeouts)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        status, answer = self._answer(path, headers, form)
        with self.lock:
            self.requests.append(Received(path, form, headers, status))
        return status, answer

    def _answer(self, path: str, headers: dict[str, str], form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path != f"/2010-04-01/Accounts/{SID}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        key = headers.get("idempotency-key")
        if not key:
            return 400, {"code": 99999, "message": "the fake wants an Idempotency-Key", "status": 400}
        with self.lock:
            if self.answer_first:
                status = self.answer_first.pop(0)
                return status, {"code": 20500, "message": "Internal Server Error", "status": status}
            if key in self.by_key:
                sid = self.by_key[key]
                return 201, {"sid": sid, "status": "queued", "to": self.messages[sid]["To"]}
        if not form.get("To") or not form.get("Body"):
            return 400, {
                "code": 21604,
                "message": "A 'To' phone number and a 'Body' are required.",
                "status": 400,
            }
        if form["To"] == INVALID_NUMBER:
            return 400, {
                "code": 21211,
                "message": f"The 'To' number {form['To']} is not a valid phone number.",
                "status": 400,
            }
        with self.lock:
            sid = f"SM{len(self.messages) + 1:032x}"
            self.messages[sid] = form
            self.by_key[key] = sid
        return 201, {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]}

    def report(self, sid: str, status: str, *, deliver_to: str, token: str = TOKEN, **extra: str) -> int:
        """Post a status callback for message ``sid`` as the provider would: to the ``StatusCallback``
        it was given (signed for that public URL), sent to ``deliver_to`` (loyaldesk's real address, as
        a reverse proxy would); returns the HTTP status loyaldesk answered."""
        callback = self.messages[sid]["StatusCallback"]
        params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": SID, **extra}
        signature = twilio_signature(token, callback, params.items())
        target = deliver_to.rstrip("/") + urlsplit(callback).path
        response = httpx.post(target, data=params, headers={SIGNATURE_HEADER: signature}, timeout=10)
        return response.status_code


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if provider.delay_seconds:
                time.sleep(provider.delay_seconds)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = provider.handle(urlsplit(self.path).path, headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
