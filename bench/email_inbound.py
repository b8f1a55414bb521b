"""Inbound email throughput on SQLite: messages parsed, loop-guarded, threaded and stored per second.

A store on a fresh SQLite database receives ``--messages`` (default 2,000) emails two ways:

- sequential: ``channels.email.inbound.receive_email`` called in a loop, one durable transaction per
  message, no concurrency (one mail server handing over one message at a time);
- concurrent: the real SMTP receiver (aiosmtpd on 127.0.0.1, ``smtp_receiver.start_receiver``, with its
  write queue) fed by ``--connections`` SMTP client connections at once from a separate process (as
  several mail servers, or one relay with several connections, deliver), each message answered 250 only
  after the durable commit that stored it; messages that arrive together share a commit.

Each run also measures the raw durable commit rate of the same disk (``bench/ingest.py``: one row per
``BEGIN IMMEDIATE``/``COMMIT``, WAL, synchronous=FULL) and the process CPU time per message (for the
concurrent run: the server process only; the clients run in another process).

The mix is what a store's support address sees: 40% new questions (plain text or HTML with a quoted
signature), 45% replies that thread by In-Reply-To/References to an earlier message, 5% with a PDF
attachment, 10% machine mail (auto-replies, bounces, newsletters) that the loop guard drops. Messages
are generated before timing. Reported: messages/s end to end, and separately
``parse_message`` alone and ``parse_message`` + ``classify`` + ``thread_keys`` (the pure part) per
second on the same messages, with the median of ``--repetitions`` runs and the machine it ran on.

    .venv/bin/python bench/email_inbound.py --messages 2000 --repetitions 3 --connections 8

(The issue calls it ``bench/email.py``; a file of that name would stand in for the standard library's
``email`` package for every script in ``bench/``, so it has this name.)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import argparse
import multiprocessing
import os
import platform
import random
import smtplib
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from loyaldesk.channels.email.inbound import receive_email
from loyaldesk.channels.email.loop_guard import classify
from loyaldesk.channels.email.parsing import parse_message
from loyaldesk.channels.email.smtp_receiver import start_receiver
from loyaldesk.channels.email.threading import thread_keys
from loyaldesk.composition import compose
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.kernel.rate_limits import RateLimits
from loyaldesk.stores import actions as store_actions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import raw_sqlite_commits

DOMAIN = "loyaldesk.localhost"
SUPPORT = f"bench@{DOMAIN}"
QUESTIONS = [
    "Where is my order? I ordered last week and have not heard anything since.",
    "Can I exchange the blue jacket for a larger size?",
    "My discount code did not work at checkout, could you help?",
    "The zipper on my bag broke after two days. What can you do?",
]


def generate(count: int, seed: int = 7) -> list[bytes]:
    """``count`` raw emails in the mix described in the module docstring."""
    rng = random.Random(seed)
    sent: list[tuple[str, str, str]] = []  # (message id, sender, subject) of customers' earlier mail
    out: list[bytes] = []
    for n in range(count):
        roll = rng.random()
        message = EmailMessage()
        message["To"] = SUPPORT
        message["Message-ID"] = make_msgid(domain="example.org")
        if roll < 0.10:
            message["From"] = f"auto{n}@example.org"
            kind = rng.choice(["auto", "list"])
            message["Subject"] = "Out of office" if kind == "auto" else "Weekly news"
            message["Auto-Submitted" if kind == "auto" else "List-Id"] = (
                "auto-replied" if kind == "auto" else "<news.example.org>"
            )
            message.set_content("I am away until Monday.")
        elif roll < 0.55 and sent:
            parent_id, sender, subject = rng.choice(sent[-200:])
            message["From"] = sender
            message["Subject"] = f"Re: {subject}"
            message["In-Reply-To"] = parent_id
            message["References"] = parent_id
            message.set_content(
                f"Thanks! One more thing: {rng.choice(QUESTIONS)}\n\nOn Monday you wrote:\n> earlier text"
            )
        else:
            sender = f"Customer {n} <customer{n % 700}@example.org>"
            subject = f"{rng.choice(QUESTIONS)[:40]} #{n}"
            message["From"] = sender
            message["Subject"] = subject
            text = f"Hello,\n\n{rng.choice(QUESTIONS)}\n\nBest,\nCustomer {n}"
            message.set_content(text)
            if rng.random() < 0.5:
                message.add_alternative(
                    f"<p>Hello,</p><p>{rng.choice(QUESTIONS)}</p><p>Best,<br>Customer {n}</p>", subtype="html"
                )
            if rng.random() < 0.09:
                message.add_attachment(
                    b"%PDF-1.4 " + os.urandom(40_000),
                    maintype="application",
                    subtype="pdf",
                    filename="receipt.pdf",
                )
            sent.append((str(message["Message-ID"]).strip("<>"), sender, subject))
        out.append(message.as_bytes())
    return out


def fresh_database(directory: Path) -> tuple[Database, int]:
    url = f"sqlite:///{directory / 'email-bench.db'}"
    upgrade_to_head(url)
    database = Database(url)
    store = database.write(
        store_actions.create_store,
        system_for(None),
        slug="bench",
        name="Bench",
        currency="EUR",
        timezone="Europe/Berlin",
    )
    return database, store.id


def pure_rates(messages: list[bytes], secret: str) -> tuple[float, float]:
    start = time.perf_counter()
    parsed = [parse_message(raw) for raw in messages]
    parse_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for email in parsed:
        classify(email, our_domains=[DOMAIN], our_addresses=[SUPPORT])
        thread_keys(email, reply_domain=DOMAIN, secret=secret)
    guard_seconds = time.perf_counter() - start
    return len(messages) / parse_seconds, len(messages) / (parse_seconds + guard_seconds)


def stored_rate(messages: list[bytes]) -> tuple[float, float, float, dict[str, int]]:
    """Sequential: messages/s, CPU ms per message, SQL statements per message, outcomes."""
    from sqlalchemy import event

    with tempfile.TemporaryDirectory() as tmp:
        database, _ = fresh_database(Path(tmp))
        outcomes: dict[str, int] = {}
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        event.listen(database.engine, "before_cursor_execute", count)
        cpu = time.process_time()
        start = time.perf_counter()
        for raw in messages:
            result = database.write(receive_email, raw, [SUPPORT], mail_domain=DOMAIN)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        database.dispose()
    return len(messages) / seconds, cpu * 1000 / len(messages), statements[0] / len(messages), outcomes


def _send_all(port: int, messages: list[bytes], connections: int, out: Any) -> None:
    """Client process: ``connections`` SMTP sessions at once, each sending its share of ``messages``
    (round robin, so replies mostly arrive after what they answer); reports seconds and replies."""
    ready = threading.Barrier(connections + 1)
    replies: dict[str, int] = {}
    lock = threading.Lock()

    def client(share: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo("bench.example.org")
            ready.wait()
            for raw in share:
                try:
                    smtp.sendmail("sender@example.org", [SUPPORT], raw.replace(b"\n", b"\r\n"))
                    outcome = "250"
                except smtplib.SMTPResponseException as refused:
                    outcome = f"{refused.smtp_code} {refused.smtp_error[:80]!r}"
                with lock:
                    replies[outcome] = replies.get(outcome, 0) + 1

    threads = [threading.Thread(target=client, args=(messages[n::connections],)) for n in range(connections)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    out.put((time.perf_counter() - start, replies))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smtp_rate(messages: list[bytes], connections: int) -> tuple[float, float, dict[str, int], int]:
    """Concurrent, through the SMTP receiver: messages/s, server CPU ms per message, the clients'
    replies, and the durable commits the write queue made for them."""
    with tempfile.TemporaryDirectory() as tmp:
        database, _ = fresh_database(Path(tmp))
        port = _free_port()
        limits = RateLimits({"mail_messages_per_address": "1000000/minute"})  # one relay, all the mail
        controller = start_receiver(database, DOMAIN, host="127.0.0.1", port=port, rate_limits=limits)
        queue = database.write_queue  # None for a receiver without one (one commit per message)
        commits_before = queue.commits if queue is not None else 0
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        sender = context.Process(target=_send_all, args=(port, messages, connections, out))
        cpu = time.process_time()
        sender.start()
        seconds, replies = out.get()
        cpu = time.process_time() - cpu
        sender.join()
        commits = queue.commits - commits_before if queue is not None else len(messages)
        controller.stop()
        database.dispose()
    return len(messages) / seconds, cpu * 1000 / len(messages), replies, commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8, help="SMTP client connections at once")
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    compose()
    messages = generate(args.messages)
    size = sum(len(raw) for raw in messages) / len(messages)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"loyaldesk email bench · commit {commit} · {date.today()} · {platform.platform()}"
        f" · {os.cpu_count()} CPUs"
    )
    print(f"{len(messages)} messages, {size / 1024:.1f} KiB on average")
    raw_rates, parse, pure, stored, stored_cpu, smtp, smtp_cpu = [], [], [], [], [], [], []
    outcomes: dict[str, int] = {}
    replies: dict[str, int] = {}
    commits = 0
    per_message = 0.0
    for _ in range(args.repetitions):
        with tempfile.TemporaryDirectory() as tmp:
            raw_rates.append(raw_sqlite_commits(Path(tmp), 2.0))
        p, g = pure_rates(messages, "bench-secret")
        parse.append(p)
        pure.append(g)
        if not args.skip_sequential:
            s, c, per_message, outcomes = stored_rate(messages)
            stored.append(s)
            stored_cpu.append(c)
        r, c, replies, commits = smtp_rate(messages, args.connections)
        smtp.append(r)
        smtp_cpu.append(c)
    raw = statistics.median(raw_rates)
    print(f"raw durable commits (SQLite):    {raw:8.0f} /s")
    print(f"parse only:                      {statistics.median(parse):8.0f} messages/s")
    print(f"parse + loop guard + thread keys:{statistics.median(pure):8.0f} messages/s")
    if stored:
        rate = statistics.median(stored)
        print(
            f"sequential, receive_email:       {rate:8.0f} messages/s  ({rate / raw:.2f}x raw),"
            f" {statistics.median(stored_cpu):.2f} ms CPU each, {per_message:.1f} SQL statements each"
            f" (BEGIN/COMMIT included; outcomes {outcomes})"
        )
    rate = statistics.median(smtp)
    print(
        f"SMTP, {args.connections} connections:           {rate:8.0f} messages/s  ({rate / raw:.2f}x raw),"
        f" {statistics.median(smtp_cpu):.2f} ms server CPU each  (replies {replies}, {commits} commits)"
    )
    print(
        f"every repetition: raw {[round(x) for x in raw_rates]}, sequential {[round(x) for x in stored]},"
        f" SMTP {[round(x) for x in smtp]}"
    )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
