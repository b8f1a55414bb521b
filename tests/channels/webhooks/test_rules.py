"""The pure rules of outgoing webhooks: the retry schedule with its jitter, subscriptions, URLs, the
vocabulary of delivery statuses, and signatures the reference library accepts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from loyaldesk.channels.webhooks import signing
from loyaldesk.channels.webhooks.models import WebhookDelivery
from loyaldesk.channels.webhooks.rules import RETRY_SCHEDULE, retry_delay, subscribes_to, url_problems
from loyaldesk.channels.webhooks.vocab import DELIVERY_STATUS_LABELS, DeliveryStatus
from loyaldesk.kernel.outbound import OutboundPolicy
from tests.vocab_checks import assert_column_holds, assert_labelled


def test_retries_back_off_to_every_ten_hours_with_jitter() -> None:
    rng = random.Random(7)
    expected = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    expected += [timedelta(hours=5), timedelta(hours=10), timedelta(hours=10), timedelta(hours=10)]
    for attempts, base in enumerate(expected, start=1):
        for _ in range(50):
            delay = retry_delay(attempts, rng)
            assert base * 0.9 <= delay <= base * 1.1, (attempts, delay)
    assert len({retry_delay(1, rng) for _ in range(20)}) > 1  # spread, not all at once
    assert RETRY_SCHEDULE[-1] == timedelta(hours=10)


def test_subscriptions() -> None:
    assert subscribes_to(["*"], "order.paid")
    assert subscribes_to(["order.paid"], "order.paid")
    assert not subscribes_to(["order.paid"], "order.placed")


def test_urls() -> None:
    strict, open_ = OutboundPolicy(), OutboundPolicy(allow_private_network=True)
    assert url_problems("https://shop.example.com/hooks?x=1", strict) == []
    assert url_problems("http://127.0.0.1:8080/in", open_) == []
    assert url_problems("http://localhost/in", open_) == []
    for url in ("http://shop.example.com/in", "http://10.0.0.1/in"):
        assert url_problems(url, open_), url  # plain http only to this machine
    for url in ("http://127.0.0.1/in", "https://192.168.1.2/in", "https://localhost/in", "https://[::1]/"):
        assert url_problems(url, strict), url
    for url in ("https://a b.example.com/", "https://x.example.com/\x00", "https://x.example.com:99999/"):
        assert [problem.field for problem in url_problems(url, open_)] == ["url"], url


def test_the_reference_library_accepts_our_signatures() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(signing.secret_key(secret)) == 24
    body = '{"id":1,"type":"order.paid","data":{"note":"ünïcode"}}'.encode()
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers(secret, "msg_1", now, body)
    assert Webhook(secret).verify(body, headers)["type"] == "order.paid"
    assert headers["webhook-signature"] == Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(now, UTC), body
    )


def test_delivery_statuses_are_labelled_and_fit_their_column() -> None:
    assert_labelled(DeliveryStatus, DELIVERY_STATUS_LABELS)
    assert_column_holds(WebhookDelivery.status, DeliveryStatus)
