"""The app's routers grouped by how their URLs begin, so that a request is matched against the few routes
that can answer it instead of every route of the app.

FastAPI (like Starlette) finds a request's route by trying every route in turn: with ~380 routes, a
member API request tried every ``/api/v1`` route first (12% of the event loop's time in the redemption
benchmark). ``include_grouped`` puts the routers into ``PathGuard`` routers, nested two deep: one guard per
group of routers whose URLs share a first path segment (``/api``, ``/console``, ``/member-api`` with
``/m`` and ``/r``...), and inside it one guard per router. A guard answers "no match" at once for a
path that none of its routes' fixed beginnings can start; otherwise FastAPI matches as it always did.

Nothing a client sees changes: the routes are the same objects, included with no prefix, tags,
dependencies or responses of the guards' own (FastAPI combines an inclusion's settings, so each route's
path, dependencies, OpenAPI operation and error answers are what including its router directly gives),
and no route of one module can answer another module's URLs (``tests/web/test_route_order.py``), so the
order in which the groups are tried does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter
from starlette.routing import Host, Match, Mount, get_route_path
from starlette.types import Scope

__all__ = ["PathGuard", "groups", "include_grouped"]


class PathGuard(APIRouter):
    """A router that matches a request only when its path equals one of ``routers``' routes' fixed paths
    or starts with the fixed beginning (the part before the first ``{``) of one of their routes with
    parameters; a route whose beginning cannot be told (a host route, an unknown kind) makes the guard let
    every request through, so a guard only ever skips routes that cannot match. ``routers`` are what the
    guard will hold (directly or through other guards); ``include_grouped`` includes them."""

    def __init__(self, routers: Sequence[APIRouter]) -> None:
        super().__init__()
        exact: set[str] = set()
        prefixes: set[str] = set()
        for router in routers:
            beginnings = _beginnings(router.routes, "")
            if beginnings is None:
                prefixes.add("")  # every path starts with ""
                continue
            exact |= beginnings[0]
            prefixes |= beginnings[1]
        self.exact_paths = frozenset(exact)
        self.path_prefixes = tuple(sorted(prefixes))

    def could_match(self, path: str) -> bool:
        return path in self.exact_paths or path.startswith(self.path_prefixes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.could_match(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


def _beginnings(routes: Iterable[Any], prefix: str) -> tuple[set[str], set[str]] | None:
    """(fixed paths, fixed beginnings of paths with parameters) of ``routes`` included under ``prefix``;
    None when one route's beginning cannot be told."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # a router included in this one
        if included is not None:
            context_prefix = getattr(getattr(route, "include_context", None), "prefix", None)
            if not isinstance(context_prefix, str):
                return None
            inner = _beginnings(included.routes, prefix + context_prefix)
            if inner is None:
                return None
            exact |= inner[0]
            prefixes |= inner[1]
            continue
        if isinstance(route, Host):
            return None
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return None
        path = prefix + path
        if isinstance(route, Mount):
            # a mount matches "<path>/<anything>" (its own path only through the slash redirection,
            # which matches again with the slash added)
            prefixes.add(path.rstrip("/") + "/")
        elif "{" in path:
            prefixes.add(path[: path.index("{")])
        else:
            exact.add(path)
    return exact, prefixes


def _first_segments(guard: PathGuard) -> set[str | None]:
    """The first path segments the guard's routes can have (None: a parameter, so any)."""
    segments: set[str | None] = set()
    for path in guard.exact_paths:
        segments.add(path.split("/", 2)[1] if path.startswith("/") else None)
    for prefix in guard.path_prefixes:
        parts = prefix.split("/", 2)
        # "/api/v1/" -> "api"; "/" or "/m" (the segment may go on) -> any
        segments.add(parts[1] if len(parts) > 2 and prefix.startswith("/") else None)
    return segments


def groups(routers: Sequence[APIRouter]) -> list[list[APIRouter]]:
    """``routers`` in groups that share first path segments, each in the given order, the groups in the
    order of their first router; a router with a route that could start anywhere is a group of its own."""
    members_of: list[list[int]] = []
    group_of_segment: dict[str | None, int] = {}
    for position, router in enumerate(routers):
        segments = _first_segments(PathGuard([router]))
        if None in segments:
            members_of.append([position])
            continue
        joined = sorted({group_of_segment[s] for s in segments if s in group_of_segment})
        target = joined[0] if joined else len(members_of)
        if not joined:
            members_of.append([])
        for other in joined[1:]:  # this router links two groups: merge them
            members_of[target] += members_of[other]
            members_of[other] = []
            group_of_segment.update({s: target for s, g in group_of_segment.items() if g == other})
        members_of[target].append(position)
        group_of_segment.update({segment: target for segment in segments})
    ordered = sorted((sorted(members) for members in members_of if members), key=lambda members: members[0])
    return [[routers[position] for position in members] for members in ordered]


def include_grouped(parent: APIRouter, routers: Sequence[APIRouter]) -> None:
    """Include ``routers`` into ``parent`` through guards: one ``PathGuard`` per group of ``groups``,
    holding one guard per router (a group of one router is just its guard).

    Every guard is included while still empty and filled afterwards: FastAPI checks the routes of a router
    included without a prefix by building the request handler of every route it holds through included
    routers, which for the whole app would cost at each ``create_app`` what it otherwise builds lazily on
    the first requests. Startup and shutdown handlers are copied from a router when it is included, so
    the routers may not have any (checked); their default lifespans do nothing."""
    for router in routers:
        if router.on_startup or router.on_shutdown:
            raise ValueError("a grouped router may not have startup or shutdown handlers")
    for group in groups(routers):
        holder = parent
        if len(group) > 1:
            holder = PathGuard(group)
            parent.include_router(holder)
        for router in group:
            guard = PathGuard([router])
            holder.include_router(guard)
            guard.include_router(router)
