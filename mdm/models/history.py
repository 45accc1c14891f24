"""What every history row carries beyond django-simple-history's own columns."""

from django.db import models


class HistoryStamp(models.Model):
    """Abstract base of every historical model: who acted (a user or a source system) and
    the operation (import run, match run, steward decision) that made the change."""

    history_actor = models.CharField(max_length=150)
    history_operation = models.UUIDField(db_index=True)

    class Meta:
        abstract = True
