"""The API's own tables: system tokens, idempotent replies, webhook subscriptions and their
deliveries, the broker relay's position, inbound webhook endpoints and what they received.

Golden records, source records and the change feed are the core's (mdm.models); nothing
here is written by anything but api.services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class ApiToken(models.Model):
    """A source system's API token: only its SHA-256 is stored (the token is shown once,
    when issued), it expires, and it can be revoked; issuing and revoking leave history."""

    system = models.ForeignKey("mdm.SourceSystem", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="the token's first characters, to tell tokens apart")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["system", "-created_at"]

    def __str__(self) -> str:
        return f"{self.system_id} token {self.prefix}… ({self.name})"


class IdempotentReply(models.Model):
    """The reply to a POST sent with an `Idempotency-Key` header, kept so a retry with the
    same key and body gets the same reply (another body with the key: 422)."""

    principal = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotent_reply_unique")]


class WebhookSubscription(models.Model):
    """A source system's webhook: change events of the `kinds` (empty: all) in the `domains`
    (empty: all its granted ones) are POSTed to `url`, signed with `secret`.
    `last_sequence`: the feed position up to which deliveries have been queued."""

    system = models.ForeignKey("mdm.SourceSystem", on_delete=models.PROTECT, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    kinds = models.JSONField(default=list, blank=True)
    domains = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp], excluded_fields=["last_sequence"])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} of {self.system_id} -> {self.url}"


class WebhookDelivery(models.Model):
    """One change event to deliver to one subscription: pending until the receiver answers
    2xx, retried with exponential backoff, failed after the last attempt. Deliveries of one
    golden record go out in feed order: none is attempted while an earlier one is pending."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    sequence = models.PositiveBigIntegerField()
    golden_id = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["subscription", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "sequence"], name="webhook_delivery_unique"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]


class WebhookAttempt(models.Model):
    """One try of a delivery, as the receiver answered it (or why it could not be reached)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]


class RelayPosition(models.Model):
    """How far a broker relay has published the change feed (its `name`: one per target)."""

    name = models.CharField(max_length=100, unique=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField()


class InboundEndpoint(models.Model):
    """A per-system URL that accepts a SaaS's data-push callbacks (`kind`: jiandaoyun),
    read through `profile` and checked with `secret`."""

    class Kind(models.TextChoices):
        JIANDAOYUN = "jiandaoyun"

    system = models.ForeignKey("mdm.SourceSystem", on_delete=models.PROTECT, related_name="inbound_endpoints")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    profile = models.CharField(max_length=500)
    secret = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "kind"], name="inbound_endpoint_unique")]


class InboundDelivery(models.Model):
    """A callback accepted (its sender's delivery id, to ignore a replay), and what it did."""

    endpoint = models.ForeignKey(InboundEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    deliver_id = models.CharField(max_length=200)
    op = models.CharField(max_length=40)
    source_key = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "deliver_id"], name="inbound_delivery_unique"),
        ]
