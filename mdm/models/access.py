from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from mdm.models.history import HistoryStamp


class AccessGrant(models.Model):
    """One role a user holds, in one domain or (domain "") in every domain.

    Roles (mdm.access says what each may do): steward, source system (a system's API user)
    and sensitive (sees sensitive attributes unmasked), per domain; auditor and admin,
    always for every domain. Granted and revoked through mdm.access.access_grant/access_revoke only,
    each with a history row.
    """

    class Role(models.TextChoices):
        STEWARD = "steward"
        AUDITOR = "auditor"
        ADMIN = "admin"
        SYSTEM = "system"
        SENSITIVE = "sensitive"

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
                condition=models.Q(role__in=["steward", "system", "sensitive"]) | models.Q(domain=""),
                name="access_grant_domain_steward_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} {self.domain or '*'}"


class Department(models.Model):
    """An organisation unit. The records of its `systems` (source system codes) are its
    own; a user who belongs to departments sees only theirs (mdm.access.visible_systems),
    a user who belongs to none is not limited by department."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    systems = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class DepartmentMember(models.Model):
    """A user's membership of a department (given and taken by mdm.access, with history)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="departments")
    created_at = models.DateTimeField()
    history = HistoricalRecords(bases=[HistoryStamp])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "user"], name="department_member_unique")]
