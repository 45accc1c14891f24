"""Source systems: the CRMs, ERPs and tools that send records."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from mdm import history
from mdm.errors import InvalidInput, UnknownSourceSystem
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
    if trust is not None and not _valid_trust(trust):
        raise InvalidInput(
            'trust ranks are {"<domain>": {"<attribute> or *": <whole number, lower wins>}}, '
            f"got {json.dumps(trust, ensure_ascii=False)[:200]}"
        )
    system = SourceSystem.objects.select_for_update().filter(code=code).first()
    if system is None:
        system = SourceSystem(code=code)
    new_trust = trust if trust is not None else system.trust
    if system.pk and (system.name, system.description, system.trust) == (name, description, new_trust):
        return system
    system.name, system.description, system.trust = name, description, new_trust
    history.stamp(system, change)
    try:
        system.full_clean()
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
        raise InvalidInput(f"source system {code!r} not registered: {problems}") from None
    system.save()
    return system


def _valid_trust(trust: Any) -> bool:
    return isinstance(trust, dict) and all(
        isinstance(ranks, dict) and all(isinstance(rank, int) and not isinstance(rank, bool) for rank in ranks.values())
        for ranks in trust.values()
    )


@transaction.atomic
def source_system_api_user(*, system: SourceSystem, change: Change) -> AbstractBaseUser:
    """The account a source system authenticates as (`api_user`), created on first use: an
    ordinary, password-less user named `system-<code>`, given roles like a person."""
    system = SourceSystem.objects.select_for_update().get(pk=system.pk)
    if system.api_user_id is not None:
        return system.api_user
    user, _ = get_user_model().objects.get_or_create(username=f"system-{system.code}")
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    system.api_user = user
    history.stamp(system, change)
    system.save(update_fields=["api_user"])
    return user
