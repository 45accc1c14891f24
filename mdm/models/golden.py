from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class GoldenRecord(models.Model):
    """The consolidated record of one real-world entity.

    `golden_id` follows the domain's coding rule and is never reused. `attributes` hold the
    surviving values (with the winning member's derived parts under `attr__part`);
    `lineage` maps each attribute to the source record and field it came from, or to the
    steward override in `overrides` that set it. Members are the source records whose
    `golden` points here.

    Status: active; retired into its `successor` (merged), so an old golden ID still
    resolves; or deleted: every source record of it was deleted at its source, so the entity
    is gone (the ID still resolves, to this record, and is never reused). `version` counts
    the versions kept in history: a change of attributes, lineage, overrides or status, a
    merge into it or a split from it.
    """

    class Status(models.TextChoices):
        ACTIVE = "active"
        RETIRED = "retired"
        DELETED = "deleted"

    golden_id = models.CharField(max_length=40, unique=True)
    domain = models.CharField(max_length=40)
    attributes = models.JSONField(default=dict)
    lineage = models.JSONField(default=dict)
    overrides = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        indexes = [models.Index(fields=["domain", "status"], name="golden_domain_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "deleted"], successor__isnull=True)
                | models.Q(status="retired", successor__isnull=False),
                name="golden_retired_has_successor",
            )
        ]

    def __str__(self) -> str:
        return self.golden_id


class GoldenIdSequence(models.Model):
    """Last serial handed out per (domain, category); only ever grows, so IDs are never reused."""

    domain = models.CharField(max_length=40)
    category = models.CharField(max_length=40, blank=True)
    last_serial = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "category"], name="golden_sequence_unique")
        ]
