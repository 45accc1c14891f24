"""Merge proposals from match runs and the steward rulings that become law.

A decision is stored twice on purpose: on the proposal (who decided what, when and why)
and as a PairConstraint, the form every later match run and steward action obeys.
"""

from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class MergeProposal(models.Model):
    """Two source records a match run scored between the domain's thresholds, in different
    golden records: a steward approves (they are one entity: merge) or rejects (never).

    One proposal per pair of records, ever: `left` has the smaller id. A run keeps the
    strongest pair between two golden records; when a later run no longer finds the pair in
    the band (or finds its records already together), an undecided proposal is superseded,
    and reopened if the pair comes back. Decided proposals are never touched by runs.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        DECIDED = "decided"
        SUPERSEDED = "superseded"

    class Decision(models.TextChoices):
        APPROVE = "approve"
        REJECT = "reject"

    class Kind(models.TextChoices):
        REVIEW = "review"  # scored in the review band
        HELD = "held"  # scored for an automatic merge that a run's alarm held for review

    domain = models.CharField(max_length=40)
    left = models.ForeignKey("mdm.SourceRecord", on_delete=models.PROTECT, related_name="+")
    right = models.ForeignKey("mdm.SourceRecord", on_delete=models.PROTECT, related_name="+")
    weight = models.FloatField()
    probability = models.FloatField()  # the weight read through `calibration`, when it was proposed
    calibration = models.CharField(max_length=120, blank=True)  # which (matching.calibration.describe)
    evidence = models.JSONField(default=list)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REVIEW)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey("mdm.MatchRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # an approval a steward reversed (unmerge, undo): who, when, why; the pair is then ruled apart
    reversed_by = models.CharField(max_length=150, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["-weight", "id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="proposal_pair_unique"),
            models.CheckConstraint(condition=models.Q(left__lt=models.F("right")), name="proposal_pair_ordered"),
        ]
        indexes = [models.Index(fields=["domain", "status"], name="proposal_domain_status")]

    def __str__(self) -> str:
        return f"proposal {self.pk} {self.left_id}~{self.right_id} {self.status}"


class PairConstraint(models.Model):
    """A steward's ruling on two source records, obeyed by every later match run.

    must_link: one entity (an approved proposal, a manual merge); cannot_link: never in one
    golden record (a rejected proposal, a manual split). `left` has the smaller id; one
    ruling per pair. Rulings about a deleted record are kept but have no effect.
    """

    class Kind(models.TextChoices):
        MUST_LINK = "must_link"
        CANNOT_LINK = "cannot_link"

    domain = models.CharField(max_length=40)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    left = models.ForeignKey("mdm.SourceRecord", on_delete=models.PROTECT, related_name="+")
    right = models.ForeignKey("mdm.SourceRecord", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_by = models.CharField(max_length=150)
    proposal = models.ForeignKey(
        MergeProposal, null=True, blank=True, on_delete=models.PROTECT, related_name="constraints"
    )
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="pair_constraint_unique"),
            models.CheckConstraint(condition=models.Q(left__lt=models.F("right")), name="pair_constraint_ordered"),
        ]
        indexes = [models.Index(fields=["domain", "kind"], name="pair_constraint_domain_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.left_id}~{self.right_id}"
