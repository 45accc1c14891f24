"""What a steward does to golden records through the API: merge two, split members out, set
or clear an override, unmerge an applied approval, undo one's own last decision.

Each calls the steward service the web app calls (mdm.services.steward): the grant
checked, one transaction writing history and change events. A golden-record action names
the `version` the caller saw (GET golden/{domain}/{golden_id}); when the record changed
since, nothing is applied (409 stale_view). People only (a source system's token is
refused), and only on golden records and records the caller's departments see (else 404,
as for reads). Replies show golden records as the caller may see them (masked).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.idempotency import idempotent
from api.permissions import require, system_of, visible_golden
from api.schema import ErrorSerializer
from api.views.golden import golden_summary
from mdm import access
from mdm.domains import get_domain
from mdm.errors import Forbidden, InvalidInput, NotFound
from mdm.models import GoldenRecord, MergeProposal, SourceRecord
from mdm.selectors import golden_record_resolve
from mdm.services import steward
from mdm.visibility import Viewer

MSG_PEOPLE_ONLY = "golden records are changed by stewards and admins, not source systems"
MSG_UNKNOWN_RECORDS = "no live {domain} source record {records} is visible to you"
MAX_VERSION = 2**31 - 1


class SeenIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION,
                                       help_text="the golden record's version you saw")
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class MergeIn(SeenIn):
    other = serializers.CharField(max_length=40, help_text="the golden ID to merge with")


class MemberRef(serializers.Serializer):
    system = serializers.CharField(max_length=40)
    source_key = serializers.CharField(max_length=200)


class SplitIn(SeenIn):
    records = MemberRef(many=True, allow_empty=False, max_length=1000, help_text="the members to move out")
    into = serializers.CharField(max_length=40, allow_blank=True, default="",
                                 help_text="an existing golden ID to move them into (empty: a new golden record)")


class OverrideIn(SeenIn):
    attribute = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=2000, allow_null=True, help_text="null clears the override")


class SplitOut(serializers.Serializer):
    golden = s.GoldenSummarySerializer(help_text="where the records moved are now")
    source = s.GoldenSummarySerializer(help_text="the golden record they left, as it is now")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="", help_text="required")


class UnmergeOut(serializers.Serializer):
    revived = s.GoldenSummarySerializer(many=True, help_text="the golden records the approval had retired")


class UndoOut(serializers.Serializer):
    proposal = serializers.IntegerField()
    status = serializers.CharField(help_text="pending again after an undone rejection")
    decision = serializers.CharField()
    reversed_at = serializers.DateTimeField(allow_null=True, help_text="set after an undone approval")


CONFLICT = {409: ErrorSerializer}


def _steward_side(request: Request, domain: str) -> None:
    get_domain(domain)
    require(request, access.Action.DECIDE, domain)
    if system_of(request) is not None:
        raise Forbidden(MSG_PEOPLE_ONLY)


def _summary(request: Request, golden: GoldenRecord) -> dict:
    return golden_summary(golden, Viewer.of(request.user))


def _members(request: Request, domain: str, refs: list[dict]) -> list[int]:
    """The ids of the records named (system, source_key), each live and visible."""
    wanted = {(r["system"], r["source_key"]) for r in refs}
    rows = SourceRecord.objects.filter(domain=domain, is_deleted=False, source_key__in={k for _, k in wanted},
                                       system__code__in={c for c, _ in wanted})
    found = {(code, key): pk for pk, code, key in rows.values_list("pk", "system__code", "source_key")
             if (code, key) in wanted and access.can_see_system(request.user, code)}
    missing = sorted(wanted - set(found))
    if missing:
        raise InvalidInput(MSG_UNKNOWN_RECORDS.format(domain=domain, records=", ".join(
            f"{code}:{key}" for code, key in missing[:10])))
    return sorted(found.values())


class GoldenMerge(APIView):
    @extend_schema(request=MergeIn, responses={200: s.GoldenSummarySerializer, **CONFLICT},
                   summary="Merge another golden record into this one, on the version seen")
    @idempotent
    def post(self, request: Request, domain: str, golden_id: str) -> Response:
        _steward_side(request, domain)
        body = MergeIn(data=request.data)
        body.is_valid(raise_exception=True)
        visible_golden(request, domain, golden_id)
        other = visible_golden(request, domain, body.validated_data["other"])
        merged = steward.golden_merge_as(user=request.user, golden_id=golden_id,
                                         version=body.validated_data["version"], other=other.golden_id,
                                         reason=body.validated_data["reason"])
        return Response(_summary(request, merged))


class GoldenSplit(APIView):
    @extend_schema(request=SplitIn, responses={200: SplitOut, **CONFLICT},
                   summary="Move members out of a golden record (into a new one, or into `into`), on the "
                           "version seen; they are ruled apart from those that stay")
    @idempotent
    def post(self, request: Request, domain: str, golden_id: str) -> Response:
        _steward_side(request, domain)
        body = SplitIn(data=request.data)
        body.is_valid(raise_exception=True)
        visible_golden(request, domain, golden_id)
        into = body.validated_data["into"].strip()
        if into:
            into = visible_golden(request, domain, into).golden_id
        moved = steward.golden_split_as(user=request.user, golden_id=golden_id,
                                        version=body.validated_data["version"],
                                        moving=_members(request, domain, body.validated_data["records"]),
                                        into=into, reason=body.validated_data["reason"])
        return Response({"golden": _summary(request, moved),
                         "source": _summary(request, golden_record_resolve(golden_id))})


class GoldenOverride(APIView):
    @extend_schema(request=OverrideIn, responses={200: s.GoldenSummarySerializer, **CONFLICT},
                   summary="Set a steward's value for one attribute (it wins over survivorship), or clear it "
                           "(value null), on the version seen")
    @idempotent
    def post(self, request: Request, domain: str, golden_id: str) -> Response:
        _steward_side(request, domain)
        body = OverrideIn(data=request.data)
        body.is_valid(raise_exception=True)
        visible_golden(request, domain, golden_id)
        value = body.validated_data["value"]
        if value is not None and not value.strip():
            raise InvalidInput("an override needs a value (null clears it)")
        golden = steward.golden_override_as(user=request.user, golden_id=golden_id,
                                            version=body.validated_data["version"],
                                            attribute=body.validated_data["attribute"], value=value or "",
                                            reason=body.validated_data["reason"])
        return Response(_summary(request, golden))


class DecisionUnmerge(APIView):
    @extend_schema(request=ReasonIn, responses={200: UnmergeOut, **CONFLICT},
                   summary="Reverse an applied approval exactly: the golden records it retired come back")
    @idempotent
    def post(self, request: Request, domain: str, proposal: int) -> Response:
        _steward_side(request, domain)
        body = ReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        row = MergeProposal.objects.select_related("left__system", "right__system").filter(
            pk=proposal, domain=domain).first()
        if row is None or not all(access.can_see_system(request.user, r.system.code) for r in (row.left, row.right)):
            raise NotFound(f"no {domain} proposal {proposal}")
        revived = steward.unmerge_as(user=request.user, proposal=row.pk, reason=body.validated_data["reason"])
        return Response({"revived": [_summary(request, g) for g in revived]})


class DecisionUndo(APIView):
    @extend_schema(request=ReasonIn, responses={200: UndoOut, **CONFLICT},
                   summary="Undo your last decision in a domain (an approval is unmerged, a rejection waits again)")
    @idempotent
    def post(self, request: Request, domain: str) -> Response:
        _steward_side(request, domain)
        body = ReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        undone = steward.undo_as(user=request.user, domain=domain, reason=body.validated_data["reason"])
        return Response({"proposal": undone.pk, "status": undone.status, "decision": undone.decision,
                         "reversed_at": undone.reversed_at})
