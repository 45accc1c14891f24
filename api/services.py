"""The API's writes: tokens, idempotent replies, webhook subscriptions, inbound endpoints.

Keyword-only, atomic, stamping history with a Change where the table keeps history (tokens,
subscriptions, endpoints). Records, golden records and the feed are written by the core's
services only (matching.ingest.records_receive for records sent to the API).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from api.models import ApiToken, IdempotentReply, InboundEndpoint, WebhookSubscription
from mdm import history
from mdm.errors import IdempotencyKeyReused, InvalidInput
from mdm.history import Change
from mdm.ingest.profiles import get_profile
from mdm.models import ChangeEvent, SourceSystem
from mdm.services.systems import source_system_api_user

TOKEN_PREFIX = "mdm_"
token_revoked = Signal()  # digest: sent after a revocation commits (authentication forgets the token)
MSG_KEY_REUSED = "Idempotency-Key {key!r} was used with another request body: use a new key for a new request"
MSG_BAD_KINDS = "unknown event kinds {kinds} (kinds: {known})"


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token is 256 random bits, so a fast hash
    is as safe as a slow one and keeps each request's check to one indexed lookup)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once: only the digest is kept


@transaction.atomic
def api_token_issue(*, system: SourceSystem, name: str, change: Change, days: int | None = None) -> IssuedToken:
    """A new token for a source system (its API user created on first use), valid `days`
    (MDM_API_TOKEN_DAYS by default)."""
    days = settings.MDM_API_TOKEN_DAYS if days is None else days
    if not 0 < days <= 3660:
        raise InvalidInput(f"a token is valid 1 to 3660 days, not {days}")
    source_system_api_user(system=system, change=change)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(system=system, name=name[:100], prefix=plaintext[:12], digest=token_digest(plaintext),
                     created_at=now, expires_at=now + timedelta(days=days), created_by=change.actor)
    history.stamp(token, change)
    token.save()
    return IssuedToken(token=token, plaintext=plaintext)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, change: Change) -> ApiToken:
    """Revoke a token: at once in this process, within MDM_API_AUTH_CACHE_SECONDS in the
    others (api.authentication); revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        history.stamp(token, change)
        token.save(update_fields=["revoked_at"])
        digest = token.digest
        transaction.on_commit(lambda: token_revoked.send(sender=ApiToken, digest=digest))
    return token


def request_digest(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def idempotent_reply(*, principal_id: int, key: str, digest: str) -> IdempotentReply | None:
    """The reply kept for this key, if any; IdempotencyKeyReused if it was for another request."""
    reply = IdempotentReply.objects.filter(principal_id=principal_id, key=key).first()
    if reply is not None and reply.request_sha256 != digest:
        raise IdempotencyKeyReused(MSG_KEY_REUSED.format(key=key))
    return reply


def idempotent_reply_keep(*, principal_id: int, key: str, digest: str, status: int, body: Any) -> None:
    """Keep a reply for its key; of two concurrent requests with one key, the first kept
    wins (both did the same idempotent work)."""
    try:
        with transaction.atomic():
            IdempotentReply.objects.create(principal_id=principal_id, key=key, request_sha256=digest, status=status,
                                           body=body, created_at=timezone.now())
    except IntegrityError:
        idempotent_reply(principal_id=principal_id, key=key, digest=digest)


@transaction.atomic
def webhook_subscribe(*, system: SourceSystem, url: str, kinds: list[str], domains: list[str], change: Change,
                      secret: str = "") -> WebhookSubscription:
    """A new webhook of a source system, from the feed's current end on (earlier events
    are the change feed's to replay). The secret is generated unless given."""
    unknown = sorted(set(kinds) - set(ChangeEvent.Kind.values))
    if unknown:
        raise InvalidInput(MSG_BAD_KINDS.format(kinds=", ".join(unknown), known=", ".join(ChangeEvent.Kind.values)))
    last = ChangeEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    subscription = WebhookSubscription(system=system, url=url, secret=secret or secrets.token_urlsafe(32),
                                       kinds=sorted(set(kinds)), domains=sorted(set(domains)), last_sequence=last,
                                       created_at=timezone.now())
    history.stamp(subscription, change)
    subscription.save()
    return subscription


@transaction.atomic
def webhook_deactivate(*, subscription: WebhookSubscription, change: Change) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.is_active:
        subscription.is_active = False
        history.stamp(subscription, change)
        subscription.save(update_fields=["is_active"])
    return subscription


@transaction.atomic
def inbound_endpoint_set(*, system: SourceSystem, kind: str, profile: str, secret: str, change: Change
                         ) -> InboundEndpoint:
    """Create or change a system's inbound webhook endpoint (the profile must load)."""
    if kind not in InboundEndpoint.Kind.values:
        raise InvalidInput(f"unknown inbound kind {kind!r} (kinds: {', '.join(InboundEndpoint.Kind.values)})")
    get_profile(profile)
    if not secret:
        raise InvalidInput("an inbound endpoint needs the secret its sender signs with")
    endpoint = InboundEndpoint.objects.select_for_update().filter(system=system, kind=kind).first()
    endpoint = endpoint or InboundEndpoint(system=system, kind=kind, created_at=timezone.now())
    endpoint.profile, endpoint.secret = profile, secret
    history.stamp(endpoint, change)
    endpoint.save()
    return endpoint
