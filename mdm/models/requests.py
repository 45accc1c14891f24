from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class MasterDataRequest(models.Model):
    """A request for a new customer, product or supplier, by a person or a source system.

    `values` as submitted; `attributes` and `issues` as the hub standardized them (an
    invalid tax id is flagged there); `candidates` the likely duplicates the search before
    create found ([{golden_id, weight, probability, band, why}], strongest first). A steward
    approves it (a source record of the hub's own "requests" system and a new golden record,
    its ID from the domain's coding rule, published through the change feed), links it to
    an existing golden record (the entity exists already), or rejects it.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        LINKED = "linked"
        REJECTED = "rejected"

    domain = models.CharField(max_length=40)
    values = models.JSONField()
    attributes = models.JSONField(default=dict)
    issues = models.JSONField(default=dict, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    golden = models.ForeignKey("mdm.GoldenRecord", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    record = models.ForeignKey("mdm.SourceRecord", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["domain", "status"], name="request_domain_status")]

    def __str__(self) -> str:
        return f"request {self.pk} {self.domain} {self.status}"
