"""Times in the inbox (SLA due, waiting since, message times) are formatted in one place: the server's
``short_when`` filter, used by the partial templates the page renders and the live inbox inserts
(``inbox.json`` returns the same rows as HTML; tests/support/test_inbox_day_one.py compares them). The
console's scripts must not format a date of their own."""

from __future__ import annotations

import re
from pathlib import Path

import loyaldesk.web

STATIC = Path(loyaldesk.web.__file__).resolve().parent / "static"
DATE_FORMATTING = re.compile(r"toLocale(Date|Time)String|Intl\.DateTimeFormat|new Date\(|\.getHours\(")


def test_no_console_script_formats_a_time() -> None:
    scripts = [STATIC / "console.js", STATIC / "inbox.js"]
    found = [
        f"{script.name}:{number}: {line.strip()}"
        for script in scripts
        for number, line in enumerate(script.read_text().splitlines(), 1)
        if DATE_FORMATTING.search(line)
    ]
    assert found == [], "format times on the server (rendering.short_when), not in the script"
