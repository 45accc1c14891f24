"""Change events: the append-only outbox source systems follow, written with each change.

Sequence numbers come from the feed counter under a row lock held until the writing
transaction commits, so they become visible in order and a consumer reading
`sequence > last_seen` never skips an event. Writers take the counter last (services.locks).
"""

from __future__ import annotations

from typing import Any

from mdm import bulk
from mdm.history import Change
from mdm.models import ChangeEvent, FeedCounter, SourceSystem
from mdm.services.locks import advance


def append_events(events: list[bulk.Row], common: bulk.Row | None = None) -> None:
    """Give events the next sequence numbers and insert them (`common`: the values they
    share, see bulk.insert). Locks the feed counter until commit."""
    if not events:
        return
    last = advance(FeedCounter, "last_sequence", len(events), id=1)
    for offset, event in enumerate(events, start=1 + last - len(events)):
        event["sequence"] = offset
    bulk.insert(ChangeEvent, events, with_pks=False, common=common)  # the sequence is their key


class EventStream:
    """The change events of a large write, given their sequence numbers and inserted a
    chunk at a time (a first match run's million and a half events are never all held).
    The first chunk locks the feed counter until commit, as append_events does: the
    writer already holds every other lock it takes. The price: the counter is held from
    the first chunk rather than the last, so a large run keeps other domains' steward
    actions waiting for longer (imports and real-time matching wait for the run's source
    system locks anyway)."""

    def __init__(self, common: bulk.Row):
        self.common = common
        self.pending: list[bulk.Row] = []
        self.count = 0

    def add(self, event: bulk.Row) -> None:
        self.pending.append(event)
        if len(self.pending) >= bulk.WRITE_CHUNK:
            self.flush()

    def flush(self) -> None:
        append_events(self.pending, self.common)
        self.count += len(self.pending)
        self.pending = []


def source_event(row: bulk.Row, system: SourceSystem, golden_id: str, change: Change, now: Any) -> bulk.Row:
    """The event of a source record's new version (its row as written)."""
    return {
        "kind": ChangeEvent.Kind.SOURCE_DELETED if row["is_deleted"] else ChangeEvent.Kind.SOURCE_UPSERTED,
        "domain": row["domain"],
        "golden_id": golden_id,
        "system_code": system.code,
        "source_key": row["source_key"],
        "record_version": row["version"],
        "payload": {"content_hash": row["content_hash"]},
        "actor": change.actor,
        "operation": change.operation,
        "created_at": now,
    }


def golden_event(kind: str, golden_id: str, version: int, payload: dict[str, Any]) -> bulk.Row:
    """A golden record's event in a plan's write (domain, actor, operation and time are
    the events' common values)."""
    return {"kind": kind, "golden_id": golden_id, "golden_version": version, "payload": payload}
