"""Audit checkpoints (the hash chains' heads, recorded and exported) and the retention procedure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connections, transaction
from django.utils import timezone

from mdm import audit
from mdm.errors import AuditChainBroken, InvalidInput, ReasonRequired
from mdm.history import Change
from mdm.models import AuditAnchor, AuditCheckpoint, AuditPrune, DeclarationUse, DeclarationVersion


@transaction.atomic
def audit_checkpoint_create(*, change: Change) -> tuple[AuditCheckpoint, audit.Heads]:
    """Record the digest of every chain head now (refused while any chain is broken: a
    checkpoint vouches for the history up to it). Returns the checkpoint and the heads, for
    an export kept outside the hub."""
    heads, breaks = audit.chain_heads()
    if breaks:
        raise AuditChainBroken(f"{len(breaks)} broken chain(s), the first: {breaks[0]}; "
                               "run `manage.py verify_audit` for the list")
    checkpoint = AuditCheckpoint.objects.create(
        created_at=timezone.now(),
        actor=change.actor,
        digest=audit.heads_digest(heads),
        chains=sum(len(t) for t in heads.values()),
        rows=audit.history_row_count(),
    )
    return checkpoint, heads


@transaction.atomic
def history_prune(*, before: datetime, reason: str, change: Change, dry_run: bool = False) -> dict[str, int]:
    """The retention procedure, the only way history rows are ever deleted: remove the
    history written before `before`, except each record's version in force at `before`
    (so any state from `before` on can still be rebuilt). Each pruned chain's new start is
    recorded as an anchor, so verify_audit still proves the rest; the prune itself is
    recorded (who, why, how many rows per table). The change feed is never pruned: replaying
    it from zero must reproduce the cross-reference. Returns rows removed per table."""
    if not reason.strip():
        raise ReasonRequired("pruning history needs a reason (the retention rule it applies)")
    if before > timezone.now():
        raise InvalidInput("--before lies in the future")
    # No lock: only versions that are no longer any record's latest go, and writers only
    # ever read and add a record's latest.
    heads, breaks = audit.chain_heads()
    if breaks:
        raise AuditChainBroken(f"{len(breaks)} broken chain(s), the first: {breaks[0]}; history is not "
                               "pruned while its chains do not hold")
    connection = connections["default"]
    qn = connection.ops.quote_name
    removed: dict[str, int] = {}
    anchors: list[AuditAnchor] = []
    prune = AuditPrune(created_at=timezone.now(), actor=change.actor, reason=reason, before=before)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('mdm.retention', 'on', true)")
        for model in audit.history_models():
            table, key = qn(model._meta.db_table), qn(audit.key_column(model))
            old = (f"FROM {table} WHERE history_date < %s AND history_id NOT IN "
                   f"(SELECT max(history_id) FROM {table} WHERE history_date < %s GROUP BY {key})")
            cursor.execute(f"SELECT {key}, count(*) {old} GROUP BY {key}", [before, before])
            pruned = {str(k): n for k, n in cursor.fetchall()}
            if not pruned:
                continue
            removed[model._meta.db_table] = sum(pruned.values())
            if dry_run:
                continue
            cursor.execute(f"DELETE {old}", [before, before])
            cursor.execute(f"SELECT {key}, history_prev_hash FROM {table} WHERE history_id IN "
                           f"(SELECT min(history_id) FROM {table} GROUP BY {key})")
            anchors += [AuditAnchor(table=model._meta.db_table, key=str(k), prev_hash=prev)
                        for k, prev in cursor.fetchall() if str(k) in pruned]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('mdm.retention', '', true)")
    if not dry_run and removed:
        prune.rows = removed
        prune.save()
        for anchor in anchors:
            anchor.prune = prune
        AuditAnchor.objects.bulk_create(anchors, batch_size=5000)
    return removed


def declarations_in_force(*, declarations: Iterable[tuple[str, str, str]], change: Change) -> None:
    """Record that `change`'s operation runs under these declarations ((kind, name, text):
    a domain, a profile): each text's first use makes it a new version; every use is kept,
    so an auditor can tell which survivorship rules and mappings were in force for any run."""
    now = timezone.now()
    for kind, name, text in declarations:
        if not text:  # derived, not read from a file (the API's profile of a domain)
            continue
        digest = audit.sha256_hex(text)
        version = DeclarationVersion.objects.filter(kind=kind, name=name, digest=digest).first()
        if version is None:
            with transaction.atomic():  # a concurrent first use wins the unique constraint
                version, _ = DeclarationVersion.objects.get_or_create(
                    kind=kind, name=name, digest=digest,
                    defaults={"text": text, "first_used_at": now, "first_used_by": change.actor})
        DeclarationUse.objects.create(version=version, operation=change.operation, used_at=now)
