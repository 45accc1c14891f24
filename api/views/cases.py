"""Stewardship through the API: the queue of cases of a domain, one case, and its decision.

A case is the core's (mdm.selectors.cases): pending proposals that join the same golden
records, decided together through mdm.services.decisions.case_decide, on the `version`
the caller saw (a case that changed since is refused, 409 stale_view). Stewards of the
domain decide; auditors and admins read. In a domain under the four-eyes rule
(MDM_FOUR_EYES) approvals are the web app's, which records the first approval and waits
for the second steward: the API refuses them rather than apply one alone.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require, system_of
from mdm import access
from mdm.domains import get_domain
from mdm.errors import Conflict, Forbidden, NotFound
from mdm.history import Change
from mdm.models import MergeProposal
from mdm.selectors import Case, cases
from mdm.services.decisions import case_decide

MSG_PEOPLE_ONLY = "cases are for stewards, auditors and admins, not source systems"
MSG_FOUR_EYES = "approvals in {domain} need two stewards: approve this case in the web app"


class CaseProposalOut(serializers.Serializer):
    id = serializers.IntegerField()
    left = serializers.CharField(help_text="system:key")
    right = serializers.CharField()
    weight = serializers.FloatField()
    probability = serializers.FloatField()
    kind = serializers.CharField()
    evidence = serializers.ListField(child=serializers.JSONField())


class CaseOut(serializers.Serializer):
    key = serializers.IntegerField()
    domain = serializers.CharField()
    version = serializers.CharField(help_text="send it back with a decision")
    records = serializers.IntegerField()
    probability = serializers.FloatField()
    golden_ids = serializers.ListField(child=serializers.CharField())
    proposals = CaseProposalOut(many=True)


class CaseList(serializers.Serializer):
    cases = CaseOut(many=True)


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=MergeProposal.Decision.choices)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    version = serializers.CharField(max_length=40)


class DecisionOut(serializers.Serializer):
    decided = serializers.ListField(child=serializers.IntegerField())


def case_json(case: Case) -> dict:
    return {
        "key": case.key, "domain": case.domain, "version": case.version, "records": case.records,
        "probability": case.probability, "golden_ids": [g.golden_id for g in case.goldens],
        "proposals": [{"id": p.pk, "left": f"{p.left.system.code}:{p.left.source_key}",
                       "right": f"{p.right.system.code}:{p.right.source_key}", "weight": p.weight,
                       "probability": p.probability, "kind": p.kind, "evidence": p.evidence}
                      for p in case.proposals],
    }


def _visible(request: Request, case: Case) -> bool:
    return all(access.can_see_system(request.user, s.system.code) for p in case.proposals for s in (p.left, p.right))


def _steward_side(request: Request, action: str, domain: str) -> None:
    """People only: a source system's token never reads or decides cases."""
    require(request, action, domain)
    if system_of(request) is not None:
        raise Forbidden(MSG_PEOPLE_ONLY)


def _case(request: Request, domain: str, key: int) -> Case:
    found = next((c for c in cases(domain=domain) if c.key == key and _visible(request, c)), None)
    if found is None:
        raise NotFound(f"no pending {domain} case {key}")
    return found


class Cases(APIView):
    @extend_schema(responses=CaseList, summary="The pending cases of a domain, least certain first",
                   operation_id="cases_list")
    def get(self, request: Request, domain: str) -> Response:
        get_domain(domain)
        _steward_side(request, access.Action.VIEW, domain)
        found = sorted((c for c in cases(domain=domain) if _visible(request, c)),
                       key=lambda c: (-c.uncertainty, -c.records, c.key))
        return Response({"cases": [case_json(c) for c in found[:500]]})


class CaseDetail(APIView):
    @extend_schema(responses=CaseOut, summary="One pending case")
    def get(self, request: Request, domain: str, key: int) -> Response:
        get_domain(domain)
        _steward_side(request, access.Action.VIEW, domain)
        return Response(case_json(_case(request, domain, key)))


class CaseDecision(APIView):
    @extend_schema(request=DecisionIn, responses=DecisionOut,
                   summary="Approve or reject a case, on the version seen (stewards of the domain)")
    def post(self, request: Request, domain: str, key: int) -> Response:
        get_domain(domain)
        _steward_side(request, access.Action.DECIDE, domain)
        body = DecisionIn(data=request.data)
        body.is_valid(raise_exception=True)
        decision = body.validated_data["decision"]
        if decision == MergeProposal.Decision.APPROVE and domain in settings.MDM_FOUR_EYES:
            raise Conflict(MSG_FOUR_EYES.format(domain=domain))
        case = _case(request, domain, key)
        decided = case_decide(
            proposals=[p.pk for p in case.proposals], decision=decision, reason=body.validated_data["reason"],
            seen=body.validated_data["version"],
            change=Change.by_user(request.user, body.validated_data["reason"] or f"{decision} case {key} (API)"),
        )
        return Response({"decided": [p.pk for p in decided]})
