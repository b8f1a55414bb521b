"""Real servers for tests: a free loopback port, ``loyaldesk serve`` in a process of its own, and the app
served by uvicorn in a thread of this process.

A loaded two-core machine takes tens of seconds to start a server process, so waiting is generous; a
server that exits while starting fails the test with the end of what it printed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from loyaldesk.runtime import Runtime
from loyaldesk.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spawn_server_process(
    port: int,
    folder: Path,
    environment: Mapping[str, str],
    *,
    without: tuple[str, ...] = (),
    capture_output: bool = False,
) -> subprocess.Popen[bytes]:
    """``loyaldesk serve --port <port>`` (migrations already run) from ``folder``, with this process's
    environment but ``without`` those variables, plus ``environment``; not waited for. Its errors are kept
    for the failure message; with ``capture_output``, everything it prints (``communicate()`` reads it)."""
    env = {key: value for key, value in os.environ.items() if key not in without}
    env |= {"PYTHONPATH": str(REPO), **environment}
    return subprocess.Popen(
        [sys.executable, "-m", "loyaldesk", "serve", "--port", str(port), "--skip-migrations"],
        env=env,
        cwd=folder,
        stdout=subprocess.PIPE if capture_output else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if capture_output else subprocess.PIPE,
    )


def start_server_process(
    port: int,
    folder: Path,
    environment: Mapping[str, str],
    *,
    without: tuple[str, ...] = (),
    capture_output: bool = False,
) -> subprocess.Popen[bytes]:
    """``spawn_server_process``, returning once the server answers ``/healthz``."""
    process = spawn_server_process(port, folder, environment, without=without, capture_output=capture_output)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process)
    except BaseException:
        process.kill()
        process.wait()  # reaped: an unreaped Popen warns when collected, failing whichever test is running
        raise
    return process


@contextmanager
def server_processes(
    count: int, folder: Path, environment: Mapping[str, str], *, without: tuple[str, ...] = ()
) -> Iterator[list[str]]:
    """``count`` servers started together (they start faster side by side); yields their base URLs and
    stops them all afterwards."""
    ports = [free_port() for _ in range(count)]
    processes = [spawn_server_process(port, folder, environment, without=without) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process in zip(bases, processes, strict=True):
            wait_until_serving(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # a loaded machine can take longer to shut down
                process.kill()
                process.wait()  # reaped: an unreaped Popen warns when collected, failing whichever test runs


def wait_until_serving(base: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``base`` answers ``/healthz`` (``RuntimeError`` if ``process`` exits or time runs out)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            pipe = process.stderr or process.stdout
            said = pipe.read().decode()[-2000:] if pipe else ""
            raise RuntimeError(f"the server at {base} exited: {said}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server at {base} did not start in {START_SECONDS} s")


@contextmanager
def serve_in_thread(runtime: Runtime) -> Iterator[str]:
    """The app over ``runtime``, served by uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
