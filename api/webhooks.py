"""Webhooks out: the change feed delivered to each subscription, signed, retried, logged.

    webhook_queue(subscription)   # the feed's new events, as deliveries (in one transaction)
    webhook_deliver_due()         # every delivery that is due, one attempt each

A delivery is a POST of one event as JSON with the headers

    X-MDM-Event-Id: <sequence>           the same on every retry: de-duplicate by it
    X-MDM-Timestamp: <unix seconds>
    X-MDM-Signature: sha256=<hex>        HMAC-SHA256(secret, "<timestamp>.<body>")

and is delivered once the receiver answers 2xx (at least once: a receiver that answered
but whose answer was lost gets it again). Otherwise it is retried after
MDM_WEBHOOK_BACKOFF_SECONDS × 2^(attempts − 1) (at most six hours), and marked failed after
MDM_WEBHOOK_MAX_ATTEMPTS; every attempt is logged (WebhookAttempt, and the API's
deliveries endpoint). Per golden record the events go out in feed order: no delivery is
attempted while an earlier one of the same golden record (or source record, before it has
one) is pending. A failed delivery no longer holds the later ones back.

The worker claims a delivery with a conditional UPDATE (its row count checked), so two
workers never send the same attempt; no transaction is held open during a request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from api.events import event_json
from api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from mdm import access
from mdm.models import ChangeEvent
from mdm.selectors import change_events

LEASE = timedelta(minutes=5)  # a claimed delivery is not claimed again before this (a crashed worker's)
MAX_BACKOFF = timedelta(hours=6)
QUEUE_CHUNK = 1000
TIMEOUT_SECONDS = 10


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _ordering_key(event: ChangeEvent) -> str:
    return event.golden_id or f"{event.domain}:{event.system_code}:{event.source_key}"


@transaction.atomic
def webhook_queue(subscription: WebhookSubscription) -> int:
    """Turn the feed's events after the subscription's position into deliveries: those of
    its kinds, in its domains that its system may view. Returns how many were queued."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    user = subscription.system.api_user
    allowed = access.domains(user, access.Action.VIEW) if user else set()
    events = change_events(after=subscription.last_sequence, kinds=subscription.kinds)
    if subscription.domains:
        events = events.filter(domain__in=subscription.domains)
    now = timezone.now()
    queued = 0
    last = subscription.last_sequence
    for event in events.iterator(chunk_size=QUEUE_CHUNK):
        last = event.sequence
        if allowed is not access.ALL and event.domain not in allowed:
            continue
        WebhookDelivery.objects.create(subscription=subscription, sequence=event.sequence,
                                       golden_id=_ordering_key(event)[:40], next_attempt_at=now, created_at=now)
        queued += 1
    if last != subscription.last_sequence:
        # the position is the worker's bookkeeping, outside the subscription's history
        WebhookSubscription.objects.filter(pk=subscription.pk).update(last_sequence=last)
    return queued


@dataclass(frozen=True)
class Reply:
    status: int | None
    error: str = ""


Sender = Callable[[str, bytes, dict[str, str]], Reply]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the subscriber's URL
            return Reply(response.status)
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        return Reply(None, str(getattr(exc, "reason", exc))[:500])


def _due(now) -> list[WebhookDelivery]:
    """The deliveries to attempt now: per subscription and ordering key, the earliest
    pending one, if it is due."""
    pending = (WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, subscription__is_active=True)
               .select_related("subscription__system__api_user").order_by("subscription_id", "sequence"))
    first: dict[tuple[int, str], WebhookDelivery] = {}
    for delivery in pending:
        first.setdefault((delivery.subscription_id, delivery.golden_id), delivery)
    return sorted((d for d in first.values() if d.next_attempt_at <= now), key=lambda d: d.sequence)


def _body(delivery: WebhookDelivery) -> bytes:
    event = ChangeEvent.objects.get(sequence=delivery.sequence)
    user = delivery.subscription.system.api_user
    masked = access.masked_attributes(user, event.domain) if user else frozenset()
    return json.dumps(event_json(event, masked), cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def webhook_attempt(delivery: WebhookDelivery, send: Sender = http_post) -> bool:
    """One attempt of a delivery (claimed first: False if another worker has it)."""
    now = timezone.now()
    claimed = (WebhookDelivery.objects
               .filter(pk=delivery.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=delivery.next_attempt_at)
               .update(next_attempt_at=now + LEASE))
    if claimed != 1:
        return False
    body = _body(delivery)
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "mdm-webhooks/1",
               "X-MDM-Event-Id": str(delivery.sequence), "X-MDM-Timestamp": timestamp,
               "X-MDM-Signature": signature(delivery.subscription.secret, timestamp, body)}
    started = time.monotonic()
    reply = send(delivery.subscription.url, body, headers)
    elapsed = int((time.monotonic() - started) * 1000)
    ok = reply.status is not None and 200 <= reply.status < 300
    with transaction.atomic():
        delivery.attempts += 1
        WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, at=now, status_code=reply.status,
                                      error="" if ok else reply.error or f"HTTP {reply.status}", duration_ms=elapsed)
        if ok:
            delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, timezone.now()
        elif delivery.attempts >= settings.MDM_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            backoff = timedelta(seconds=settings.MDM_WEBHOOK_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1))
            delivery.next_attempt_at = timezone.now() + min(backoff, MAX_BACKOFF)
        delivery.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])
    return ok


def webhook_deliver_due(send: Sender = http_post) -> int:
    """Queue every active subscription's new events, then attempt every due delivery
    once. Returns how many attempts were made."""
    for subscription in WebhookSubscription.objects.filter(is_active=True):
        webhook_queue(subscription)
    attempts = 0
    for delivery in _due(timezone.now()):
        webhook_attempt(delivery, send)
        attempts += 1
    return attempts

