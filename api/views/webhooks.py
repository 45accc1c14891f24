"""Webhook subscriptions of source systems, and their delivery log.

A system manages its own subscriptions and reads its own log; an admin manages every one,
an auditor reads every one. The secret is shown once, in the reply that creates it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.models import WebhookDelivery, WebhookSubscription
from api.permissions import require_login, system_of
from api.services import webhook_deactivate, webhook_subscribe
from mdm import access
from mdm.domains import all_domains
from mdm.errors import Forbidden
from mdm.history import Change
from mdm.models import ChangeEvent

MSG_NOT_YOURS = "a source system manages its own webhooks; people: admins (auditors read them)"


class SubscriptionIn(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=ChangeEvent.Kind.choices), default=list,
                                  max_length=20)
    domains = serializers.ListField(child=serializers.ChoiceField(choices=[]), default=list, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domains"].child.choices = list(all_domains())


class SubscriptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    system = serializers.CharField()
    url = serializers.CharField()
    kinds = serializers.ListField(child=serializers.CharField())
    domains = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    last_sequence = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    secret = serializers.CharField(required=False, help_text="only in the reply that creates the subscription")


class AttemptOut(serializers.Serializer):
    number = serializers.IntegerField()
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    duration_ms = serializers.IntegerField()


class DeliveryOut(serializers.Serializer):
    sequence = serializers.IntegerField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    attempt_log = AttemptOut(many=True)


class DeliveryPage(serializers.Serializer):
    deliveries = DeliveryOut(many=True)


def subscription_json(sub: WebhookSubscription, secret: bool = False) -> dict:
    out = {"id": sub.pk, "system": sub.system.code, "url": sub.url, "kinds": sub.kinds, "domains": sub.domains,
           "is_active": sub.is_active, "last_sequence": sub.last_sequence, "created_at": sub.created_at}
    if secret:
        out["secret"] = sub.secret
    return out


def _readable(request: Request):
    """The subscriptions the caller may read."""
    require_login(request)
    system = system_of(request)
    query = WebhookSubscription.objects.select_related("system").order_by("pk")
    if system is not None:
        return query.filter(system=system)
    if access.can(request.user, access.Action.AUDIT) or access.can(request.user, access.Action.ADMINISTER):
        return query
    raise Forbidden(MSG_NOT_YOURS)


def _writable(request: Request, sub: WebhookSubscription) -> None:
    system = system_of(request)
    if system is not None and system.pk == sub.system_id:
        return
    if system is None and access.can(request.user, access.Action.ADMINISTER):
        return
    raise Forbidden(MSG_NOT_YOURS)


class Subscriptions(APIView):
    @extend_schema(responses=SubscriptionOut(many=True), summary="Webhook subscriptions the caller may read")
    def get(self, request: Request) -> Response:
        return Response([subscription_json(sub) for sub in _readable(request)])

    @extend_schema(request=SubscriptionIn, responses={201: SubscriptionOut},
                   summary="Subscribe the token's system (from the feed's end on; the secret is shown once)")
    def post(self, request: Request) -> Response:
        require_login(request)
        system = system_of(request)
        if system is None:
            raise Forbidden(MSG_NOT_YOURS)
        body = SubscriptionIn(data=request.data)
        body.is_valid(raise_exception=True)
        sub = webhook_subscribe(system=system, url=body.validated_data["url"], kinds=body.validated_data["kinds"],
                                domains=body.validated_data["domains"],
                                change=Change.by_system(system.code, "webhook subscription"))
        return Response(subscription_json(sub, secret=True), status=201)


class Subscription(APIView):
    @extend_schema(responses=SubscriptionOut, summary="One webhook subscription")
    def get(self, request: Request, pk: int) -> Response:
        return Response(subscription_json(get_object_or_404(_readable(request), pk=pk)))

    @extend_schema(responses=SubscriptionOut, summary="Stop a webhook subscription (its log is kept)")
    def delete(self, request: Request, pk: int) -> Response:
        sub = get_object_or_404(_readable(request), pk=pk)
        _writable(request, sub)
        actor = system_of(request)
        change = (Change.by_system(actor.code, "webhook stopped") if actor
                  else Change.by_user(request.user, "webhook stopped"))
        return Response(subscription_json(webhook_deactivate(subscription=sub, change=change)))


class Deliveries(APIView):
    @extend_schema(responses=DeliveryPage, summary="The latest deliveries of a subscription, every attempt logged")
    def get(self, request: Request, pk: int) -> Response:
        sub = get_object_or_404(_readable(request), pk=pk)
        rows = (WebhookDelivery.objects.filter(subscription=sub).prefetch_related("attempt_log")
                .order_by("-sequence")[:100])
        return Response({"deliveries": [
            {"sequence": d.sequence, "status": d.status, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at,
             "delivered_at": d.delivered_at,
             "attempt_log": [{"number": a.number, "at": a.at, "status_code": a.status_code, "error": a.error,
                              "duration_ms": a.duration_ms} for a in d.attempt_log.all()]}
            for d in rows
        ]})
