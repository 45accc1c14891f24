from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class SourceSystem(models.Model):
    """A system that sends records (CRM, ERP, procurement, forms).

    `trust` ranks the system per domain and attribute for survivorship, lower wins:
    {"customer": {"tax_id": 1, "*": 5}}; "*" is the default for unlisted attributes.
    `api_user` is the account the system authenticates as when it calls the API.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    trust = models.JSONField(default=dict, blank=True)
    api_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_system",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def trust_rank(self, domain: str, attribute: str, default: int = 100) -> int:
        ranks = self.trust.get(domain, {})
        return int(ranks.get(attribute, ranks.get("*", default)))
