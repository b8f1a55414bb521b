"""The question reaches buyers through journeys' send step: delivered by email to those who did not opt
out, with the question's title and the link to answer it, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loyaldesk import community
from loyaldesk.community import CommunitySettingsIn
from loyaldesk.journeys import Channel, register_adapter, set_consent
from loyaldesk.journeys.actions.deliver import deliver_due
from loyaldesk.journeys.ports import ADAPTERS
from tests.community.conftest import GRINDER, Forum
from tests.journeys.conftest import CONFIG, RecordingChannel


@pytest.fixture
def email_channel() -> Iterator[RecordingChannel]:
    saved = ADAPTERS.get("email")
    channel = RecordingChannel("email")
    register_adapter(channel)
    yield channel
    if saved is not None:
        register_adapter(saved)


def test_buyers_who_did_not_opt_out_get_the_question_once(
    forum: Forum, email_channel: RecordingChannel
) -> None:
    forum.write(
        community.save_community_settings,
        store_id=forum.store.id,
        actor=forum.admin,
        settings_in=CommunitySettingsIn(buyers_to_notify=6),
    )
    forum.write(
        set_consent,
        forum.store.id,
        forum.people["bob"],
        Channel.EMAIL,
        granted=False,
        source="preference_page",
    )
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Does it fit a 58 mm portafilter?",
        body="Asking before I buy.",
        space_kind="product_qa",
        product_id=GRINDER,
        customer_id=forum.people["ann"],
    )
    assert deliver_due(forum.db, CONFIG) >= 5
    assert deliver_due(forum.db, CONFIG) == 0  # nothing left: each once
    delivered = {message.recipient.customer_id: message for message in email_channel.delivered}
    expected = {forum.people[name] for name in ("cleo", "dan", "eve", "fay", "gus")}
    assert set(delivered) == expected  # bob opted out; ann asked; hal and ivy did not buy it
    message = delivered[forum.people["cleo"]]
    assert "Does it fit a 58 mm portafilter?" in message.text
    assert f"https://desk.example.com/m/acme/community/threads/{thread_id}" in message.text
