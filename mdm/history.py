"""History stamping: every history row names its actor, reason and operation.

Services create one `Change` per operation and hand it to `stamp()` (single saves) or to
`bulk_create`/`bulk_update` here (bulk paths). django-simple-history writes nothing for
bulk_create, bulk_update or QuerySet.update(), so the bulk paths write the history rows
themselves, copied by the database from the rows just written (mdm.bulk), in the same
transaction. A save of a tracked model without a Change is a bug: it raises instead of
writing an anonymous history row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from mdm import bulk
from mdm.errors import InternalError, InvalidInput

M = TypeVar("M", bound=models.Model)
ACTOR_CHARS = 150  # history_actor, ChangeEvent.actor


@dataclass(frozen=True)
class Change:
    """Who does what and why: one per operation (an import run, a steward decision)."""

    actor: str
    reason: str
    operation: uuid.UUID = field(default_factory=uuid.uuid4)
    user: AbstractBaseUser | None = None

    def __post_init__(self) -> None:
        if not self.actor or len(self.actor) > ACTOR_CHARS:
            raise InvalidInput(f"an actor is 1 to {ACTOR_CHARS} characters, got {len(self.actor)}")

    @classmethod
    def by_system(cls, code: str, reason: str, **kwargs) -> Change:
        return cls(actor=f"system:{code}", reason=reason, **kwargs)

    @classmethod
    def by_user(cls, user: AbstractBaseUser, reason: str, **kwargs) -> Change:
        return cls(actor=f"user:{user.get_username()}", reason=reason, user=user, **kwargs)

    def historical_attrs(self) -> dict:
        return {"history_actor": self.actor, "history_operation": self.operation}


REASON_CHARS = 100  # django-simple-history's history_change_reason


def _reason(change: Change) -> str:
    """The reason as a history row holds it: cut to the column (a long file name in an
    import's reason must not fail the import)."""
    reason = change.reason
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"


def stamp(instance: M, change: Change) -> M:
    """Mark an instance so its next save() writes a history row with this change."""
    instance._history_user = change.user
    instance._change_reason = _reason(change)
    instance._history_change = change
    return instance


@receiver(pre_create_historical_record)
def _fill_history_stamp(sender, instance, history_instance, **kwargs) -> None:
    change = getattr(instance, "_history_change", None)
    if change is None:
        raise InternalError(
            f"{type(instance).__name__} saved without a Change: write through a service"
        )
    history_instance.history_actor = change.actor
    history_instance.history_operation = change.operation


def bulk_create(model: type[models.Model], rows: list[bulk.Row], change: Change,
                common: bulk.Row | None = None) -> None:
    """Insert rows (attname -> value; their pks get set; `common`: the values they share,
    see bulk.insert) and one "+" history row each."""
    if rows:
        bulk.insert_history(model, bulk.insert(model, rows, common=common), _stamp("+", change))


def bulk_update(model: type[models.Model], rows: list[bulk.Row], fields: list[str], change: Change) -> None:
    """Update `fields` of rows (each needs its primary key and those fields) and write one
    "~" history row each, holding the whole row as updated."""
    if rows:
        bulk.update(model, rows, fields, _stamp("~", change))


def _stamp(history_type: str, change: Change) -> dict:
    return {
        "history_date": timezone.now(),
        "history_type": history_type,
        "history_change_reason": _reason(change),
        "history_user_id": change.user.pk if change.user else None,
        **change.historical_attrs(),
    }
