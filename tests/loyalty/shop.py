"""A store driven through its API the way its backend would: orders, refunds, loyalty settings, members;
and the shopper's side through the member API with a real identity signature."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.jobs import jobs
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.stores.models import Store
from tests.factories import StoreHandle

Line = tuple[str, str | None, int, int]  # sku, category, quantity, unit price (minor units)


class Shop:
    def __init__(self, client: TestClient, store: StoreHandle, db: Database, clock: FakeClock) -> None:
        self.client, self.store, self.db, self.clock = client, store, db, clock
        self._orders = 0

    # -- raw HTTP -------------------------------------------------------------------------------
    def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Response:
        return self.client.request(method, path, headers={**self.store.auth, **(headers or {})}, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json()

    def loyalty(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        return self.ok(method, "/api/v1/loyalty" + path, status, **kwargs)

    # -- setup ----------------------------------------------------------------------------------
    def settings(self, **changes: Any) -> dict[str, Any]:
        return self.loyalty("PATCH", "/program", json=changes)  # type: ignore[no-any-return]

    def rule(self, name: str, **config: Any) -> dict[str, Any]:
        kind = "purchase" if "kind" in config else "action"
        return self.loyalty("POST", "/rules", 201, json={"name": name, kind: config})  # type: ignore[no-any-return]

    def tier(self, name: str, rank: int, threshold: int, **more: Any) -> dict[str, Any]:
        body = {"name": name, "rank": rank, "threshold": threshold, **more}
        return self.loyalty("POST", "/tiers", 201, json=body)  # type: ignore[no-any-return]

    def reward(
        self, name: str, points_cost: int, kind: str = "fixed_discount", value: int = 500, **more: Any
    ) -> dict[str, Any]:
        body = {"name": name, "points_cost": points_cost, "kind": kind, "value": value, **more}
        return self.loyalty("POST", "/rewards", 201, json=body)  # type: ignore[no-any-return]

    # -- commerce -------------------------------------------------------------------------------
    def order(
        self,
        customer: str = "cust-1",
        lines: list[Line] | None = None,
        *,
        status: str = "paid",
        email: str | None = None,
        external_id: str | None = None,
        at: datetime | None = None,
        **more: Any,
    ) -> dict[str, Any]:
        """Send an order (paid by default, now by default) and let loyalty process it."""
        self._orders += 1
        external_id = external_id or f"o-{self._orders}"
        placed = (at or self.clock.now()).isoformat()
        lines = lines if lines is not None else [("TEE", "Apparel", 1, 10_000)]
        body: dict[str, Any] = {
            "external_id": external_id,
            "number": f"#{external_id}",
            "customer": {"external_id": customer, "email": email or f"{customer}@example.com"},
            "currency": "EUR",
            "lines": [
                {
                    "external_id": f"{external_id}-l{i}",
                    "sku": sku,
                    "title": sku,
                    "category": category,
                    "quantity": q,
                    "unit_price": price,
                }
                for i, (sku, category, q, price) in enumerate(lines, start=1)
            ],
            "status": status,
            "placed_at": placed,
            **more,
        }
        if status in ("paid", "fulfilled", "delivered"):
            body.setdefault("paid_at", placed)
        if status in ("fulfilled", "delivered"):
            body.setdefault("fulfilled_at", placed)
        if status == "delivered":
            body.setdefault("delivered_at", placed)
        order = self.ok("POST", "/api/v1/orders", 201, json=body)["order"]
        self.dispatch()
        return order  # type: ignore[no-any-return]

    def move(self, order_id: int, status: str, *, at: datetime | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"status": status}
        if at:
            body["occurred_at"] = at.isoformat()
        order = self.ok("POST", f"/api/v1/orders/{order_id}/status", json=body)
        self.dispatch()
        return order  # type: ignore[no-any-return]

    def refund(
        self, order: dict[str, Any], units: dict[int, int], *, external_id: str, kind: str = "refund"
    ) -> dict[str, Any]:
        """Refund ``units`` (line position, from 1 -> quantity) of ``order``."""
        lines = [
            {"line_id": order["lines"][position - 1]["id"], "quantity": quantity}
            for position, quantity in units.items()
        ]
        result = self.ok(
            "POST",
            f"/api/v1/orders/{order['id']}/refunds",
            201,
            json={"external_id": external_id, "kind": kind, "lines": lines},
        )
        self.dispatch()
        return result  # type: ignore[no-any-return]

    # -- loyalty state --------------------------------------------------------------------------
    def dispatch(self) -> None:
        dispatch_until_idle(self.db)

    def run_jobs(self, *names: str) -> None:
        """Run the loyalty jobs (all, or those named) once, as the background runner would."""
        for job in jobs.all():
            if job.name.startswith("loyalty.") and (not names or job.name in names):
                if job.in_transaction:
                    self.db.write(job.run)  # type: ignore[arg-type]
                else:
                    job.run(self.db)  # type: ignore[arg-type]
        self.dispatch()

    def customer_id(self, external_id: str) -> int:
        return self.ok("GET", f"/api/v1/customers/by-external-id/{external_id}")["id"]  # type: ignore[no-any-return]

    def member(self, customer: str = "cust-1") -> dict[str, Any]:
        return self.loyalty("GET", f"/members/by-customer/{self.customer_id(customer)}")  # type: ignore[no-any-return]

    def balance(self, customer: str = "cust-1") -> tuple[int, int]:
        balance = self.member(customer)["balance"]
        return balance["available"], balance["pending"]

    def history(self, customer: str = "cust-1") -> list[dict[str, Any]]:
        member_id = self.member(customer)["member_id"]
        return self.loyalty("GET", f"/members/{member_id}/history?limit=200")["data"]  # type: ignore[no-any-return]

    def adjust(self, customer: str, points: int, key: str, reason: str = "goodwill") -> dict[str, Any]:
        member_id = self.member(customer)["member_id"]
        body = {"points": points, "reason_code": reason, "note": "test adjustment"}
        return self.loyalty(
            "POST", f"/members/{member_id}/adjustments", 201, json=body, headers={"Idempotency-Key": key}
        )  # type: ignore[no-any-return]

    def assert_ledger_clean(self) -> None:
        with self.db.read() as session:
            assert check_ledger(session) == []

    # -- the shopper's side ---------------------------------------------------------------------
    def secret(self) -> str:
        with self.db.read() as session:
            store = session.get(Store, self.store.id)
            assert store is not None
            return store.identity_secret

    def shopper(self, external_id: str, expires: int | None = None) -> dict[str, str]:
        headers = {
            "X-Customer-Id": external_id,
            "X-Customer-Signature": shopper_signature(self.secret(), external_id, expires),
        }
        if expires is not None:
            headers["X-Signature-Expires"] = str(expires)
        return headers

    def as_shopper(self, external_id: str, method: str, path: str, **kwargs: Any) -> Response:
        headers = {**self.shopper(external_id), **kwargs.pop("headers", {})}
        return self.client.request(
            method, f"/member-api/v1/{self.store.slug}{path}", headers=headers, **kwargs
        )

    def later(self, **delta: float) -> datetime:
        return self.clock.advance(timedelta(**delta))
