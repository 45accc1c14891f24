from django.db import models

from mdm.errors import InternalError


class ChangeEvent(models.Model):
    """The change feed (transactional outbox): append-only, strictly ordered by `sequence`.

    Written in the same transaction as the change it describes. Sequence numbers come from
    FeedCounter under a row lock held until commit, so they are committed in order and a
    consumer reading `sequence > last_seen` never skips an event.
    """

    class Kind(models.TextChoices):
        GOLDEN_CREATED = "golden.created"
        GOLDEN_UPDATED = "golden.updated"
        GOLDEN_MERGED = "golden.merged"
        GOLDEN_SPLIT = "golden.split"
        GOLDEN_RETIRED = "golden.retired"
        GOLDEN_REVIVED = "golden.revived"  # an unmerge: a retired golden ID is active again
        GOLDEN_ID_REMAPPED = "golden.remapped"
        SOURCE_UPSERTED = "source.upserted"
        SOURCE_DELETED = "source.deleted"

    sequence = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    domain = models.CharField(max_length=40)
    golden_id = models.CharField(max_length=40, blank=True, db_index=True)
    golden_version = models.PositiveIntegerField(null=True, blank=True)
    system_code = models.CharField(max_length=40, blank=True)
    source_key = models.CharField(max_length=200, blank=True)
    record_version = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    actor = models.CharField(max_length=150)
    operation = models.UUIDField(db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise InternalError("change events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InternalError("change events are append-only")


class FeedCounter(models.Model):
    """A single row holding the last sequence number handed out."""

    last_sequence = models.PositiveBigIntegerField(default=0)
