"""Run loyaldesk's own command line from a benchmark, as a user would, and time each command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

# A command's arguments (after ``loyaldesk``) and what to type at its prompts (None: nothing).
Step = tuple[list[str], str | None]


def run_commands(steps: dict[str, Step], url: str, work_dir: Path) -> tuple[dict[str, float], str]:
    """Run each named ``loyaldesk`` command against the database ``url`` in ``work_dir``, in order. Returns
    the seconds each took and the last one's output; exits naming the command that failed."""
    environment = os.environ | {
        "LOYALDESK_DATABASE_URL": url,
        "LOYALDESK_DATA_DIR": str(work_dir),
        "COLUMNS": "100",
    }
    command = str(Path(sys.executable).with_name("loyaldesk"))
    seconds: dict[str, float] = {}
    output = ""
    for name, (arguments, stdin) in steps.items():
        started = time.perf_counter()
        # A new session has no terminal, so a password prompt reads the piped answer.
        result = subprocess.run(
            [command, *arguments],
            input=stdin,
            capture_output=True,
            text=True,
            env=environment,
            cwd=work_dir,
            start_new_session=True,
        )
        seconds[name] = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(
                f"loyaldesk {name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        output = result.stdout
    return seconds, output
