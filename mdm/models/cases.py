"""The work around a case in the steward queue (who has it, until when it waits, the first of
two approvals, what was said), beside the decisions themselves (mdm.models.proposals): every
face reads and writes them through the same services (mdm.services.steward)."""

from django.conf import settings
from django.db import models


class CaseTask(models.Model):
    """A proposal's place in the queue: the steward working on it, and until when it is
    deferred. A case's proposals move together (mdm.services.steward)."""

    proposal = models.OneToOneField("mdm.MergeProposal", on_delete=models.CASCADE, related_name="task")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    deferred_until = models.DateTimeField(null=True, blank=True)
    # the four-eyes rule: the first of the two approvals a large or conflicting merge needs
    first_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    first_approved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class CaseComment(models.Model):
    """A steward's note on a case (kept on the proposal it was written on)."""

    proposal = models.ForeignKey("mdm.MergeProposal", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
