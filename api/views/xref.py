"""Cross-reference: the golden ID of a source key, of many keys, and the keys of a golden ID.

A retired golden ID (merged into another) is answered with its successor: `golden_id` is
the active record's, `requested_id` the one asked for and `retired` true (documented in
the schema). A source record always points at an active golden record, since a merge moves
its members.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.permissions import require, visible_golden
from mdm import access
from mdm.domains import get_domain
from mdm.errors import SourceRecordNotFound
from mdm.models import GoldenRecord
from mdm.selectors import XrefEntry, golden_source_keys, xref_entries, xref_entry

MSG_NO_RECORD = "no {domain} record {key!r} of system {system!r}"


def xref_json(entry: XrefEntry | None, domain: str, system: str, key: str) -> dict:
    if entry is None:
        return {"domain": domain, "system": system, "source_key": key, "found": False, "deleted": None,
                "record_version": None, "golden_id": None, "golden_status": None}
    return {"domain": entry.domain, "system": entry.system, "source_key": entry.source_key, "found": True,
            "deleted": entry.deleted, "record_version": entry.record_version, "golden_id": entry.golden_id,
            "golden_status": entry.golden_status}


class XrefDetail(APIView):
    @extend_schema(responses=s.XrefSerializer, summary="The golden ID of one source key")
    def get(self, request: Request, domain: str, system: str, source_key: str) -> Response:
        get_domain(domain)
        require(request, access.Action.VIEW, domain)
        entry = xref_entry(domain=domain, system=system, source_key=source_key)
        if entry is None or not access.can_see_system(request.user, system):
            raise SourceRecordNotFound(MSG_NO_RECORD.format(domain=domain, key=source_key, system=system))
        return Response(xref_json(entry, domain, system, source_key))


class XrefLookup(APIView):
    @extend_schema(request=s.XrefLookupSerializer, responses=s.XrefLookupResultSerializer,
                   summary="The golden IDs of many source keys (at most 1000), in the order asked")
    def post(self, request: Request, domain: str) -> Response:
        get_domain(domain)
        require(request, access.Action.VIEW, domain)
        body = s.XrefLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        keys = [(k["system"], k["source_key"]) for k in body.validated_data["keys"]]
        found = xref_entries(domain=domain, keys=[k for k in keys if access.can_see_system(request.user, k[0])])
        return Response({"results": [xref_json(found.get(k), domain, *k) for k in keys]})


class GoldenKeys(APIView):
    @extend_schema(responses=s.GoldenKeysSerializer,
                   summary="Every live source key of a golden ID, per system (a retired ID: its successor's)")
    def get(self, request: Request, domain: str, golden_id: str) -> Response:
        get_domain(domain)
        require(request, access.Action.VIEW, domain)
        golden = visible_golden(request, domain, golden_id)
        keys = golden_source_keys(golden) if golden.status == GoldenRecord.Status.ACTIVE else {}
        return Response({
            "domain": domain, "golden_id": golden.golden_id, "requested_id": golden_id,
            "retired": golden.golden_id != golden_id, "status": golden.status,
            "keys": {system: k for system, k in keys.items() if access.can_see_system(request.user, system)},
        })
