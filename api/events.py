"""A change event as the API, webhooks and the broker relay publish it."""

from __future__ import annotations

from mdm import access
from mdm.models import ChangeEvent


def event_json(event: ChangeEvent, masked: frozenset[str]) -> dict:
    payload = event.payload
    if masked and "attributes" in payload:
        payload = {**payload, "attributes": access.mask(payload["attributes"], masked)}
    return {"sequence": event.sequence, "event_id": f"{event.sequence}", "kind": event.kind, "domain": event.domain,
            "golden_id": event.golden_id, "golden_version": event.golden_version, "system": event.system_code,
            "source_key": event.source_key, "record_version": event.record_version, "payload": payload,
            "actor": event.actor, "created_at": event.created_at}
