from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class MatchModel(models.Model):
    """A trained matching model of one domain: the engine's JSON artifact, versioned.

    `artifact` is the matching engine's trained model as JSON (self-contained: declaration,
    parameters, term frequencies), `report` its training report, `thresholds` the match
    weights {"upper": auto-merge at or above, "lower": proposals at or above}. One model per
    domain is active: the one `match` uses.
    """

    domain = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    artifact = models.JSONField()
    report = models.JSONField(default=dict)
    thresholds = models.JSONField(default=dict)
    labels = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    created_by = models.CharField(max_length=150)
    operation = models.UUIDField()
    created_at = models.DateTimeField()
    # which version was in force when: the artifact never changes, so history leaves it out
    history = HistoricalRecords(bases=[HistoryStamp], excluded_fields=["artifact"])

    class Meta:
        ordering = ["domain", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "version"], name="match_model_version_unique"),
            models.UniqueConstraint(
                fields=["domain"], condition=models.Q(is_active=True), name="match_model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain} model v{self.version}"


class MatchRun(models.Model):
    """One run of `match` on one domain: the model and thresholds used, what it found and
    changed (`counts`), how long each step took (`timings`, seconds), how it compares with
    the previous run of the domain (`report`: match rate, auto-merge and review shares,
    cluster sizes, parameter drift) and the alarms it raised (`alarms`: a run with any
    holds its automatic merges for review instead of applying them). A run whose process
    died (`host`, `pid`) is marked interrupted by the next run, its `counts` then saying
    what it had written (its plan is one transaction: all of it or nothing)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        INTERRUPTED = "interrupted"

    operation = models.UUIDField(unique=True)
    domain = models.CharField(max_length=40)
    model = models.ForeignKey(MatchModel, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    thresholds = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    timings = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    alarms = models.JSONField(default=list)
    actor = models.CharField(max_length=150)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    host = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"match {self.pk} {self.domain} {self.status}"


class KeyLookupIndex(models.Index):
    """The index candidate retrieval reads keys through: a hash index on PostgreSQL (a
    large run inserts millions of keys in no useful order, and keeping a B-tree of the
    strings in order cost three times what the hash does), a B-tree elsewhere."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class MatchKey(models.Model):
    """A blocking key of a live source record under the domain's active model: the index
    real-time matching retrieves candidates through (one row per record, rule and value;
    derived data, rebuilt from the records, so it carries no history)."""

    domain = models.CharField(max_length=40)
    rule = models.CharField(max_length=60)
    value = models.CharField(max_length=255)
    # No constraint in the database: checking millions of keys against their records took
    # most of a first run's commit. Source records are never removed (a deletion is a
    # flag, and the refresh drops its keys); candidate retrieval joins the records anyway.
    record = models.ForeignKey(
        "mdm.SourceRecord", on_delete=models.CASCADE, related_name="+", db_constraint=False,
        db_index=False,  # match_key_unique leads with it
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "rule", "value"], name="match_key_unique"),
        ]
        indexes = [KeyLookupIndex(fields=["value"], name="match_key_value")]  # then domain and rule

    def __str__(self) -> str:
        return f"{self.domain} {self.rule}={self.value} -> {self.record_id}"
