from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class AccessGrant(models.Model):
    """One role a user holds, in one domain or (domain "") in every domain.

    Roles (mdm.access says what each may do): steward, per domain; auditor and admin, always
    for every domain. Granted and revoked through mdm.access.access_grant/access_revoke only,
    each with a history row.
    """

    class Role(models.TextChoices):
        STEWARD = "steward"
        AUDITOR = "auditor"
        ADMIN = "admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants")
    role = models.CharField(max_length=12, choices=Role.choices)
    domain = models.CharField(max_length=40, blank=True, help_text="empty: every domain")
    granted_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["user_id", "role", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "domain"], name="access_grant_unique"),
            models.CheckConstraint(
                condition=models.Q(role="steward") | models.Q(domain=""), name="access_grant_domain_steward_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} {self.domain or '*'}"
