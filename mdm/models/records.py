from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class SourceRecord(models.Model):
    """One record of one source system, as received and standardized.

    Unique per (domain, system, source_key). `raw` is the payload exactly as read from the
    source; `attributes` the standardized canonical values (with derived parts under
    `attr__part`); `issues` the problems flagged by standardization. `content_hash` covers
    what the source said (profile, raw payload, deletion flag), so an unchanged row is
    recognised, and skipped, before any standardization work. `version` counts the
    versions kept in history: what the source sent, and the cross-reference `golden`, the
    golden record this source record belongs to (set by matching and steward decisions; a
    deleted record leaves its golden record when the deletion arrives). `profile` names
    the mapping that read it, so each attribute traces back to a source field.
    `standardized_by` is the fingerprint of the standardization that produced `attributes`
    and `issues` (mdm.ingest.freshness; "" when unknown): a live record whose fingerprint is not
    its profile's current one is stale and is read again from `raw`. It is bookkeeping
    about the code, not about the record, so history does not keep it: a re-standardization
    that changes no value writes no version.
    """

    domain = models.CharField(max_length=40)
    system = models.ForeignKey("mdm.SourceSystem", on_delete=models.PROTECT, related_name="records")
    source_key = models.CharField(max_length=200)
    profile = models.CharField(max_length=100)
    raw = models.JSONField()
    attributes = models.JSONField()
    issues = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    standardized_by = models.CharField(max_length=32, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    is_deleted = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    golden = models.ForeignKey(
        "mdm.GoldenRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # source_record_golden leads with it
    )
    history = HistoricalRecords(bases=[HistoryStamp], excluded_fields=["standardized_by"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "system", "source_key"], name="source_record_unique_key"
            )
        ]
        # One index on the membership, not two: a match run rewrites it for every record it
        # moves. Golden first, so it serves "the members of G" and "the unmatched of domain D".
        indexes = [models.Index(fields=["golden", "domain"], name="source_record_golden")]

    def __str__(self) -> str:
        return f"{self.domain}:{self.system_id}:{self.source_key}"
