"""Video calls: how long a call takes to connect once answered, directly and through a TURN relay.

The same flow as tests/e2e/test_video_call_browser.py (tests/e2e/call_flow.py), run ``--calls`` times per
route: a real loyaldesk server on 127.0.0.1 (SQLite, the system clock), two Chromium contexts with a fake
camera and microphone, an agent in the console ringing the shopper of a chat conversation and the shopper
answering with video in the widget. Measured on the shopper's page: from the click on "Answer with video"
to its RTCPeerConnection's 'connected' (the answer going through the calls action and the gateway, the
agent's offer, the shopper's answer, ICE and DTLS). Routes: ``direct`` (host candidates) and ``relay``
(``calls_force_relay`` with Debian's coturn started on a loopback port, as the tests start it).

The raw limit in the same run: two RTCPeerConnections in one page with the same ICE servers and policy,
signalled in-page (no server), from the offer to 'connected'. Each call is reported as a ratio to the
median raw time of its route (the machine's neighbours swing absolute figures).

    .venv/bin/python bench/calls_connect.py --calls 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ helpers: the call flow, the TURN server, the test server

RAW_SCRIPT = """async (config) => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  for (const track of stream.getTracks()) a.addTrack(track, stream);
  b.ontrack = () => {};
  const started = performance.now();
  const connected = new Promise((resolve) => {
    b.onconnectionstatechange = () => b.connectionState === 'connected' && resolve(performance.now());
  });
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  for (const track of stream.getTracks()) b.addTrack(track.clone(), stream);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const at = await connected;
  a.close(); b.close(); for (const track of stream.getTracks()) track.stop();
  return at - started;
}"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


@contextmanager
def server(folder: Path, extra_settings: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """A migrated SQLite database, the store, and the app served on 127.0.0.1: (base url, db, store)."""
    from tests.factories import make_store
    from tests.servers import serve_in_thread

    from loyaldesk.composition import compose
    from loyaldesk.kernel.db import Database
    from loyaldesk.kernel.migrations import upgrade_to_head
    from loyaldesk.runtime import Runtime
    from loyaldesk.settings import Settings

    url = f"sqlite:///{folder / 'calls.db'}"
    upgrade_to_head(url)
    settings = Settings(
        database_url=url,
        data_dir=folder / "var",
        secret_key="bench-secret-key",
        run_background_jobs=False,
        redis_url=None,
        **extra_settings,
    )
    compose(settings)
    db = Database(url)
    store = make_store(db, "acme")
    runtime = Runtime(settings, database=db)
    with serve_in_thread(runtime) as base:
        yield base, db, store
    db.dispose()


def one_route(route: str, calls: int, folder: Path, browser: Any) -> dict[str, Any]:
    from tests.e2e import call_flow as flow
    from tests.factories import TEST_PASSWORD
    from tests.turn_server import running_turn_server

    from loyaldesk.calls import ice_servers_for, ice_transport_policy
    from loyaldesk.stores.passwords import hash_password

    with ExitStack() as stack:
        extra: dict[str, Any] = {}
        if route == "relay":
            turn = stack.enter_context(running_turn_server())
            extra = turn.settings()
        base, db, store = stack.enter_context(server(folder / route, extra))
        agent, shopper = flow.new_page(browser), flow.new_page(browser)
        flow.log_in_agent(agent, base, db, store, hash_password(TEST_PASSWORD))
        flow.open_inbox(agent, base, store)
        flow.open_widget(shopper, base, db, store)
        conversation_id = flow.start_conversation(shopper, agent)

        class Media:  # the ICE configuration the calls get, for the raw pair
            turn_urls = tuple(extra.get("turn_urls", ()))
            turn_secret = str(extra.get("turn_secret", ""))
            turn_credential_seconds = 3600
            stun_urls: tuple[str, ...] = ()
            calls_force_relay = bool(extra.get("calls_force_relay", False))

        from datetime import UTC, datetime

        config = {
            "iceServers": ice_servers_for(Media, 0, datetime.now(UTC)),  # type: ignore[arg-type]
            "iceTransportPolicy": ice_transport_policy(Media),  # type: ignore[arg-type]
        }
        connects: list[float] = []
        raws: list[float] = []
        pairs: set[str] = set()
        for _ in range(calls):
            raws.append(float(shopper.evaluate(RAW_SCRIPT, config)))
            flow.open_inbox(agent, base, store, conversation_id)
            agent.locator("[data-call-start='video']").click()
            agent.wait_for_url(f"**/console/{store.slug}/calls/*")
            shopper.get_by_role("alertdialog").get_by_role("button", name="Answer with video").click()
            flow.wait_connected(shopper)
            flow.wait_connected(agent)
            measured = flow.connect_ms(shopper)
            assert measured is not None
            connects.append(measured)
            found = flow.stats(shopper)
            pairs.add(f"{found['pair']['local']}/{found['pair']['remote']}" if found["pair"] else "?")
            agent.get_by_role("button", name="Hang up").click()
            shopper.locator("[data-call][data-state='ended']").last.wait_for()
        agent.context.close()
        shopper.context.close()
    raw_median = statistics.median(raws)
    ratios = [value / raw_median for value in connects]
    return {
        "route": route,
        "calls": calls,
        "candidate_pairs": sorted(pairs),
        "connect_ms": {
            "p50": percentile(connects, 0.5),
            "p95": percentile(connects, 0.95),
            "max": max(connects),
        },
        "raw_pair_ms": {"p50": raw_median, "p95": percentile(raws, 0.95)},
        "ratio_to_raw": {"p50": percentile(ratios, 0.5), "p95": percentile(ratios, 0.95)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20, help="calls per route")
    parser.add_argument("--route", action="append", choices=["direct", "relay"], help="default: both")
    options = parser.parse_args()
    from tests.e2e import call_flow as flow

    results = []
    with tempfile.TemporaryDirectory() as folder, flow.media_browser() as browser:
        for route in options.route or ["direct", "relay"]:
            started = time.monotonic()
            result = one_route(route, options.calls, Path(folder), browser)
            result["seconds"] = round(time.monotonic() - started, 1)
            results.append(result)
            connect, raw, ratio = result["connect_ms"], result["raw_pair_ms"], result["ratio_to_raw"]
            print(
                f"{route:>6}: connect p50 {connect['p50']:.0f} ms, p95 {connect['p95']:.0f} ms"
                f" (raw in-page pair p50 {raw['p50']:.0f} ms; ratio p50 {ratio['p50']:.2f},"
                f" p95 {ratio['p95']:.2f}); pairs {', '.join(result['candidate_pairs'])}",
                flush=True,
            )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
