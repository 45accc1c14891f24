"""Schemathesis against the OpenAPI schema, as each role: whatever it generates for every
operation, no server error, every status documented, every body and content type as the
schema says."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mdm.services.golden_records import golden_record_create
from mdm.tests.factories import HUAWEI, upsert

from .conftest import SETUP

application = get_wsgi_application()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CSRF = "a" * 32  # a session's POSTs carry the CSRF cookie and header, as the browsable API would
EXAMPLES = 8  # per operation and role


@pytest.fixture
def api_schema(db):
    # Requests run in the test's transaction: keep the connection open between them, as
    # Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _credentials(principals, role: str) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies a role sends."""
    if role == "anonymous":
        return {}, {}
    if role in principals.tokens:
        return {"Authorization": f"Token {principals.tokens[role]}"}, {}
    return {"X-CSRFToken": CSRF}, {"sessionid": principals[role].cookies["sessionid"].value, "csrftoken": CSRF}


@pytest.mark.slow
@pytest.mark.parametrize("role", ["anonymous", "steward", "auditor", "admin", "crm", "east"])
def test_the_api_keeps_its_schema_for_every_role(api_schema, principals, customer_model, role):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})
    golden_record_create(domain="customer", members=[crm["C1"].pk], change=SETUP)
    headers, cookies = _credentials(principals, role)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 34
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.cookies = {**(case.cookies or {}), **cookies}
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
