"""The one typed settings object of loyaldesk.

Every setting can be given as an environment variable with the ``LOYALDESK_`` prefix (for example
``LOYALDESK_DATABASE_URL``) or in a ``.env`` file in the working directory. Nothing else in the code
reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from loyaldesk.kernel import rate_limits

DEFAULT_DATA_DIR = Path("var")
# The front-end packages `make install` puts there with npm (frontend/package-lock.json: rrweb).
DEFAULT_FRONTEND_PACKAGES_DIR = Path(__file__).resolve().parents[2] / "frontend" / "node_modules"


class Settings(BaseSettings):
    """Runtime configuration. See README "Configuration" for the meaning of each field."""

    model_config = SettingsConfigDict(env_prefix="LOYALDESK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'loyaldesk.db'}",
        description="SQLAlchemy URL. SQLite (default) or postgresql+psycopg://user@host/db.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for cross-process fan-out and shared rate limits; memory when unset.",
    )
    secret_key: str = Field(
        default="",
        description="Signs session cookies. Generated into var/secret_key when empty.",
    )
    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Where local state (secret key) lives.")
    frontend_packages_dir: Path = Field(
        default=DEFAULT_FRONTEND_PACKAGES_DIR,
        description="The npm packages the pages load (rrweb for co-browsing), installed by `make install`.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Send the console session cookie only over HTTPS (browsers treat localhost as secure).",
    )
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    login_attempts_per_account: int = Field(
        default=5, ge=1, description="Login attempts per account per 15 minutes (a success clears them)."
    )
    login_attempts_per_ip: int = Field(
        default=30, ge=1, description="Login attempts per address per 15 minutes."
    )
    password_changes_per_hour: int = Field(
        default=5, ge=1, description="Attempts to change one's own password, per account per hour."
    )
    password_reset_requests_per_account: int = Field(
        default=3, ge=1, description="Password reset links asked for one email address per hour."
    )
    password_reset_requests_per_ip: int = Field(
        default=10, ge=1, description="Password reset links asked for from one client address per hour."
    )
    account_link_requests_per_ip: int = Field(
        default=30,
        ge=1,
        description="Requests to invitation and password-reset link pages per client address per 15 minutes.",
    )
    password_hashing_concurrency: int = Field(
        default=0,
        ge=0,
        description="Passwords hashed or verified at once (argon2); 0: half the CPUs, at least one.",
    )
    password_hashing_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower the CPU priority of password hashing is (Linux nice; 0: the same).",
    )
    invitation_valid_days: int = Field(
        default=7, ge=1, le=90, description="How long a staff invitation works."
    )
    password_reset_valid_minutes: int = Field(
        default=60, ge=5, le=24 * 60, description="How long a password reset link works."
    )
    console_socket_recheck_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often an open console socket re-checks its session and access (besides the "
        "immediate check when a session ends or access changes).",
    )
    account_mail_from: str | None = Field(
        default=None,
        description="Sender of invitations and password reset mail; default no-reply@<mail domain>.",
    )
    write_batching: bool = Field(
        default=True,
        description="Group writes that arrive together into one durable commit (see docs/decisions).",
    )
    run_background_jobs: bool = Field(
        default=True,
        description="Let the web server process dispatch events and run due jobs (no separate worker).",
    )
    host: str = Field(
        default="127.0.0.1", description="The address `loyaldesk serve` listens on (its --host wins)."
    )
    port: int = Field(
        default=8000, ge=1, le=65535, description="The port `loyaldesk serve` listens on (its --port wins)."
    )
    public_base_url: str = Field(
        default="",
        description="Where people reach loyaldesk (https://support.example.com): the start of the links "
        "in the console, in emails and in the widget snippet. Empty: the served address, "
        "http://<host>:<port>.",
    )
    mail_domain: str = Field(
        default="loyaldesk.localhost",
        description="Domain of Message-IDs and of stores' default support addresses (<slug>@<domain>).",
    )
    smtp_host: str | None = Field(
        default=None, description="Outbound mail server; unset: replies by email wait."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = Field(default=True, description="Upgrade to TLS with STARTTLS (port 587).")
    idempotency_key_ttl_hours: int = Field(default=24, ge=1)
    max_batch_orders: int = Field(default=1000, ge=1, le=10000)
    allow_private_network: bool = Field(
        default=False,
        description="Let API channel callbacks, outgoing webhooks and IMAP polling reach private, "
        "loopback, link-local and other non-public addresses (an install whose apps or mail server "
        "live beside it).",
    )
    webhook_disable_after_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="An outgoing webhook endpoint that has failed every delivery for this many days is "
        "disabled, and the store's owners and admins are mailed.",
    )
    imap_allow_plain_login: bool = Field(
        default=False,
        description="Let IMAP polling log in without TLS when the server offers neither IMAPS nor "
        "STARTTLS (the password then crosses the network in clear).",
    )
    # Video and voice calls (docs/calls.md): STUN/TURN for the browsers, and an optional media server.
    stun_urls: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="STUN servers for calls, comma-separated (stun:stun.example.com:3478)."
    )
    turn_urls: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="TURN servers for calls, comma-separated (turn:turn.example.com:3478?transport=udp, "
        "turns:turn.example.com:5349?transport=tcp); coturn with use-auth-secret.",
    )
    turn_secret: str = Field(
        default="", description="coturn's static-auth-secret: signs each call's short-lived TURN password."
    )
    turn_credential_seconds: int = Field(
        default=4 * 3600,
        ge=300,
        le=7 * 24 * 3600,
        description="How long a call's TURN credential works (coturn refuses it afterwards, also for "
        "the refreshes of a call still going on: keep it longer than the longest call).",
    )
    calls_force_relay: bool = Field(
        default=False,
        description="Send every call through TURN (ICE transport policy relay): the parties never see "
        "each other's addresses. Needs turn_urls.",
    )
    media_server: Literal["peer", "livekit", "jitsi"] = Field(
        default="peer",
        description="Where call media goes: peer (browser to browser, signalling over loyaldesk's "
        "gateway), livekit or jitsi (a store's own media server).",
    )
    livekit_url: str = Field(default="", description="The LiveKit server (wss://livekit.example.com).")
    livekit_api_key: str = Field(default="", description="LiveKit API key (issues access tokens).")
    livekit_api_secret: str = Field(default="", description="LiveKit API secret (signs access tokens).")
    jitsi_domain: str = Field(default="", description="The Jitsi Meet domain (meet.example.com).")
    # Rate limits, in the ``limits`` notation (30/minute, 600 per 10 minutes); see kernel/rate_limits.py.
    rate_limit_api_requests_per_key: str = Field(default=rate_limits.API_REQUESTS_PER_KEY.default)
    rate_limit_widget_messages_per_contact: str = Field(
        default=rate_limits.WIDGET_MESSAGES_PER_CONTACT.default
    )
    rate_limit_widget_messages_per_address: str = Field(
        default=rate_limits.WIDGET_MESSAGES_PER_ADDRESS.default
    )
    rate_limit_widget_messages_per_store: str = Field(default=rate_limits.WIDGET_MESSAGES_PER_STORE.default)
    rate_limit_new_contacts_per_address: str = Field(default=rate_limits.NEW_CONTACTS_PER_ADDRESS.default)
    rate_limit_offline_messages_per_address: str = Field(
        default=rate_limits.OFFLINE_MESSAGES_PER_ADDRESS.default
    )
    rate_limit_anonymous_requests_per_address: str = Field(
        default=rate_limits.ANONYMOUS_REQUESTS_PER_ADDRESS.default
    )
    rate_limit_mail_messages_per_address: str = Field(default=rate_limits.MAIL_MESSAGES_PER_ADDRESS.default)
    rate_limit_widget_actions_per_contact: str = Field(default=rate_limits.WIDGET_ACTIONS_PER_CONTACT.default)
    rate_limit_help_searches_per_address: str = Field(default=rate_limits.HELP_SEARCHES_PER_ADDRESS.default)
    rate_limit_article_feedback_per_address: str = Field(
        default=rate_limits.ARTICLE_FEEDBACK_PER_ADDRESS.default
    )

    @field_validator(*(f"rate_limit_{spec.name}" for spec in rate_limits.ALL_LIMITS))
    @classmethod
    def _a_rate(cls, value: str) -> str:
        return rate_limits.check_rate(value)

    def rate_limit_rates(self) -> dict[str, str]:
        """Each named rate limit's rate, by the limit's name."""
        return {spec.name: getattr(self, f"rate_limit_{spec.name}") for spec in rate_limits.ALL_LIMITS}

    @field_validator("stun_urls", "turn_urls", mode="before")
    @classmethod
    def _url_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.replace("\n", ",").split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _call_media_hangs_together(self) -> Settings:
        problems = call_media_problems(self)
        if problems:
            raise ValueError("; ".join(f"{field}: {reason}" for field, reason in problems))
        return self

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite") or value.startswith("postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; spare users the dialect suffix.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("account_mail_from")
    @classmethod
    def _plain_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or any(c in value for c in ' <>,;"\r\n'):
            raise ValueError("give a plain address such as no-reply@desk.example.com")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (or be empty: the served address)")
        return value

    @model_validator(mode="after")
    def _base_url_follows_served_address(self) -> Settings:
        # Unset, links follow the address served: `loyaldesk serve --port 8300` (or `make run PORT=8300`)
        # must not hand out links to port 8000.
        # Written past pydantic's bookkeeping, so that ``model_fields_set`` still tells whether it was set.
        if not self.public_base_url:
            object.__setattr__(self, "public_base_url", served_base_url(self.host, self.port))
        return self

    def resolved_secret_key(self) -> str:
        """The configured secret key, or one generated once and kept in ``data_dir/secret_key``."""
        if self.secret_key:
            return self.secret_key
        import secrets

        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def call_media_problems(settings: Settings) -> list[tuple[str, str]]:
    """What is wrong with the call settings, as (field, reason) pairs; empty when they hang together.
    ``Settings`` refuses to load with any of them (the message names the field)."""
    problems: list[tuple[str, str]] = []
    for url in settings.stun_urls:
        if not url.startswith(("stun:", "stuns:")):
            problems.append(("stun_urls", f"{url!r} must start with stun: or stuns:"))
    for url in settings.turn_urls:
        if not url.startswith(("turn:", "turns:")):
            problems.append(("turn_urls", f"{url!r} must start with turn: or turns:"))
    if settings.turn_urls and not settings.turn_secret:
        problems.append(("turn_secret", "turn_urls are set: give coturn's static-auth-secret"))
    if settings.calls_force_relay and not settings.turn_urls:
        problems.append(("calls_force_relay", "forcing calls through TURN needs turn_urls"))
    if settings.media_server == "livekit":
        for name in ("livekit_url", "livekit_api_key", "livekit_api_secret"):
            if not getattr(settings, name):
                problems.append((name, "media_server livekit needs it"))
        if settings.livekit_url and not settings.livekit_url.startswith(
            ("wss://", "https://", "ws://", "http://")
        ):
            problems.append(("livekit_url", "must start with wss:// or https://"))
    if settings.media_server == "jitsi":
        if not settings.jitsi_domain:
            problems.append(("jitsi_domain", "media_server jitsi needs it"))
        elif "/" in settings.jitsi_domain or " " in settings.jitsi_domain:
            problems.append(("jitsi_domain", "give the domain only, such as meet.example.com"))
    return problems


WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})


def served_base_url(host: str, port: int) -> str:
    """The base URL of a server listening on ``host:port``. A wildcard address (every interface) is not
    an address anyone can open, so links name the loopback one; ``serve`` warns to set
    ``LOYALDESK_PUBLIC_BASE_URL`` then."""
    name = "127.0.0.1" if host.strip() in WILDCARD_HOSTS else host.strip()
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 literal
    return f"http://{name}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
