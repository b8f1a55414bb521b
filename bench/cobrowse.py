"""Co-browsing latency and bandwidth: a change on the shopper's page until it shows in the agent's replayer.

Two Chromium pages (Debian's /usr/bin/chromium, Playwright) on one machine: the shopper on a store page of
its own origin with the chat widget, sharing the page (after consent, as a shopper does); the agent on the
console's co-browsing page (rrweb's Replayer, live). The shopper's page then rewrites a timestamped element
``--changes`` times (default 200) every ``--interval-ms`` (100: ~10 changes a second); each change carries
``performance.timeOrigin + performance.now()`` of the shopper's page, and the agent's page notes the same
clock when the text appears in the replayed page (polled every 2 ms). Both pages run in one browser on one
machine, so the two clocks are one. Reported: p50/p95/p99/max of the delay over the changes seen, the
changes missed, and the bytes per second the agent's socket received over the run (the stream's
bandwidth for a page changing ten times a second; the first full snapshot is counted apart).

Goal (issue 20): p95 < 500 ms. The server is loyaldesk on SQLite in a thread of this process (uvicorn),
like the browser tests.

    PYTHONPATH=src:. python bench/cobrowse.py [--changes 200] [--interval-ms 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from tests.factories import TEST_PASSWORD, make_staff, make_store
from tests.servers import serve_in_thread

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores.passwords import hash_password
from loyaldesk.support import Conversation

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

STAMP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench shop</title></head>
<body><h1>Bench shop</h1><p>Text of a product page, some paragraphs long.</p>
<p id="stamp">0</p>
{widget}
</body></html>"""


def serve_page(desk: str) -> tuple[ThreadingHTTPServer, str]:
    loader = f"{desk}/static/widget/loader.js"
    body = STAMP_PAGE.replace(
        "{widget}", f'<script type="module" src="{loader}" data-loyaldesk-widget data-store="acme"></script>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the standard library's name for it
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def run(changes: int, interval_ms: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-cobrowse-"))
    url = f"sqlite:///{folder / 'loyaldesk.db'}"
    upgrade_to_head(url)
    database = Database(url)
    store = make_store(database, "acme")
    email = make_staff(database, store, "agent", hash_password(TEST_PASSWORD))
    settings = Settings(
        database_url=url, data_dir=folder / "var", secret_key="bench-secret", run_background_jobs=False
    )
    runtime = Runtime(settings, database=database)
    with serve_in_thread(runtime) as desk, sync_playwright() as playwright:
        site, site_url = serve_page(desk)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        agent = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        shopper = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        received: list[int] = []  # the size of every frame the agent's page receives

        def count(socket: Any) -> None:
            socket.on("framereceived", lambda payload: received.append(len(payload)))

        agent.on("websocket", count)
        agent.goto(f"{desk}/login")
        agent.get_by_label("Email").fill(email)
        agent.get_by_label("Password").fill(TEST_PASSWORD)
        agent.get_by_role("button", name="Log in").click()
        agent.wait_for_url("**/customers")
        agent.goto(f"{desk}/console/acme/inbox")
        shopper.goto(site_url)
        shopper.get_by_role("button", name="Chat with us").click()
        shopper.get_by_label("Your message").fill("Can you look at my page?")
        shopper.get_by_role("button", name="Send", exact=True).click()
        expect(shopper.locator(".ldw-sending")).to_have_count(0)
        with database.read() as session:
            conversation_id = session.scalars(
                select(Conversation.id).order_by(Conversation.id.desc())
            ).first()
        agent.goto(f"{desk}/console/acme/inbox?c={conversation_id}")
        agent.get_by_role("button", name="Ask to see their screen").click()
        agent.wait_for_url("**/cobrowse/*")
        shopper.get_by_role("button", name="Share this page").click()
        replayed = agent.frame_locator(".replayer-wrapper iframe")
        expect(replayed.get_by_text("Bench shop")).to_be_visible(timeout=20_000)
        snapshot_bytes = sum(received)
        received.clear()
        agent.evaluate(
            """() => {
              window.seen = {};
              let last = null;
              setInterval(() => {
                const frame = document.querySelector('.replayer-wrapper iframe');
                const node = frame?.contentDocument?.getElementById('stamp');
                const text = node?.textContent;
                if (text && text !== last) {
                  last = text;
                  window.seen[text] = performance.timeOrigin + performance.now();
                }
              }, 2);
            }"""
        )
        started = shopper.evaluate(
            """([count, every]) => new Promise((done) => {
              const stamps = [];
              let left = count;
              const node = document.getElementById('stamp');
              const begin = performance.timeOrigin + performance.now();
              const tick = () => {
                const now = performance.timeOrigin + performance.now();
                node.textContent = now.toFixed(3);
                stamps.push(node.textContent);
                if (--left > 0) setTimeout(tick, every); else done({ stamps, begin, end: now });
              };
              tick();
            })""",
            [changes, interval_ms],
        )
        agent.wait_for_timeout(2000)  # the last changes arrive
        seen: dict[str, float] = agent.evaluate("window.seen")
        stream_bytes = sum(received)
        browser.close()
        site.shutdown()
    delays = [seen[stamp] - float(stamp) for stamp in started["stamps"] if stamp in seen]
    seconds = (started["end"] - started["begin"]) / 1000 + 2.0
    return {
        "changes": changes,
        "interval_ms": interval_ms,
        "seen": len(delays),
        "missed": changes - len(delays),
        "p50_ms": round(percentile(delays, 0.50), 1),
        "p95_ms": round(percentile(delays, 0.95), 1),
        "p99_ms": round(percentile(delays, 0.99), 1),
        "max_ms": round(max(delays), 1),
        "mean_ms": round(statistics.fmean(delays), 1),
        "stream_bytes_per_second": round(stream_bytes / seconds),
        "first_snapshot_bytes": snapshot_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--interval-ms", type=int, default=100)
    arguments = parser.parse_args()
    result = run(arguments.changes, arguments.interval_ms)
    print(json.dumps(result, indent=2))
    print(
        f"| co-browsing: a page change to the agent's replayer ({result['changes']} changes at "
        f"{1000 // result['interval_ms']}/s, one machine) | p50 {result['p50_ms']} ms · "
        f"p95 {result['p95_ms']} ms · "
        f"p99 {result['p99_ms']} ms ({result['missed']} missed) | {result['stream_bytes_per_second']:,} B/s; "
        f"first snapshot {result['first_snapshot_bytes']:,} B |"
    )


if __name__ == "__main__":
    main()
