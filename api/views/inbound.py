"""Inbound webhooks: 简道云 (Jiandaoyun) data-push callbacks at a per-system URL.

    POST /api/v1/inbound/jiandaoyun/<system>?nonce=<n>&timestamp=<t>
    X-JDY-Signature: sha1("<nonce>:<body>:<secret>:<timestamp>")   (hex)
    X-JDY-DeliverId: <id>
    {"op": "data_create" | "data_update" | "data_remove", "data": {<the record>}}

The record's fields are read by widget id (`_widget_…`) or alias, as the endpoint's
profile maps them (InboundEndpoint.profile, e.g. jiandaoyun_customer); created and
updated records go through matching.ingest.records_receive like every other arrival, a
removed one is soft-deleted. A bad signature is refused (401) before anything is read or
stored; a DeliverId already received changes nothing (简道云 retries until it gets 2xx).
Other ops (form and process events) are acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.models import InboundDelivery, InboundEndpoint
from matching.ingest import records_receive
from mdm.errors import BadSignature, InvalidInput, NotFound, RowRejected
from mdm.history import Change
from mdm.ingest.profiles import get_profile

RECORD_OPS = ("data_create", "data_update")
REMOVE_OP = "data_remove"
MSG_BAD_SIGNATURE = "X-JDY-Signature does not match the body signed with this endpoint's secret"


class InboundReply(serializers.Serializer):
    status = serializers.ChoiceField(choices=["stored", "duplicate", "ignored"])
    source_key = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True)
    golden_id = serializers.CharField(allow_null=True)


def jdy_signature(nonce: str, payload: str, secret: str, timestamp: str) -> str:
    return hashlib.sha1(f"{nonce}:{payload}:{secret}:{timestamp}".encode()).hexdigest()  # noqa: S324 - 简道云's scheme


class Jiandaoyun(APIView):
    authentication_classes: list = []  # the signature authenticates
    throttle_classes: list = []

    @extend_schema(
        request={"application/json": {"type": "object"}}, responses=InboundReply,
        parameters=[OpenApiParameter("nonce", str, required=True), OpenApiParameter("timestamp", str, required=True),
                    OpenApiParameter("X-JDY-Signature", str, OpenApiParameter.HEADER, required=True),
                    OpenApiParameter("X-JDY-DeliverId", str, OpenApiParameter.HEADER, required=True)],
        summary="简道云 data-push callback (signed with the endpoint's secret)", auth=[],
    )
    def post(self, request: Request, system: str) -> Response:
        endpoint = (InboundEndpoint.objects.select_related("system")
                    .filter(system__code=system, kind=InboundEndpoint.Kind.JIANDAOYUN).first())
        if endpoint is None:
            raise NotFound(f"no 简道云 endpoint for system {system!r}")
        payload = request.body.decode("utf-8", errors="replace")
        expected = jdy_signature(request.query_params.get("nonce", ""), payload, endpoint.secret,
                                 request.query_params.get("timestamp", ""))
        if not hmac.compare_digest(expected, request.headers.get("X-JDY-Signature", "")):
            raise BadSignature(MSG_BAD_SIGNATURE)
        deliver_id = request.headers.get("X-JDY-DeliverId", "")[:200]
        if not deliver_id:
            raise InvalidInput("X-JDY-DeliverId is missing")
        if InboundDelivery.objects.filter(endpoint=endpoint, deliver_id=deliver_id).exists():
            return Response({"status": "duplicate", "source_key": "", "outcome": "", "golden_id": None})
        try:
            body = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"the body is not JSON: {exc}") from None
        op = body.get("op") if isinstance(body, dict) else None
        record = body.get("data") if isinstance(body, dict) else None
        if op not in (*RECORD_OPS, REMOVE_OP):
            return Response({"status": "ignored", "source_key": "", "outcome": "", "golden_id": None})
        if not isinstance(record, dict):
            raise InvalidInput("a data push carries its record under `data`")
        profile = get_profile(endpoint.profile)
        try:
            key = profile.source_key(record)
        except RowRejected as exc:
            raise InvalidInput(exc.message) from None
        received = records_receive(
            system=endpoint.system, profile=profile,
            records=[record] if op in RECORD_OPS else [], delete_keys=[key] if op == REMOVE_OP else [],
            change=Change.by_system(endpoint.system.code, f"简道云 {op} {deliver_id}"),
        ).records[0]
        try:
            with transaction.atomic():
                InboundDelivery.objects.create(endpoint=endpoint, deliver_id=deliver_id, op=op, source_key=key,
                                               outcome=received.outcome, received_at=timezone.now())
        except IntegrityError:  # the same delivery, received twice at once: both did the same work
            pass
        return Response({"status": "stored", "source_key": key, "outcome": received.outcome,
                         "golden_id": received.golden_id})
