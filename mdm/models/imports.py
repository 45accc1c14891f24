from django.db import models


class ImportRun(models.Model):
    """One ingest of one file: what was read and what became of every row.

    `warnings`: what the run noticed about the file as a whole (columns with data the
    profile reads nothing from, mapped columns the file lacks, another delimiter);
    `flags`: data-quality problems standardization flagged on the rows it stored, counted
    per kind ("tax_id: invalid unified social credit code check character"); the report
    lists them row by row with the rejects. `missing`: what a snapshot no longer holds (its
    count and a sample of keys); `deletions_refused`: why the snapshot's deletion step was
    not carried out (the file looked incomplete, too many rejects, too many deletions),
    with nothing deleted. `restandardized`: rows the source sent unchanged whose stored
    values, standardized by older code, are now read differently (a new version each;
    mdm.ingest.freshness)."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        INTERRUPTED = "interrupted"

    operation = models.UUIDField(unique=True)
    system = models.ForeignKey("mdm.SourceSystem", on_delete=models.PROTECT, related_name="imports")
    domain = models.CharField(max_length=40)
    profile = models.CharField(max_length=100)
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=40, blank=True)
    snapshot = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    actor = models.CharField(max_length=150)
    host = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    restandardized = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    flags = models.JSONField(default=dict, blank=True)
    deletions_refused = models.TextField(blank=True)
    missing = models.JSONField(default=dict, blank=True)  # a snapshot's {"count": n, "sample": [keys]}
    report_path = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"import {self.pk} {self.system_id}/{self.profile} {self.status}"


class ImportReject(models.Model):
    """A row that was not loaded, with the reason and the row as read (long fields cut)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejects")
    row_number = models.PositiveIntegerField()
    source_key = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    raw = models.JSONField()

    class Meta:
        ordering = ["run", "row_number"]
