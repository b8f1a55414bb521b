"""A real TURN server for the call tests: Debian's coturn (`turnserver`), started on a free loopback port
with the REST-API shared secret loyaldesk signs call credentials with, and stopped afterwards.

``scripts/install-coturn.sh`` (run by ``make browser``, which ``make test`` runs) installs it; without
it the tests that need a relay are skipped, unless ``LOYALDESK_REQUIRE_BROWSER=1`` makes that a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

TURNSERVER = os.environ.get("LOYALDESK_TURNSERVER", "turnserver")
REALM = "loyaldesk"


@dataclass(frozen=True)
class TurnServer:
    """A running coturn: where it listens and the secret its credentials are signed with."""

    host: str
    port: int
    secret: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    def settings(self) -> dict[str, object]:
        """The loyaldesk settings that send calls through this server only."""
        return {"turn_urls": (self.url,), "turn_secret": self.secret, "calls_force_relay": True}


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for UDP and TCP on 127.0.0.1 (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        try:
            with socket.socket(socket.AF_INET, other) as check:
                check.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def turnserver_or_skip() -> str:
    """The path of ``turnserver``; skips the test without it (fails under LOYALDESK_REQUIRE_BROWSER)."""
    path = shutil.which(TURNSERVER)
    if path is None:
        if os.environ.get("LOYALDESK_REQUIRE_BROWSER"):
            pytest.fail(
                "turnserver is missing; `make browser` installs Debian's coturn (scripts/install-coturn.sh)"
            )
        pytest.skip("turnserver (Debian's coturn) is not installed; `make browser` installs it")
    return path


@contextmanager
def running_turn_server() -> Iterator[TurnServer]:
    """Start coturn on 127.0.0.1 (UDP and TCP, no TLS), relaying on 127.0.0.1 between loopback peers,
    with a fresh random ``static-auth-secret``; yield it once it answers; stop it."""
    path = turnserver_or_skip()
    port = free_port()
    secret = secrets.token_urlsafe(24)
    relay_low = free_port()
    command = [
        path,
        "--listening-ip=127.0.0.1",
        f"--listening-port={port}",
        "--relay-ip=127.0.0.1",
        f"--min-port={relay_low}",
        f"--max-port={min(relay_low + 200, 65535)}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        f"--realm={REALM}",
        "--fingerprint",
        "--allow-loopback-peers",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--no-rfc5780",
        "--no-stun-backward-compatibility",
        "--log-file=stdout",
        "--simple-log",
        "--no-software-attribute",
        # A database file of its own under /tmp (the default /var/lib/turn may not be writable).
        f"--db=/tmp/loyaldesk-turn-{port}.sqlite",
        f"--pidfile=/tmp/loyaldesk-turn-{port}.pid",
    ]
    log_path = f"/tmp/loyaldesk-turn-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(process, port, log_path)
        yield TurnServer(host="127.0.0.1", port=port, secret=secret, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        for leftover in (f"/tmp/loyaldesk-turn-{port}.sqlite", f"/tmp/loyaldesk-turn-{port}.pid", log_path):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _wait_until_listening(
    process: subprocess.Popen[bytes], port: int, log_path: str, timeout: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(log_path, "rb") as log:
                output = log.read().decode(errors="replace")
            raise RuntimeError(f"turnserver exited with {process.returncode}:\n{output[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"turnserver did not listen on 127.0.0.1:{port} within {timeout} s")
