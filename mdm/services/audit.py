"""Audit checkpoints: the hash chains' heads, recorded and exported."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mdm import audit
from mdm.errors import AuditChainBroken
from mdm.history import Change
from mdm.models import AuditCheckpoint


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
