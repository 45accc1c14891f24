"""Stewardship through the API: the queue of cases of a domain, one case with the work around
it, its decision, and claiming, releasing and commenting on it.

A case is the core's (mdm.selectors.cases): pending proposals that join the same golden
records, decided together on the `version` the caller saw (a case that changed since is
refused, 409 stale_view). Every write is the steward service the web app calls
(mdm.services.steward), so the four-eyes rule (MDM_FOUR_EYES) holds here as there: the
first approval of a case it covers is recorded and answered 202 (waiting for a second
steward), the same steward approving again is refused (409 four_eyes), and another
steward's approval applies it. Stewards of the domain decide; auditors and admins read.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import idempotent
from api.permissions import require, system_of
from api.schema import ErrorSerializer
from mdm import access
from mdm.domains import get_domain
from mdm.errors import Forbidden, NotFound
from mdm.models import MergeProposal
from mdm.selectors import Case, case_work, cases
from mdm.services import steward
from mdm.visibility import Viewer

MSG_PEOPLE_ONLY = "cases are for stewards, auditors and admins, not source systems"
MSG_WAITING = "first approval recorded ({why}): a second steward must approve this case"


class CaseProposalOut(serializers.Serializer):
    id = serializers.IntegerField()
    left = serializers.CharField(help_text="system:key")
    right = serializers.CharField()
    weight = serializers.FloatField()
    probability = serializers.FloatField(
        help_text="the weight read through `calibration` (the share of such pairs stewards find to be one "
                  "entity); the search endpoint's `probability` is the model's own")
    calibration = serializers.CharField(
        help_text="which: the stewards' decisions so far (how many); before any, the model's read for the pairs "
                  "the run left apart (first calibrated on the pairs tax ids label, when there are enough), or "
                  "the model's own (uncalibrated); "
                  "empty for a proposal no run has scored since calibrations were recorded (the model's own)")
    kind = serializers.CharField()
    evidence = serializers.ListField(child=serializers.JSONField())


class CaseOut(serializers.Serializer):
    key = serializers.IntegerField()
    domain = serializers.CharField()
    version = serializers.CharField(help_text="send it back with a decision")
    records = serializers.IntegerField()
    probability = serializers.FloatField(help_text="its strongest proposal's")
    calibration = serializers.CharField(help_text="the calibration of that probability")
    golden_ids = serializers.ListField(child=serializers.CharField())
    proposals = CaseProposalOut(many=True)


class CommentOut(serializers.Serializer):
    author = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class CaseDetailOut(CaseOut):
    assignee = serializers.CharField(allow_null=True, help_text="the steward working on it")
    first_approved_by = serializers.CharField(allow_null=True, help_text="under the four-eyes rule")
    deferred_until = serializers.DateTimeField(allow_null=True)
    comments = CommentOut(many=True)


class CaseList(serializers.Serializer):
    cases = CaseOut(many=True)


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=MergeProposal.Decision.choices)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    version = serializers.CharField(max_length=40)


class DecisionOut(serializers.Serializer):
    decided = serializers.ListField(child=serializers.IntegerField())


class WaitingOut(serializers.Serializer):
    decided = serializers.ListField(child=serializers.IntegerField(), help_text="empty: nothing applied yet")
    waiting = serializers.CharField(help_text="why a second steward must approve")


class CommentIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


def case_json(case: Case) -> dict:
    return {
        "key": case.key, "domain": case.domain, "version": case.version, "records": case.records,
        "probability": case.probability, "calibration": case.calibration,
        "golden_ids": [g.golden_id for g in case.goldens],
        "proposals": [{"id": p.pk, "left": f"{p.left.system.code}:{p.left.source_key}",
                       "right": f"{p.right.system.code}:{p.right.source_key}", "weight": p.weight,
                       "probability": p.probability, "calibration": p.calibration, "kind": p.kind,
                       "evidence": p.evidence}
                      for p in case.proposals],
    }


def case_detail_json(case: Case, request: Request) -> dict:
    work = case_work(case, seen=Viewer.of(request.user).pairs)
    task = work.task
    return {
        **case_json(case),
        "assignee": task.assignee.get_username() if task and task.assignee else None,
        "first_approved_by": task.first_approved_by.get_username() if task and task.first_approved_by else None,
        "deferred_until": task.deferred_until if task else None,
        "comments": [{"author": c.author.get_username(), "text": c.text, "created_at": c.created_at}
                     for c in work.comments],
    }


def _visible(request: Request, case: Case) -> bool:
    return all(access.can_see_system(request.user, s.system.code) for p in case.proposals for s in (p.left, p.right))


def _steward_side(request: Request, action: str, domain: str) -> None:
    """People only: a source system's token never reads or decides cases."""
    get_domain(domain)
    require(request, action, domain)
    if system_of(request) is not None:
        raise Forbidden(MSG_PEOPLE_ONLY)


def _case(request: Request, domain: str, key: int) -> Case:
    found = next((c for c in cases(domain=domain) if c.key == key and _visible(request, c)), None)
    if found is None:
        raise NotFound(f"no pending {domain} case {key}")
    return found


def _proposals(case: Case) -> list[int]:
    return [p.pk for p in case.proposals]


class Cases(APIView):
    @extend_schema(responses=CaseList, summary="The pending cases of a domain, least certain first",
                   operation_id="cases_list")
    def get(self, request: Request, domain: str) -> Response:
        _steward_side(request, access.Action.VIEW, domain)
        found = sorted((c for c in cases(domain=domain) if _visible(request, c)),
                       key=lambda c: (-c.uncertainty, -c.records, c.key))
        return Response({"cases": [case_json(c) for c in found[:500]]})


class CaseDetail(APIView):
    @extend_schema(responses=CaseDetailOut, summary="One pending case, with who works on it and its comments")
    def get(self, request: Request, domain: str, key: int) -> Response:
        _steward_side(request, access.Action.VIEW, domain)
        return Response(case_detail_json(_case(request, domain, key), request))


class CaseDecision(APIView):
    @extend_schema(request=DecisionIn, responses={200: DecisionOut, 202: WaitingOut, 409: ErrorSerializer},
                   summary="Approve or reject a case, on the version seen (stewards of the domain); "
                           "202: a first approval under the four-eyes rule, waiting for a second steward")
    @idempotent
    def post(self, request: Request, domain: str, key: int) -> Response:
        _steward_side(request, access.Action.DECIDE, domain)
        body = DecisionIn(data=request.data)
        body.is_valid(raise_exception=True)
        case = _case(request, domain, key)
        decided = steward.case_decide_as(user=request.user, proposals=_proposals(case),
                                         decision=body.validated_data["decision"],
                                         reason=body.validated_data["reason"], seen=body.validated_data["version"])
        if not decided:
            return Response({"decided": [], "waiting": MSG_WAITING.format(why=steward.four_eyes_reason(case))},
                            status=202)
        return Response({"decided": [p.pk for p in decided]})


class CaseClaim(APIView):
    @extend_schema(request=None, responses={200: CaseDetailOut, 409: ErrorSerializer},
                   summary="Claim a case for yourself (refused while another steward has it)")
    @idempotent
    def post(self, request: Request, domain: str, key: int) -> Response:
        _steward_side(request, access.Action.DECIDE, domain)
        case = _case(request, domain, key)
        steward.case_claim(user=request.user, proposals=_proposals(case))
        return Response(case_detail_json(case, request))


class CaseRelease(APIView):
    @extend_schema(request=None, responses=CaseDetailOut, summary="Release a case back to the queue")
    @idempotent
    def post(self, request: Request, domain: str, key: int) -> Response:
        _steward_side(request, access.Action.DECIDE, domain)
        case = _case(request, domain, key)
        steward.case_release(user=request.user, proposals=_proposals(case))
        return Response(case_detail_json(case, request))


class CaseComments(APIView):
    @extend_schema(request=CommentIn, responses={201: CaseDetailOut}, summary="Comment on a case")
    @idempotent
    def post(self, request: Request, domain: str, key: int) -> Response:
        _steward_side(request, access.Action.DECIDE, domain)
        body = CommentIn(data=request.data)
        body.is_valid(raise_exception=True)
        case = _case(request, domain, key)
        steward.case_comment(user=request.user, proposals=_proposals(case), text=body.validated_data["text"])
        return Response(case_detail_json(case, request), status=201)
