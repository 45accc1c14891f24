"""New master data requests through the API: file one (the hub standardizes the values and
searches for duplicates first: `candidates`), list and read them, and decide one (approve:
a new golden record; link: the entity exists, give its golden ID; reject, with a reason).

The same services as the web app (matching.requests, mdm.services.steward). Filing needs
the `request` grant (stewards; a source system only if granted it), deciding is for the
domain's stewards and admins; a source system's token reads only the requests it filed.
Values are masked as everywhere, and duplicate candidates and golden IDs the caller's
departments do not see are left out.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import idempotent
from api.permissions import require, system_of, visible_golden
from api.schema import ErrorSerializer
from matching.requests import request_submit_as
from mdm import access
from mdm.domains import get_domain
from mdm.errors import Forbidden, NotFound
from mdm.history import Change
from mdm.models import MasterDataRequest, SourceRecord
from mdm.selectors import master_data_requests
from mdm.services import steward

MSG_PEOPLE_ONLY = "requests are decided by stewards and admins, not source systems"
PAGE = 200


class RequestIn(serializers.Serializer):
    values = serializers.DictField(child=serializers.CharField(max_length=2000, allow_blank=True), allow_empty=False,
                                   help_text="the domain's attributes, as in records sent")
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class CandidateOut(serializers.Serializer):
    golden_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    band = serializers.CharField(help_text="the model's band, or exact (a shared tax id, name or barcode)")
    weight = serializers.FloatField(allow_null=True)
    probability = serializers.FloatField(allow_null=True)
    why = serializers.CharField()


class RequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    status = serializers.ChoiceField(choices=MasterDataRequest.Status.choices)
    values = serializers.DictField(child=serializers.JSONField(allow_null=True), help_text="as submitted")
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True), help_text="as standardized")
    issues = serializers.DictField(child=serializers.JSONField())
    candidates = CandidateOut(many=True, help_text="likely duplicates, strongest first")
    requested_by = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    decided_by = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    golden_id = serializers.CharField(allow_null=True, help_text="the golden record it became or was linked to")
    created_at = serializers.DateTimeField()


class RequestList(serializers.Serializer):
    requests = RequestOut(many=True)


class RequestDecisionIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "link", "reject"])
    golden_id = serializers.CharField(max_length=40, allow_blank=True, default="",
                                      help_text="link: the golden record the entity is")
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")

    def validate(self, data):
        if data["action"] == "link" and not data["golden_id"].strip():
            raise serializers.ValidationError({"golden_id": ["link needs the golden ID of the existing record"]})
        return data


def _seen_goldens(request: Request, domain: str, golden_ids: set[str]) -> set[str]:
    """Of these golden IDs, those the caller's departments see a member of."""
    visible = access.visible_systems(request.user)
    if visible is None or not golden_ids:
        return golden_ids
    return set(SourceRecord.objects.filter(domain=domain, golden__golden_id__in=golden_ids, system__code__in=visible)
               .values_list("golden__golden_id", flat=True))


def _named(filed: MasterDataRequest) -> set[str]:
    """The golden IDs a request names: its candidates, the one it became or was linked to."""
    return {c["golden_id"] for c in filed.candidates} | ({filed.golden.golden_id} if filed.golden_id else set())


def requests_json(request: Request, domain: str, page: list[MasterDataRequest]) -> list[dict]:
    """Requests as the caller may see them: one query for the golden IDs their departments see."""
    seen = _seen_goldens(request, domain, set().union(*map(_named, page)))
    masked = access.masked_attributes(request.user, domain)
    return [_request_json(filed, seen, masked) for filed in page]


def _request_json(filed: MasterDataRequest, seen: set[str], masked: frozenset[str]) -> dict:
    linked = filed.golden.golden_id if filed.golden_id else None
    return {
        "id": filed.pk, "domain": filed.domain, "status": filed.status,
        "values": access.mask(filed.values, masked), "attributes": access.mask(filed.attributes, masked),
        "issues": {n: [access.MASK] * len(found) if n in masked else found for n, found in filed.issues.items()},
        "candidates": [{**c, "name": access.MASK if "name" in masked else c.get("name", "")}
                       for c in filed.candidates if c["golden_id"] in seen],
        "requested_by": filed.requested_by, "note": filed.note, "decided_by": filed.decided_by,
        "decided_at": filed.decided_at, "reason": filed.reason,
        "golden_id": linked if linked in seen else None, "created_at": filed.created_at,
    }


def _readable(request: Request, domain: str):
    """The requests the caller may read: all of the domain's for a person who may view it,
    a source system's own."""
    get_domain(domain)
    require(request, access.Action.VIEW, domain)
    system = system_of(request)
    return master_data_requests(domain=domain, requested_by=None if system is None
                                else Change.by_user(request.user, "").actor)


class Requests(APIView):
    @extend_schema(parameters=[OpenApiParameter("status", enum=MasterDataRequest.Status.values)],
                   responses=RequestList, summary="New master data requests of a domain, newest first",
                   operation_id="requests_list")
    def get(self, request: Request, domain: str) -> Response:
        query = _readable(request, domain)
        status = request.query_params.get("status", "")
        if status and status not in MasterDataRequest.Status.values:
            raise serializers.ValidationError({"status": [f"one of {', '.join(MasterDataRequest.Status.values)}"]})
        if status:
            query = query.filter(status=status)
        return Response({"requests": requests_json(request, domain, list(query[:PAGE]))})

    @extend_schema(request=RequestIn, responses={201: RequestOut},
                   summary="Ask for a new customer, product or supplier: standardized, searched for duplicates, "
                           "filed for a steward")
    @idempotent
    def post(self, request: Request, domain: str) -> Response:
        get_domain(domain)
        require(request, access.Action.REQUEST, domain)
        body = RequestIn(data=request.data)
        body.is_valid(raise_exception=True)
        filed = request_submit_as(user=request.user, domain=domain, values=body.validated_data["values"],
                                  note=body.validated_data["note"])
        return Response(requests_json(request, domain, [filed])[0], status=201)


def _filed(request: Request, domain: str, pk: int) -> MasterDataRequest:
    filed = _readable(request, domain).filter(pk=pk).first()
    if filed is None:
        raise NotFound(f"no {domain} request {pk}")
    return filed


class RequestDetail(APIView):
    @extend_schema(responses=RequestOut, summary="One new master data request, with its duplicate candidates")
    def get(self, request: Request, domain: str, pk: int) -> Response:
        return Response(requests_json(request, domain, [_filed(request, domain, pk)])[0])


class RequestDecision(APIView):
    @extend_schema(request=RequestDecisionIn, responses={200: RequestOut, 409: ErrorSerializer},
                   summary="Approve a request (a new golden record), link it to an existing golden ID, or "
                           "reject it (with a reason)")
    @idempotent
    def post(self, request: Request, domain: str, pk: int) -> Response:
        get_domain(domain)
        require(request, access.Action.DECIDE, domain)
        if system_of(request) is not None:
            raise Forbidden(MSG_PEOPLE_ONLY)
        body = RequestDecisionIn(data=request.data)
        body.is_valid(raise_exception=True)
        filed = _filed(request, domain, pk)
        golden_id = body.validated_data["golden_id"].strip()
        if body.validated_data["action"] == "link":
            golden_id = visible_golden(request, domain, golden_id).golden_id
        decided = steward.request_decide_as(user=request.user, request=filed, action=body.validated_data["action"],
                                            golden_id=golden_id, reason=body.validated_data["reason"])
        return Response(requests_json(request, domain, [decided])[0])
