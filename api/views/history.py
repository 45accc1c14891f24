"""History for auditors: the versions of a golden or a source record (who, when, why, the
operation), the state as of a timestamp (a golden record's members then too), and the
difference between two versions, attribute by attribute (the auditors' pages' own reads:
mdm.history_log, mdm.selectors.golden_record_as_of)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require, visible_golden
from mdm import access
from mdm.domains import get_domain
from mdm.errors import NotFound, SourceRecordNotFound
from mdm.history_log import version_diff
from mdm.models import GoldenRecord, SourceRecord
from mdm.selectors import golden_record_as_of, record_history
from mdm.visibility import Viewer

TRACKED = {
    "golden": ["golden_id", "status", "version", "attributes", "lineage", "overrides", "successor_id"],
    "source": ["version", "is_deleted", "raw", "attributes", "issues", "golden_id", "profile"],
}


class HistoryQuery(serializers.Serializer):
    as_of = serializers.DateTimeField(required=False, help_text="the state at this time")
    diff_from = serializers.IntegerField(required=False, min_value=1, help_text="a version, with diff_to")
    diff_to = serializers.IntegerField(required=False, min_value=1)


class VersionOut(serializers.Serializer):
    version = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    reason = serializers.CharField(allow_null=True)
    operation = serializers.CharField()
    type = serializers.CharField()
    state = serializers.DictField(child=serializers.JSONField(allow_null=True))


class HistoryOut(serializers.Serializer):
    versions = VersionOut(many=True)
    members = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="with as_of, a golden record's members then (system:key)")
    diff = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False,
                                 help_text="changed field or attribute (attributes.name): {from, to}, "
                                           "between diff_from and diff_to")


def _state(row: Any, kind: str, domain: str, viewer: Viewer) -> dict[str, Any]:
    state = {name: getattr(row, name) for name in TRACKED[kind]}
    if isinstance(state.get("attributes"), dict):
        state["attributes"] = (viewer.golden_attributes(domain, state["attributes"], row.lineage or {})
                               if kind == "golden" else viewer.mask(domain, state["attributes"]))
    if isinstance(state.get("issues"), dict):
        state["issues"] = viewer.issues(domain, state["issues"])  # a message quotes the value it could not read
    if kind == "golden" and viewer.limited and isinstance(state.get("lineage"), dict):
        state["lineage"] = {name: came if viewer.sees_system((came or {}).get("system")) else access.MASK
                            for name, came in state["lineage"].items()}  # no pointer into an unseen system
    if isinstance(state.get("raw"), dict) and viewer.masked(domain):
        state["raw"] = {}  # what the source sent may hold a sensitive value under any field name
    return state


def _answer(request: Request, record: GoldenRecord | SourceRecord, kind: str, domain: str) -> Response:
    query = HistoryQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    q = query.validated_data
    viewer = Viewer.of(request.user)
    rows = list(record_history(record))
    if "as_of" in q:
        rows = [r for r in rows if r.history_date <= q["as_of"]][:1]
    out: dict[str, Any] = {"versions": [
        {"version": r.version, "at": r.history_date, "actor": r.history_actor, "reason": r.history_change_reason,
         "operation": str(r.history_operation), "type": r.history_type, "state": _state(r, kind, domain, viewer)}
        for r in rows
    ]}
    if kind == "golden" and "as_of" in q:
        state = golden_record_as_of(record.golden_id, q["as_of"])
        out["members"] = sorted(k for k in state.member_keys if viewer.sees_system(k.split(":", 1)[0])) if state else []
    if "diff_from" in q or "diff_to" in q:
        by_version = {r.version: r.history_id for r in reversed(list(record_history(record)))}
        old, new = by_version.get(q.get("diff_from")), by_version.get(q.get("diff_to"))
        if old is None or new is None:
            raise NotFound(f"no version {q.get('diff_from')} or {q.get('diff_to')} of this record")
        out["diff"] = {c.field: {"from": c.before, "to": c.after}
                       for c in version_diff(kind, record.pk, old, new, viewer=viewer)
                       if not (viewer.masked(domain) and c.field.startswith("raw"))}
    return Response(out)


class GoldenHistory(APIView):
    @extend_schema(parameters=[HistoryQuery], responses=HistoryOut, summary="Versions of a golden record (auditors)")
    def get(self, request: Request, domain: str, golden_id: str) -> Response:
        get_domain(domain)
        require(request, access.Action.AUDIT, domain)
        visible_golden(request, domain, golden_id)  # not found, or another department's
        golden = GoldenRecord.objects.get(golden_id=golden_id)  # itself, not its successor
        return _answer(request, golden, "golden", domain)


class SourceHistory(APIView):
    @extend_schema(parameters=[HistoryQuery], responses=HistoryOut, summary="Versions of a source record (auditors)")
    def get(self, request: Request, domain: str, system: str, source_key: str) -> Response:
        get_domain(domain)
        require(request, access.Action.AUDIT, domain)
        record = SourceRecord.objects.filter(domain=domain, system__code=system, source_key=source_key).first()
        if record is None or not access.can_see_system(request.user, system):
            raise SourceRecordNotFound(f"no {domain} record {source_key!r} of system {system!r}")
        return _answer(request, record, "source", domain)
