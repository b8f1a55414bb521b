"""Rate limits on everything that checks or changes a staff account's credentials, in moving windows.

Built on the ``limits`` library; its storage is Redis when configured (shared by every process) and
memory otherwise.

Every limit is *reserved before the work it guards*: an attempt takes its place in the window (an atomic
``hit``) and only then is the password verified. Checking first and counting after the verification would
let twenty concurrent wrong guesses all pass the "under the limit" check. Consequently the windows count
attempts, not failures; a successful login gives the account its attempts back (not the address: a
shared office address must not become a way to reset an attacker's count).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute, storage, strategies

from loyaldesk.kernel.errors import RateLimited

LOGIN_WINDOW_MINUTES = 15
LINK_WINDOW_MINUTES = 15


@dataclass(frozen=True)
class AccountLimits:
    login_per_account: int = 5
    login_per_ip: int = 30
    password_changes_per_hour: int = 5
    reset_requests_per_account: int = 3
    reset_requests_per_ip: int = 10
    link_requests_per_ip: int = 30


def _email_key(email: str) -> str:
    return email.strip().lower()


def wait_in_words(seconds: int) -> str:
    """``45 seconds``, ``15 minutes``."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minutes"


class AccountThrottle:
    def __init__(self, limits: AccountLimits | None = None, *, redis_url: str | None = None) -> None:
        limits = limits or AccountLimits()
        backend = storage.storage_from_string(redis_url) if redis_url else storage.MemoryStorage()
        self._limiter = strategies.MovingWindowRateLimiter(backend)
        self._login_account = RateLimitItemPerMinute(limits.login_per_account, LOGIN_WINDOW_MINUTES)
        self._login_ip = RateLimitItemPerMinute(limits.login_per_ip, LOGIN_WINDOW_MINUTES)
        self._password_change = RateLimitItemPerHour(limits.password_changes_per_hour)
        self._reset_account = RateLimitItemPerHour(limits.reset_requests_per_account)
        self._reset_ip = RateLimitItemPerHour(limits.reset_requests_per_ip)
        self._link_ip = RateLimitItemPerMinute(limits.link_requests_per_ip, LINK_WINDOW_MINUTES)

    def _reserve(self, checks: Sequence[tuple[RateLimitItem, str, str]], what: str) -> None:
        for item, namespace, key in checks:
            if not self._limiter.hit(item, namespace, key):
                reset_at, _remaining = self._limiter.get_window_stats(item, namespace, key)
                wait = max(1, int(reset_at - time.time()))
                raise RateLimited(
                    f"too many {what}; try again in {wait_in_words(wait)}", retry_after_seconds=wait
                )

    def reserve_login(self, email: str, ip: str | None) -> None:
        """Take one login attempt for this account and address, or raise ``RateLimited``.

        Unknown addresses count like known ones: the answer never tells whether an account exists."""
        checks: list[tuple[RateLimitItem, str, str]] = [(self._login_ip, "login-ip", ip)] if ip else []
        checks.append((self._login_account, "login-account", _email_key(email)))
        self._reserve(checks, "login attempts")

    def login_succeeded(self, email: str) -> None:
        """Give the account its attempts back (its owner proved who they are)."""
        self._limiter.clear(self._login_account, "login-account", _email_key(email))

    def reserve_password_change(self, staff_id: int) -> None:
        """Take one attempt to change one's own password (each verifies the current password)."""
        self._reserve([(self._password_change, "password-change", str(staff_id))], "password changes")

    def reserve_reset_request(self, email: str, ip: str | None) -> None:
        """Take one password reset request for this address and client, whether or not an account exists."""
        checks: list[tuple[RateLimitItem, str, str]] = [(self._reset_ip, "reset-ip", ip)] if ip else []
        checks.append((self._reset_account, "reset-account", _email_key(email)))
        self._reserve(checks, "password reset requests")

    def reserve_link_request(self, ip: str | None) -> None:
        """Take one request to an invitation or password reset link page from this client."""
        if ip:
            self._reserve([(self._link_ip, "account-link-ip", ip)], "requests")
