"""Source records in: a source system upserts, reads and deletes its own records (the system
is the token's, never the payload's), and searches before it creates one.

Every upsert goes through matching.ingest.records_receive, the use case the ingest command
and the inbound webhooks share: standardized like an imported row, upserted with history
and change events, then matched in real time; the reply names the golden ID each record
landed on, or the proposal it made. Unknown attribute names are refused (400), never
stored: the body can set a record's key and attributes, nothing else.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.idempotency import idempotent
from api.permissions import require, require_system, system_of
from matching.ingest import Received, records_receive
from matching.realtime import search
from mdm import access
from mdm.domains import Domain, get_domain
from mdm.errors import SourceRecordNotFound
from mdm.history import Change
from mdm.ingest.profiles import DOMAIN_PROFILE_KEY, domain_profile
from mdm.models import SourceRecord, SourceSystem

MSG_UNKNOWN_ATTRIBUTES = "not attributes of {domain} records: {names} (attributes: {known})"


def _checked(domain: Domain, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records as the domain profile reads them ({source_key, attribute: value}),
    refusing attribute names the domain does not declare."""
    errors = {}
    for index, record in enumerate(records):
        unknown = sorted(set(record["attributes"]) - set(domain.attributes))
        if unknown:
            errors[f"records.{index}.attributes"] = [MSG_UNKNOWN_ATTRIBUTES.format(
                domain=domain.name, names=", ".join(unknown), known=", ".join(domain.attributes))]
    if errors:
        raise ValidationError(errors)
    return [{**r["attributes"], DOMAIN_PROFILE_KEY: r["source_key"]} for r in records]


def received_json(received: Received) -> dict[str, Any]:
    out = []
    for record in received.records:
        decision = record.decision
        out.append({
            "source_key": record.source_key, "outcome": record.outcome, "golden_id": record.golden_id,
            "match": decision.action if decision else None,
            "weight": round(decision.weight, 4) if decision and decision.weight is not None else None,
            "proposals": [{"golden_id": o.golden_id, "proposal": o.proposal, "weight": round(o.weight, 4)}
                          for o in (decision.proposals if decision else ())],
            "issues": record.issues,
        })
    return {"records": out, "waiting": received.matched.waiting}


def _receive(system: SourceSystem, domain: str, records: list[dict], delete: list[str], reason: str) -> Received:
    return records_receive(system=system, profile=domain_profile(domain), records=records, delete_keys=delete,
                           change=Change.by_system(system.code, reason))


class RecordBatch(APIView):
    @extend_schema(request=s.RecordBatchSerializer, responses=s.RecordBatchResultSerializer,
                   summary="Upsert records of the token's system (at most MDM_API_MAX_BATCH), matched in real time")
    @idempotent
    def post(self, request: Request, domain: str) -> Response:
        declaration = get_domain(domain)
        system = require_system(request, access.Action.SUBMIT, domain)
        body = s.RecordBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        records = _checked(declaration, body.validated_data["records"])
        received = _receive(system, domain, records, [], f"API upsert of {len(records)} {domain} record(s)")
        return Response(received_json(received))


def _own_record(system: SourceSystem, domain: str, key: str) -> SourceRecord:
    record = (SourceRecord.objects.select_related("golden", "system")
              .filter(domain=domain, system=system, source_key=key).first())
    if record is None:
        raise SourceRecordNotFound(f"no {domain} record {key!r} of system {system.code!r}")
    return record


class RecordDetail(APIView):
    @extend_schema(responses=s.SourceRecordSerializer, summary="One of the token's system's records")
    def get(self, request: Request, domain: str, source_key: str) -> Response:
        get_domain(domain)
        system = require_system(request, access.Action.SUBMIT, domain)
        record = _own_record(system, domain, source_key)
        return Response({
            "domain": domain, "system": system.code, "source_key": record.source_key, "version": record.version,
            "deleted": record.is_deleted, "golden_id": record.golden.golden_id if record.golden else None,
            "raw": record.raw, "attributes": record.attributes, "issues": record.issues,
            "received_at": record.received_at, "updated_at": record.updated_at,
        })

    @extend_schema(request=s.RecordPutSerializer, responses=s.RecordBatchResultSerializer,
                   summary="Upsert one record of the token's system, matched in real time")
    @idempotent
    def put(self, request: Request, domain: str, source_key: str) -> Response:
        declaration = get_domain(domain)
        system = require_system(request, access.Action.SUBMIT, domain)
        body = s.RecordPutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        records = _checked(declaration, [{"source_key": source_key, **body.validated_data}])
        return Response(received_json(_receive(system, domain, records, [], f"API upsert of {domain} record")))

    @extend_schema(responses=s.RecordBatchResultSerializer,
                   summary="Delete one record of the token's system (soft: history and the feed keep it)")
    def delete(self, request: Request, domain: str, source_key: str) -> Response:
        get_domain(domain)
        system = require_system(request, access.Action.SUBMIT, domain)
        _own_record(system, domain, source_key)
        return Response(received_json(_receive(system, domain, [], [source_key], f"API deletion of {domain} record")))


class Search(APIView):
    @extend_schema(request=s.SearchInSerializer, responses=s.SearchResultSerializer,
                   summary="Search before create: the golden records a candidate would match, nothing stored")
    def post(self, request: Request, domain: str) -> Response:
        declaration = get_domain(domain)
        require(request, access.Action.VIEW, domain)
        body = s.SearchInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unknown = sorted(set(body.validated_data["attributes"]) - set(declaration.attributes))
        if unknown:
            raise ValidationError({"attributes": [MSG_UNKNOWN_ATTRIBUTES.format(
                domain=domain, names=", ".join(unknown), known=", ".join(declaration.attributes))]})
        system = system_of(request)
        masked = access.masked_attributes(request.user, domain)
        result = search(domain, body.validated_data["attributes"], limit=body.validated_data["limit"],
                        system=system.code if system else None)
        matches = result.matches
        visible = access.visible_systems(request.user)
        if visible is not None:  # another department's golden records are not named
            seen = set(SourceRecord.objects.filter(golden_id__in=[m.golden for m in matches], system__code__in=visible)
                       .values_list("golden_id", flat=True))
            matches = [m for m in matches if m.golden in seen]
        return Response({"matches": [
            {"golden_id": m.golden_id, "weight": round(m.weight, 4), "probability": m.probability, "band": m.band,
             "prior_weight": round(m.prior_weight, 4), "matched_record": m.record_label,
             "attributes": access.mask(m.attributes, masked),
             "evidence": [{"comparison": e.comparison, "level": e.level, "weight": round(e.weight, 4)}
                          for e in m.evidence]}
            for m in matches
        ]})
