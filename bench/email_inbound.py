"""Inbound email throughput on SQLite: messages parsed, loop-guarded, threaded and stored per second.

A store on a fresh SQLite database receives ``--messages`` (default 2,000) emails through
``channels.email.inbound.receive_email``, the function the SMTP receiver calls, one durable transaction per
message (as the receiver does). The mix is what a store's support address sees: 40% new questions (plain
text or HTML with a quoted signature), 45% replies that thread by In-Reply-To/References to an earlier
message, 5% with a PDF attachment, 10% machine mail (auto-replies, bounces, newsletters) that the loop
guard drops. Messages are generated before timing. Reported: messages/s end to end, and separately
``parse_message`` alone and ``parse_message`` + ``classify`` + ``thread_keys`` (the pure part) per
second on the same messages, with the median of ``--repetitions`` runs and the machine it ran on.

    .venv/bin/python bench/email_inbound.py --messages 2000 --repetitions 3

(The issue calls it ``bench/email.py``; a file of that name would stand in for the standard library's
``email`` package for every script in ``bench/``, so it has this name.)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import argparse
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid

from loyaldesk.channels.email.inbound import receive_email
from loyaldesk.channels.email.loop_guard import classify
from loyaldesk.channels.email.parsing import parse_message
from loyaldesk.channels.email.threading import thread_keys
from loyaldesk.composition import compose
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.stores import actions as store_actions

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


def stored_rate(messages: list[bytes]) -> tuple[float, dict[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        database, _ = fresh_database(Path(tmp))
        outcomes: dict[str, int] = {}
        start = time.perf_counter()
        for raw in messages:
            result = database.write(receive_email, raw, [SUPPORT], mail_domain=DOMAIN)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        seconds = time.perf_counter() - start
        database.dispose()
    return len(messages) / seconds, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repetitions", type=int, default=3)
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
    parse, pure, stored = [], [], []
    outcomes: dict[str, int] = {}
    for _ in range(args.repetitions):
        p, g = pure_rates(messages, "bench-secret")
        s, outcomes = stored_rate(messages)
        parse.append(p)
        pure.append(g)
        stored.append(s)
    print(f"parse only:                      {statistics.median(parse):8.0f} messages/s")
    print(f"parse + loop guard + thread keys:{statistics.median(pure):8.0f} messages/s")
    print(
        f"end to end, stored (SQLite):     {statistics.median(stored):8.0f} messages/s  (outcomes {outcomes})"
    )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
