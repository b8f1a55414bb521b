"""Router order does not matter: no route of the app can answer a URL another module's route is for.

Starlette gives a request to the first route whose pattern matches, so a route with a parameter where
another has a fixed word (``/console/{store_slug}`` and ``/console/account``) hides that route when it is
included first. Between modules that would make ``create_app``'s list order-sensitive; inside one module
the order is in plain sight, so there the fixed word must simply come first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from loyaldesk.settings import Settings
from loyaldesk.web.app import create_app

SAMPLE_PARAMETER = "x1"


def _routes(app: Any) -> list[tuple[int, str, str, str, Any]]:
    """(position, method, path, module, compiled pattern) of every HTTP and WebSocket route."""
    found = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        candidates = contexts() if contexts is not None else [route]
        for context in candidates:
            original = getattr(context, "original_route", context)
            endpoint = getattr(original, "endpoint", None)
            pattern = getattr(context, "path_regex", None)
            if endpoint is None or pattern is None:
                continue  # mounted static folders
            path = getattr(context, "path_format", None) or original.path_format
            for method in getattr(original, "methods", None) or {"WS"}:
                found.append((len(found), method, path, endpoint.__module__, pattern))
    return found


def _example_url(path: str) -> str:
    return re.sub(r"{[^}]+}", SAMPLE_PARAMETER, path)


def test_no_route_hides_another_modules_route(tmp_path: Path) -> None:
    routes = _routes(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'routes.db'}")))
    assert len(routes) > 100
    problems = []
    for position, method, path, module, _ in routes:
        url = _example_url(path)
        for other_position, other_method, other_path, other_module, pattern in routes:
            if other_method != method or other_path == path or not pattern.match(url):
                continue
            if other_module != module:
                problems.append(f"{method} {other_path} ({other_module}) answers {path}'s URLs ({module})")
            elif other_position < position:
                problems.append(f"{method} {other_path} comes before {path} in {module} and hides it")
    assert not problems, "\n".join(problems)
