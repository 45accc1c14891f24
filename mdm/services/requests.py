"""New master data requests: submit (standardized and validated, with the likely
duplicates found before), then a steward approves (a new golden record), links to an
existing one, or rejects. The steward web app and the API call these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mdm import history
from mdm.content import content_hash
from mdm.domains import get_domain
from mdm.errors import Conflict, InvalidInput, ReasonRequired, RowRejected
from mdm.history import Change
from mdm.ingest.freshness import REQUEST_PROFILE
from mdm.models import GoldenRecord, MasterDataRequest, SourceRecord, SourceSystem
from mdm.services.golden_records import golden_record_create
from mdm.services.records import IncomingRecord, source_records_upsert
from mdm.services.systems import source_system_register

REQUESTS_SYSTEM = "requests"  # the hub's own source system: records that came in as requests
MSG_DECIDED = "request {pk} was {status} already"


def master_data_request_standardize(*, domain: str, values: Mapping[str, Any]) -> tuple[dict, dict]:
    """The request's values as an import would store them, and what was flagged; InvalidInput
    for unknown attributes or a missing required one. Reads nothing."""
    declared = get_domain(domain)
    clean = {k: v for k, v in values.items() if v not in (None, "")}
    unknown = sorted(set(clean) - set(declared.attributes))
    if unknown:
        raise InvalidInput(f"not attributes of {domain}: {', '.join(unknown)}")
    try:
        return declared.standardize(clean, phone_region=settings.MDM_PHONE_REGION)
    except RowRejected as exc:
        raise InvalidInput(exc.message) from None


@transaction.atomic
def master_data_request_submit(*, domain: str, values: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]],
                               note: str = "", change: Change) -> MasterDataRequest:
    """Store a request with its standardized values, flags and the duplicates found."""
    attributes, issues = master_data_request_standardize(domain=domain, values=values)
    now = timezone.now()
    request = MasterDataRequest(
        domain=domain, values={k: v for k, v in values.items() if v not in (None, "")}, attributes=attributes,
        issues=issues, candidates=list(candidates), requested_by=change.actor, note=note, created_at=now,
        updated_at=now,
    )
    history.stamp(request, change)
    request.save()
    return request


def _pending(request: MasterDataRequest) -> MasterDataRequest:
    locked = MasterDataRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != MasterDataRequest.Status.PENDING:
        raise Conflict(MSG_DECIDED.format(pk=locked.pk, status=locked.status))
    return locked


def _close(request: MasterDataRequest, status: str, reason: str, change: Change, **fields: Any) -> MasterDataRequest:
    now = timezone.now()
    for name, value in {"status": status, "reason": reason, "decided_by": change.actor, "decided_at": now,
                        "updated_at": now, **fields}.items():
        setattr(request, name, value)
    history.stamp(request, change)
    request.save()
    return request


@transaction.atomic
def master_data_request_approve(*, request: MasterDataRequest, change: Change) -> MasterDataRequest:
    """Create the entity: a source record of the hub's "requests" system holding the values
    as submitted, and a new golden record of it (ID by the domain's coding rule, events in
    the change feed)."""
    request = _pending(request)
    system = SourceSystem.objects.filter(code=REQUESTS_SYSTEM).first() or source_system_register(
        code=REQUESTS_SYSTEM, name="Master data requests", change=change)
    key = f"REQ-{request.pk}"
    source_records_upsert(domain=request.domain, system=system, change=change, records=[IncomingRecord(
        source_key=key, profile=REQUEST_PROFILE, raw=request.values,
        content_hash=content_hash(REQUEST_PROFILE, request.values, False),
        # standardized when it was submitted, by what code is not known: "" leaves it to
        # `manage.py restandardize` to read it again when that code has changed since
        attributes=request.attributes, issues=request.issues,
    )])
    record = SourceRecord.objects.get(domain=request.domain, system=system, source_key=key)
    golden = golden_record_create(domain=request.domain, members=[record.pk], change=change)
    return _close(request, MasterDataRequest.Status.APPROVED, "", change, golden=golden, record=record)


@transaction.atomic
def master_data_request_link(*, request: MasterDataRequest, golden: GoldenRecord, reason: str, change: Change
                             ) -> MasterDataRequest:
    """The entity exists already: close the request pointing at its golden record."""
    request = _pending(request)
    if golden.domain != request.domain or golden.status != GoldenRecord.Status.ACTIVE:
        raise InvalidInput(f"{golden.golden_id} is not an active {request.domain} record")
    return _close(request, MasterDataRequest.Status.LINKED, reason, change, golden=golden)


@transaction.atomic
def master_data_request_reject(*, request: MasterDataRequest, reason: str, change: Change) -> MasterDataRequest:
    if not reason.strip():
        raise ReasonRequired("a rejected request needs a reason")
    return _close(_pending(request), MasterDataRequest.Status.REJECTED, reason, change)
