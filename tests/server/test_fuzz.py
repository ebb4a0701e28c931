"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis), against the real server.

The schema comes from the app itself (no network needed to load it); every generated request goes over loopback to
the session's live server, and every response is checked: never a 5xx, and status, content type and body as the
schema documents them.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from retriever.config import Settings
from server.app import create_app

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, live_server):
    # Every default check but one: "not blank after trimming" has no exact JSON Schema form (Python's idea of white
    # space is not the schema regex's), so a blank question the schema allows is rightly refused with a 422.
    case.call_and_validate(base_url=live_server.url, timeout=60, excluded_checks=[positive_data_acceptance])
