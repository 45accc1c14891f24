"""Source systems: the CRMs, ERPs and tools that send records."""

from __future__ import annotations

from django.db import transaction

from mdm import history
from mdm.errors import UnknownSourceSystem
from mdm.history import Change
from mdm.models import SourceSystem


def source_system_get(code: str) -> SourceSystem:
    try:
        return SourceSystem.objects.get(code=code)
    except SourceSystem.DoesNotExist:
        known = ", ".join(SourceSystem.objects.values_list("code", flat=True)) or "none yet"
        raise UnknownSourceSystem(
            f"unknown source system {code!r} (registered: {known}); register it with "
            f"`python manage.py register_system {code} --name \"...\"`"
        ) from None


@transaction.atomic
def source_system_register(
    *, code: str, name: str, change: Change, description: str = "", trust: dict | None = None
) -> SourceSystem:
    """Create a source system, or update its name, description and trust ranks."""
    system = SourceSystem.objects.select_for_update().filter(code=code).first()
    if system is None:
        system = SourceSystem(code=code)
    new_trust = trust if trust is not None else system.trust
    if system.pk and (system.name, system.description, system.trust) == (name, description, new_trust):
        return system
    system.name, system.description, system.trust = name, description, new_trust
    history.stamp(system, change)
    system.full_clean()
    system.save()
    return system
