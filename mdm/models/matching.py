from django.db import models


class MatchModel(models.Model):
    """A trained matching model of one domain: the engine's JSON artifact, versioned.

    `artifact` is `matching.engine.TrainedModel` as JSON (self-contained: declaration,
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

    def trained(self):  # -> matching.engine.TrainedModel (mdm does not import Splink eagerly)
        import json

        from matching.engine import TrainedModel

        return TrainedModel.from_json(json.dumps(self.artifact))


class MatchRun(models.Model):
    """One run of `match` on one domain: the model and thresholds used, what it found and
    changed (`counts`), and how long each step took (`timings`, seconds)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    operation = models.UUIDField(unique=True)
    domain = models.CharField(max_length=40)
    model = models.ForeignKey(MatchModel, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    thresholds = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    timings = models.JSONField(default=dict)
    actor = models.CharField(max_length=150)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"match {self.pk} {self.domain} {self.status}"
