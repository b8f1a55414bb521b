"""The long-lived services of one loyaldesk process, started and stopped together.

The web app, ``loyaldesk worker`` and the tests build a ``Runtime`` from ``Settings``; anything can be
replaced (a fake clock, an existing database) for tests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from loyaldesk.composition import compose
from loyaldesk.kernel.backlog import BacklogGauge
from loyaldesk.kernel.broker import Broker, broker_for
from loyaldesk.kernel.clock import Clock, SystemClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import handlers
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.kernel.heap import settle_after_startup
from loyaldesk.kernel.jobs import BackgroundRunner
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.kernel.rate_limits import RateLimits
from loyaldesk.kernel.write_queue import WriteQueue
from loyaldesk.realtime.channels import public_channels_for
from loyaldesk.settings import Settings
from loyaldesk.stores import (
    AccountLimits,
    AccountMailSettings,
    AccountThrottle,
    AccountTokens,
    ApiKeyCache,
    PasswordHashing,
)

log = logging.getLogger("loyaldesk.runtime")

# The share of its time a server process gives its background work while that catches up with a backlog.
SERVER_BACKGROUND_SHARE = 0.5


def store_events_channel(store_id: int) -> str:
    """The broker channel on which a store's committed events are announced."""
    return f"store:{store_id}:events"


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        clock: Clock | None = None,
        broker: Broker | None = None,
    ) -> None:
        compose(settings)  # handlers, jobs and channels, configured with these settings
        self.settings = settings
        self.clock = clock or (database.clock if database else SystemClock())
        self.database = database or Database(settings.database_url, clock=self.clock)
        self.database.dispatch_needed = handlers.handles
        self.broker = broker or broker_for(settings.redis_url)
        self.write_queue = WriteQueue(self.database) if settings.write_batching else None
        # In the server, background work gives way to requests while it catches up (see kernel.jobs).
        self.background = (
            BackgroundRunner(self.database, share=SERVER_BACKGROUND_SHARE)
            if settings.run_background_jobs
            else None
        )
        self.api_keys = ApiKeyCache()
        self.backlog = BacklogGauge(self.database)
        self.database.add_commit_listener(self.api_keys.on_commit)
        # Logins, password changes, reset requests and account link pages: reserved before the work.
        self.account_throttle = AccountThrottle(
            AccountLimits(
                login_per_account=settings.login_attempts_per_account,
                login_per_ip=settings.login_attempts_per_ip,
                password_changes_per_hour=settings.password_changes_per_hour,
                reset_requests_per_account=settings.password_reset_requests_per_account,
                reset_requests_per_ip=settings.password_reset_requests_per_ip,
                link_requests_per_ip=settings.account_link_requests_per_ip,
            ),
            redis_url=settings.redis_url,
        )
        self.password_hashing = PasswordHashing(
            settings.password_hashing_concurrency, niceness=settings.password_hashing_niceness
        )
        self.account_mail = AccountMailSettings.from_settings(settings)
        self._account_tokens: AccountTokens | None = None
        self.rate_limits = RateLimits(settings.rate_limit_rates(), redis_url=settings.redis_url)
        # Where callbacks and mailboxes may be reached (the install's choice, not a store's).
        self.outbound = OutboundPolicy(allow_private_network=settings.allow_private_network)
        self._started = False
        self._secret_key: str | None = None

    @property
    def secret_key(self) -> str:
        """The server's signing key (sessions, widget tickets), read once."""
        if self._secret_key is None:
            self._secret_key = self.settings.resolved_secret_key()
        return self._secret_key

    @property
    def account_tokens(self) -> AccountTokens:
        """Signs and reads the tokens of invitation and password reset links (with the secret key)."""
        if self._account_tokens is None:
            self._account_tokens = AccountTokens(self.secret_key)
        return self._account_tokens

    def _announce(self, stored: Sequence[StoredEvent]) -> None:
        for event in stored:
            message = json.dumps(event.as_message())
            self.broker.publish(store_events_channel(event.store_id), message)
            for channel in public_channels_for(event):
                self.broker.publish(channel, message)

    async def start(self) -> None:
        if self._started:
            return
        await self.broker.start()
        self.database.add_commit_listener(self._announce)
        self.database.announcer = self.broker.publish  # uow.announce: access notices and the like
        if self.write_queue is not None:
            self.write_queue.start()
        if self.background is not None:
            self.background.start()
        self._started = True
        settle_after_startup()  # the first full GC pass would otherwise stall the first minute's traffic

    async def stop(self) -> None:
        if not self._started:
            return
        if self.background is not None:
            self.background.stop()
        if self.write_queue is not None:
            self.write_queue.stop()
        self.database.remove_commit_listener(self._announce)
        self.database.announcer = lambda _channel, _message: None
        await self.broker.stop()
        self.password_hashing.close()
        self._started = False
