"""What every history row carries beyond django-simple-history's own columns."""

from django.db import models

HASH_CHARS = 64  # SHA-256, hex


class HistoryStamp(models.Model):
    """Abstract base of every historical model: who acted (a user or a source system), the
    operation (import run, match run, steward decision) that made the change, and the row's
    place in its record's hash chain (filled by the database: mdm.audit)."""

    history_actor = models.CharField(max_length=150)
    history_operation = models.UUIDField(db_index=True)
    history_prev_hash = models.CharField(max_length=HASH_CHARS, db_default="", editable=False)
    history_hash = models.CharField(max_length=HASH_CHARS, db_default="", editable=False)

    class Meta:
        abstract = True


class AuditCheckpoint(models.Model):
    """The chain heads at one moment, as one digest (mdm.audit.heads_digest): a checkpoint's
    export kept elsewhere proves later that no chain was rewritten or cut back. Append-only
    (a trigger on PostgreSQL)."""

    created_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    digest = models.CharField(max_length=HASH_CHARS)
    chains = models.PositiveBigIntegerField()
    rows = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"audit checkpoint {self.created_at:%Y-%m-%d %H:%M} {self.digest[:12]}"


class AuditPrune(models.Model):
    """One run of the retention procedure (`manage.py prune_history`): who pruned the history
    written before `before`, why, and how many rows per table. Append-only."""

    created_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    reason = models.TextField()
    before = models.DateTimeField()
    rows = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]


class AuditAnchor(models.Model):
    """Where a pruned chain now starts: the previous-hash its first kept row carries, so
    verify_audit accepts that start (and only that) for this chain. Append-only."""

    prune = models.ForeignKey(AuditPrune, on_delete=models.PROTECT, related_name="anchors")
    table = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    prev_hash = models.CharField(max_length=HASH_CHARS)

    class Meta:
        indexes = [models.Index(fields=["table", "key"], name="audit_anchor_chain")]


class DeclarationVersion(models.Model):
    """One version of a declaration that was in force: a domain (attributes, golden-ID rule,
    survivorship, matching defaults) or a profile, as its text read, kept from the first
    operation that used it. Append-only: a changed file is a new version."""

    class Kind(models.TextChoices):
        DOMAIN = "domain"
        PROFILE = "profile"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=HASH_CHARS)
    text = models.TextField()
    first_used_at = models.DateTimeField()
    first_used_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["kind", "name", "first_used_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "name", "digest"], name="declaration_version_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.digest[:12]}"


class DeclarationUse(models.Model):
    """Which declaration versions an operation (an import, a match run, a training) ran
    under. Append-only."""

    version = models.ForeignKey(DeclarationVersion, on_delete=models.PROTECT, related_name="uses")
    operation = models.UUIDField(db_index=True)
    used_at = models.DateTimeField()
