"""What a call's browsers need to reach each other: ICE servers (STUN, TURN with short-lived credentials)
and, where a store runs a larger media server, the adapter that names its room and signs its token.

Pure: no I/O, no clock, no settings lookup. The caller passes the install's settings (anything with the
attributes of :class:`MediaSettings`, such as ``loyaldesk.settings.Settings``) and the time.

TURN credentials follow coturn's "TURN REST API" (``use-auth-secret`` with ``static-auth-secret``): the
username is ``"<expiry unix time>:call-<session id>"`` and the password is
``base64(HMAC-SHA1(secret, username))``. coturn recomputes the same HMAC and refuses the username once its
expiry has passed, so a credential handed to one call's browser is worthless to anyone a day later and
the secret itself never leaves the server (docs/calls.md, decision 0040).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import jwt

MediaServerName = Literal["peer", "livekit", "jitsi"]
MEDIA_SERVER_NAMES: tuple[MediaServerName, ...] = ("peer", "livekit", "jitsi")
IceTransportPolicy = Literal["all", "relay"]

LIVEKIT_TOKEN_SECONDS = 6 * 3600


class MediaSettings(Protocol):
    """The settings a call's media needs (``loyaldesk.settings.Settings`` has them all)."""

    @property
    def turn_urls(self) -> tuple[str, ...]: ...
    @property
    def turn_secret(self) -> str: ...
    @property
    def turn_credential_seconds(self) -> int: ...
    @property
    def stun_urls(self) -> tuple[str, ...]: ...
    @property
    def calls_force_relay(self) -> bool: ...
    @property
    def media_server(self) -> str: ...
    @property
    def livekit_url(self) -> str: ...
    @property
    def livekit_api_key(self) -> str: ...
    @property
    def livekit_api_secret(self) -> str: ...
    @property
    def jitsi_domain(self) -> str: ...


def turn_username(session_id: int, expires_at: datetime) -> str:
    """coturn's REST-API username for one call: ``"<expiry unix seconds>:call-<session id>"``."""
    return f"{int(expires_at.timestamp())}:call-{session_id}"


def turn_password(secret: str, username: str) -> str:
    """coturn's REST-API password for ``username``: ``base64(HMAC-SHA1(secret, username))``."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def ice_servers_for(settings: MediaSettings, session_id: int, now: datetime) -> list[dict[str, Any]]:
    """The ``RTCIceServer`` dicts for one call, in the shape ``new RTCPeerConnection({iceServers})`` takes:
    the STUN servers (no credentials), then the TURN servers with one credential valid for
    ``turn_credential_seconds`` from ``now`` (timezone-aware). Empty when neither is configured (browsers
    then connect only where host candidates reach each other)."""
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        username = turn_username(session_id, now + timedelta(seconds=settings.turn_credential_seconds))
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": username,
                "credential": turn_password(settings.turn_secret, username),
            }
        )
    return servers


def ice_transport_policy(settings: MediaSettings) -> IceTransportPolicy:
    """``"relay"`` when the install forces every call through TURN (``calls_force_relay``: hides the
    parties' addresses from each other), else ``"all"``."""
    return "relay" if settings.calls_force_relay else "all"


@dataclass(frozen=True)
class MediaRoom:
    """Where a call's media goes. ``adapter`` "peer": browser to browser (``room``, ``url`` and ``token``
    are None; signalling goes over the gateway). "livekit": the LiveKit server at ``url``, room ``room``,
    joined with ``token`` (an access token for this participant). "jitsi": the meeting at ``url``."""

    adapter: MediaServerName
    room: str | None = None
    url: str | None = None
    token: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"adapter": self.adapter, "room": self.room, "url": self.url, "token": self.token}


def livekit_room_name(session_id: int) -> str:
    """The LiveKit room of one call (joining needs a signed token, so the name need not be secret)."""
    return f"loyaldesk-call-{session_id}"


def livekit_access_token(
    settings: MediaSettings,
    *,
    room: str,
    identity: str,
    display_name: str,
    now: datetime,
    valid_seconds: int = LIVEKIT_TOKEN_SECONDS,
) -> str:
    """A LiveKit access token (a JWT signed HS256 with the API secret, issued by the API key) letting
    ``identity`` join, publish to and subscribe in ``room`` only, from ``now`` for ``valid_seconds``."""
    issued = int(now.timestamp())
    claims = {
        "iss": settings.livekit_api_key,
        "sub": identity,
        "name": display_name,
        "nbf": issued,
        "iat": issued,
        "exp": issued + valid_seconds,
        "video": {"room": room, "roomJoin": True, "canPublish": True, "canSubscribe": True},
    }
    return jwt.encode(claims, settings.livekit_api_secret, algorithm="HS256")


def jitsi_room_name(session_id: int, room_secret: str) -> str:
    """The Jitsi room of one call. A Jitsi meeting is open to whoever knows its name, so the name carries
    an HMAC of the session id under the install's secret: not guessable from the id."""
    tag = hmac.new(room_secret.encode(), f"call-{session_id}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"loyaldesk-call-{session_id}-{tag}"


def media_room_for(
    settings: MediaSettings,
    *,
    session_id: int,
    identity: str,
    display_name: str,
    now: datetime,
    room_secret: str,
) -> MediaRoom:
    """The media room of one call for one participant (``identity`` such as "agent-7" or "shopper-12",
    unique within the call), following ``settings.media_server``. ``room_secret`` is the install's secret
    key (it makes Jitsi room names unguessable)."""
    if settings.media_server == "livekit":
        room = livekit_room_name(session_id)
        token = livekit_access_token(
            settings, room=room, identity=identity, display_name=display_name, now=now
        )
        return MediaRoom(adapter="livekit", room=room, url=settings.livekit_url, token=token)
    if settings.media_server == "jitsi":
        room = jitsi_room_name(session_id, room_secret)
        return MediaRoom(adapter="jitsi", room=room, url=f"https://{settings.jitsi_domain}/{room}")
    return MediaRoom(adapter="peer")


# Expert sessions: a booked seat's video call can be joined from this long before it starts until it ends.
BOOKING_CALL_OPENS_BEFORE = timedelta(minutes=10)


def booking_call_is_open(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """Whether the video call of a booked session may be joined at ``now``: from
    ``BOOKING_CALL_OPENS_BEFORE`` (10 minutes) before ``starts_at`` until ``ends_at``."""
    return starts_at - BOOKING_CALL_OPENS_BEFORE <= now < ends_at
