"""The one typed settings object of loyaldesk.

Every setting can be given as an environment variable with the ``LOYALDESK_`` prefix (for example
``LOYALDESK_DATABASE_URL``) or in a ``.env`` file in the working directory. Nothing else in the code
reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from loyaldesk.kernel import rate_limits

DEFAULT_DATA_DIR = Path("var")


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
    cookie_secure: bool = Field(
        default=True,
        description="Send the console session cookie only over HTTPS (browsers treat localhost as secure).",
    )
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    login_attempts_per_account: int = Field(default=5, ge=1, description="Failed logins per 15 minutes.")
    login_attempts_per_ip: int = Field(default=30, ge=1, description="Failed logins per 15 minutes.")
    write_batching: bool = Field(
        default=True,
        description="Group writes that arrive together into one durable commit (see docs/decisions).",
    )
    run_background_jobs: bool = Field(
        default=True,
        description="Let the web server process dispatch events and run due jobs (no separate worker).",
    )
    public_base_url: str = Field(default="http://127.0.0.1:8000")
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
        description="Let API channel callbacks and IMAP polling reach private, loopback, link-local and "
        "other non-public addresses (an install whose apps or mail server live beside it).",
    )
    imap_allow_plain_login: bool = Field(
        default=False,
        description="Let IMAP polling log in without TLS when the server offers neither IMAPS nor "
        "STARTTLS (the password then crosses the network in clear).",
    )
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

    @field_validator(*(f"rate_limit_{spec.name}" for spec in rate_limits.ALL_LIMITS))
    @classmethod
    def _a_rate(cls, value: str) -> str:
        return rate_limits.check_rate(value)

    def rate_limit_rates(self) -> dict[str, str]:
        """Each named rate limit's rate, by the limit's name."""
        return {spec.name: getattr(self, f"rate_limit_{spec.name}") for spec in rate_limits.ALL_LIMITS}

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not (value.startswith("sqlite") or value.startswith("postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; spare users the dialect suffix.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
