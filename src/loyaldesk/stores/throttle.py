"""Login rate limiting: failed attempts per account and per client address, in a moving window.

Built on the ``limits`` library; its storage is Redis when configured (shared by every process) and
memory otherwise.
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerMinute, storage, strategies

from loyaldesk.kernel.errors import RateLimited

WINDOW_MINUTES = 15


class LoginThrottle:
    def __init__(self, *, per_account: int, per_ip: int, redis_url: str | None = None) -> None:
        backend = storage.storage_from_string(redis_url) if redis_url else storage.MemoryStorage()
        self._limiter = strategies.MovingWindowRateLimiter(backend)
        self._per_account = RateLimitItemPerMinute(per_account, WINDOW_MINUTES)
        self._per_ip = RateLimitItemPerMinute(per_ip, WINDOW_MINUTES)

    def check(self, email: str, ip: str | None) -> None:
        """Raise ``RateLimited`` when this account or address has failed too often lately."""
        account_key = email.strip().lower()
        checks = [(self._per_account, "login-account", account_key)]
        if ip:
            checks.append((self._per_ip, "login-ip", ip))
        for item, namespace, key in checks:
            if not self._limiter.test(item, namespace, key):
                reset_at, _remaining = self._limiter.get_window_stats(item, namespace, key)

                wait = max(1, int(reset_at - time.time()))
                raise RateLimited(
                    f"too many failed logins; try again in {max(1, round(wait / 60))} minute(s)",
                    retry_after_seconds=wait,
                )

    def failed(self, email: str, ip: str | None) -> None:
        self._limiter.hit(self._per_account, "login-account", email.strip().lower())
        if ip:
            self._limiter.hit(self._per_ip, "login-ip", ip)

    def succeeded(self, email: str) -> None:
        self._limiter.clear(self._per_account, "login-account", email.strip().lower())
