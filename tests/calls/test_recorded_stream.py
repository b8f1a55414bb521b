"""A real rrweb stream of a checkout page recorded in Chromium with the client's masking off
(tests/data/cobrowse/README.md): every canary is in what the browser sent, none in what the server
relays, and the page itself (headings, buttons, the allow-listed search) still shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from loyaldesk.calls import StreamSanitiser

STREAM = Path(__file__).parent.parent / "data" / "cobrowse" / "checkout_rrweb_stream.json"
CANARY = re.compile(r"CANARY-[a-z-]+-\d+")


def test_no_canary_of_a_real_recording_survives_the_server() -> None:
    events = json.loads(STREAM.read_text())
    sent = json.dumps(events)
    assert (
        len(set(CANARY.findall(sent))) >= 15 and "4242" in sent and "4111" in sent
    )  # the client masked nothing

    # as the gateway would receive it: in batches
    sanitiser = StreamSanitiser()
    relayed = [
        event for start in range(0, len(events), 7) for event in sanitiser.clean(events[start : start + 7])
    ]
    text = json.dumps(relayed)
    assert "CANARY" not in text and "4242" not in text and "4111" not in text
    for shown in ("Checkout", "Pay now", "Germany", "red shoes"):
        assert shown in text, shown
    assert len(relayed) == len(events)  # nothing of rrweb's own was dropped (no logs or custom events here)
