"""calls.media: ICE servers with coturn's REST-API credentials, the relay policy, the media server adapters,
and the settings that refuse to load when they do not hang together. The credential is proven against a
real coturn (a TURN allocation succeeds with it, and fails with a wrong or expired one)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import ValidationError

from loyaldesk.calls.media import (
    ice_servers_for,
    ice_transport_policy,
    jitsi_room_name,
    media_room_for,
    turn_password,
    turn_username,
)
from loyaldesk.settings import Settings
from tests.turn_server import running_turn_server

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def call_settings(**values: object) -> Settings:
    return Settings(database_url="sqlite://", secret_key="s", **values)  # type: ignore[arg-type]


def test_no_ice_servers_without_stun_or_turn() -> None:
    settings = call_settings()
    assert ice_servers_for(settings, 1, NOW) == []
    assert ice_transport_policy(settings) == "all"


def test_turn_credential_is_coturns_rest_api_formula() -> None:
    settings = call_settings(
        stun_urls="stun:stun.example.com:3478",
        turn_urls="turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349?transport=tcp",
        turn_secret="north-wind",
        turn_credential_seconds=3600,
    )
    stun, turn = ice_servers_for(settings, 42, NOW)
    assert stun == {"urls": ["stun:stun.example.com:3478"]}
    expiry = int((NOW + timedelta(hours=1)).timestamp())
    assert turn["urls"] == [
        "turn:turn.example.com:3478?transport=udp",
        "turns:turn.example.com:5349?transport=tcp",
    ]
    assert turn["username"] == f"{expiry}:call-42"
    # What coturn computes (ns_turn_utils / "TURN REST API"): base64 of the HMAC-SHA1 of the username.
    expected = base64.b64encode(
        hmac.new(b"north-wind", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    assert len(base64.b64decode(turn["credential"])) == 20


def test_credential_expiry_follows_the_setting_and_the_session() -> None:
    settings = call_settings(turn_urls="turn:t.example:3478", turn_secret="x", turn_credential_seconds=600)
    first = ice_servers_for(settings, 7, NOW)[0]
    later = ice_servers_for(settings, 7, NOW + timedelta(seconds=30))[0]
    other_call = ice_servers_for(settings, 8, NOW)[0]
    assert first["username"].split(":") == [str(int(NOW.timestamp()) + 600), "call-7"]
    assert later["username"] != first["username"]
    assert other_call["credential"] != first["credential"]


def test_force_relay_is_the_relay_policy() -> None:
    settings = call_settings(turn_urls="turn:t.example:3478", turn_secret="x", calls_force_relay=True)
    assert ice_transport_policy(settings) == "relay"


def test_peer_adapter_is_the_default() -> None:
    room = media_room_for(
        call_settings(), session_id=3, identity="agent-1", display_name="A", now=NOW, room_secret="k"
    )
    assert room.as_json() == {"adapter": "peer", "room": None, "url": None, "token": None}


def test_livekit_adapter_signs_a_token_for_one_room() -> None:
    settings = call_settings(
        media_server="livekit",
        livekit_url="wss://livekit.example.com",
        livekit_api_key="APIkey1",
        livekit_api_secret="a-long-livekit-secret-of-32-bytes!",
    )
    room = media_room_for(
        settings, session_id=9, identity="shopper-4", display_name="Ada", now=NOW, room_secret="k"
    )
    assert (room.adapter, room.room, room.url) == ("livekit", "loyaldesk-call-9", "wss://livekit.example.com")
    assert room.token is not None
    claims = jwt.decode(
        room.token,
        "a-long-livekit-secret-of-32-bytes!",
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert claims["iss"] == "APIkey1"
    assert claims["sub"] == "shopper-4"
    assert claims["name"] == "Ada"
    assert claims["video"] == {
        "room": "loyaldesk-call-9",
        "roomJoin": True,
        "canPublish": True,
        "canSubscribe": True,
    }
    assert claims["exp"] - claims["nbf"] == 6 * 3600
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(room.token, "another-secret-of-enough-length!!!", algorithms=["HS256"])


def test_jitsi_adapter_names_an_unguessable_room_on_the_domain() -> None:
    settings = call_settings(media_server="jitsi", jitsi_domain="meet.example.com")
    room = media_room_for(
        settings, session_id=5, identity="agent-1", display_name="A", now=NOW, room_secret="k1"
    )
    assert room.adapter == "jitsi"
    assert room.room is not None and room.room.startswith("loyaldesk-call-5-")
    assert room.url == f"https://meet.example.com/{room.room}"
    assert jitsi_room_name(5, "k1") == room.room
    assert jitsi_room_name(5, "k2") != room.room
    assert room.token is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"media_server": "livekit"}, "livekit_url"),
        ({"media_server": "livekit", "livekit_url": "wss://x", "livekit_api_key": "k"}, "livekit_api_secret"),
        (
            {
                "media_server": "livekit",
                "livekit_url": "x.example",
                "livekit_api_key": "k",
                "livekit_api_secret": "s",
            },
            "livekit_url",
        ),
        ({"media_server": "jitsi"}, "jitsi_domain"),
        ({"media_server": "jitsi", "jitsi_domain": "https://meet.example.com"}, "jitsi_domain"),
        ({"media_server": "zoom"}, "media_server"),
        ({"turn_urls": "turn:t.example:3478"}, "turn_secret"),
        ({"turn_urls": "http://t.example", "turn_secret": "x"}, "turn_urls"),
        ({"stun_urls": "t.example:3478"}, "stun_urls"),
        ({"calls_force_relay": True}, "calls_force_relay"),
        (
            {"turn_urls": "turn:t.example", "turn_secret": "x", "turn_credential_seconds": 10},
            "turn_credential_seconds",
        ),
    ],
)
def test_settings_name_the_bad_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        call_settings(**values)
    assert field in str(refused.value)


def test_settings_read_comma_separated_urls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOYALDESK_TURN_URLS", "turn:a.example:3478?transport=udp,turns:a.example:5349")
    monkeypatch.setenv("LOYALDESK_TURN_SECRET", "s")
    monkeypatch.setenv("LOYALDESK_STUN_URLS", "stun:a.example:3478")
    settings = Settings(database_url="sqlite://", secret_key="s")
    assert settings.turn_urls == ("turn:a.example:3478?transport=udp", "turns:a.example:5349")
    assert settings.stun_urls == ("stun:a.example:3478",)


async def allocate(server_port: int, username: str, password: str) -> tuple[str, int]:
    """A TURN allocation on coturn with these credentials (aioice); returns the relayed address."""
    from aioice.turn import create_turn_endpoint

    transport, _ = await create_turn_endpoint(
        asyncio.DatagramProtocol, ("127.0.0.1", server_port), username, password, lifetime=60
    )
    try:
        relayed = transport.get_extra_info("sockname")
        return relayed[0], relayed[1]
    finally:
        transport.close()


def test_coturn_accepts_the_credential_and_refuses_a_wrong_or_expired_one() -> None:
    pytest.importorskip("aioice")
    with running_turn_server() as turn:
        settings = call_settings(turn_urls=turn.url, turn_secret=turn.secret, turn_credential_seconds=600)
        server = ice_servers_for(settings, 11, datetime.now(UTC))[0]
        host, port = asyncio.run(allocate(turn.port, server["username"], server["credential"]))
        assert host == "127.0.0.1" and port > 0

        with pytest.raises(Exception, match=r"401|Unauthorized"):
            asyncio.run(
                allocate(turn.port, server["username"], turn_password("not-the-secret", server["username"]))
            )

        expired = turn_username(11, datetime.now(UTC) - timedelta(seconds=5))
        with pytest.raises(Exception, match=r"401|Unauthorized"):
            asyncio.run(allocate(turn.port, expired, turn_password(turn.secret, expired)))
