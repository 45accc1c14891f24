"""No API call writes without history: each write through the API (records upserted and
matched in real time, a soft delete, a webhook subscription; the grant and api_token commands)
leaves history rows for exactly what it changed (mdm.tests.factories.history_of_every_change)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from mdm.tests.factories import HUAWEI, OTHER, history_of_every_change

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_api_write_writes_history_for_exactly_what_it_changed(principals, customer_model):
    erp, crm = principals["erp"], principals["crm"]
    with history_of_every_change("API upsert of a batch, matched in real time"):
        reply = erp.post("/api/v1/records/customer", {"records": [
            {"source_key": "E1", "attributes": HUAWEI}, {"source_key": "E2", "attributes": OTHER}]}, format="json")
        assert reply.status_code == 200, reply.json()
    with history_of_every_change("API upsert of one record that joins a golden record"):
        assert crm.put("/api/v1/records/customer/C1", {"attributes": HUAWEI}, format="json").status_code == 200
    with history_of_every_change("API soft delete"):
        assert crm.delete("/api/v1/records/customer/C1").status_code in (200, 204)
    with history_of_every_change("API webhook subscription"):
        assert crm.post("/api/v1/webhooks", {"url": "https://crm.example/hook"}, format="json").status_code == 201
    with history_of_every_change("management commands: grant, api_token"):
        call_command("grant", "auditor", "steward", "--domain", "product")
        call_command("api_token", "issue", "crm", "--domain", "customer", "--name", "nightly")
