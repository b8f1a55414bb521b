"""Property-based run over the whole OpenAPI schema: whatever schemathesis sends, no 5xx, every status
answered is documented for its operation, and every response matches its documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from loyaldesk.runtime import Runtime
from loyaldesk.web.app import create_app
from tests.factories import StoreHandle, order_payload

pytestmark = pytest.mark.slow  # scheduled first by tests/xdist_scheduling.py, so it never ends the run

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_no_request_makes_the_server_fail(runtime: Runtime, store: StoreHandle) -> None:
    app = create_app(runtime=runtime)
    with TestClient(app, base_url="https://testserver") as client:
        # Something to find: customer 1, order 1, product 1.
        client.post("/api/v1/orders", headers=store.auth, json=order_payload("1"))
        client.post(
            "/api/v1/products",
            headers=store.auth,
            json={"external_id": "p1", "title": "Tee", "price": 100, "currency": "EUR"},
        )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                headers=store.auth,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

        run()


def test_every_operation_documents_the_error_answers(runtime: Runtime) -> None:
    document = create_app(runtime=runtime).openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status in ("401", "404", "422", "429"):
                answer = operation["responses"][status]
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            assert "Retry-After" in operation["responses"]["429"]["headers"]
