"""The feedback API's operations under schemathesis: whatever is sent, no 5xx, every status documented,
every response as its schema says (the whole-schema run in test_schemathesis.py samples fewer)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from loyaldesk.runtime import Runtime
from loyaldesk.web.app import create_app
from tests.factories import StoreHandle

pytestmark = pytest.mark.slow  # scheduled first by tests/xdist_scheduling.py, so it never ends the run


def test_the_feedback_api_never_fails_and_answers_as_documented(runtime: Runtime, store: StoreHandle) -> None:
    app = create_app(runtime=runtime)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [
        result.ok() for result in schema.get_all_operations() if "/api/v1/feedback/" in result.ok().path
    ]
    assert {operation.path for operation in operations} >= {
        "/api/v1/feedback/responses",
        "/api/v1/feedback/summary",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                headers=store.auth,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

        run()
