"""Reads of the history for auditors: one log across every tracked model, filtered by
domain, record, actor, source system, action, operation and time; each entry with what it
changed, attribute by attribute, against the version before it; and the diff between any
two versions of a record. Selectors only: nothing here writes.

Every read takes the viewer (mdm.visibility; the hub's own view, EVERYTHING, by default):
a department's user reads the history of the records its systems see, and a value masked
for the viewer is masked in every entry, diff and export row, which still says that it
changed. The history hash each entry carries is the stored row's, so an export with
masked values still names the chain rows it was read from; its manifest says what was
masked and for whom.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook

from mdm import audit
from mdm.access import MASK
from mdm.domains import all_domains
from mdm.errors import InvalidInput, NotFound
from mdm.exports import safe_cell
from mdm.models import (
    AccessGrant,
    DeclarationVersion,
    Department,
    DepartmentMember,
    GoldenRecord,
    MasterDataRequest,
    MatchModel,
    MergeProposal,
    PairConstraint,
    SourceRecord,
    SourceSystem,
)
from mdm.visibility import EVERYTHING, Viewer

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Columns every version carries that are bookkeeping, not content (shown as the entry's own fields).
_BOOKKEEPING = {"id", "version", "updated_at", "history_id", "history_date", "history_type", "history_actor",
                "history_operation", "history_change_reason", "history_user_id", "history_prev_hash",
                "history_hash", "content_hash"}


@dataclass(frozen=True)
class Kind:
    """A tracked model as the log names it, and how its records are found and labelled."""

    name: str
    model: type[models.Model]
    label_fields: tuple[str, ...]
    search: tuple[str, ...]  # fields a "record" filter matches exactly
    domain: str | None = "domain"
    system: str | None = None  # the field naming a record's source system, if any
    masked: tuple[str, ...] = ()  # secrets: the log says they changed, never what to
    golden_refs: tuple[str, ...] = ()  # columns holding a golden record's pk: shown as its golden ID
    seen_by: str = ""  # how a department sees a record: "system" (by `system`), "golden", "pair"; "": always

    def label(self, row: dict[str, Any]) -> str:
        return ":".join(str(row.get(f) or "") for f in self.label_fields) or f"#{row['id']}"


KINDS = {
    "golden": Kind("golden", GoldenRecord, ("golden_id",), ("golden_id",), golden_refs=("successor_id",),
                   seen_by="golden"),
    "source": Kind("source", SourceRecord, ("system__code", "source_key"), ("source_key",), system="system__code",
                   golden_refs=("golden_id",), seen_by="system"),
    "proposal": Kind("proposal", MergeProposal, ("id",), (), seen_by="pair"),
    "ruling": Kind("ruling", PairConstraint, ("kind", "id"), (), seen_by="pair"),
    "model": Kind("model", MatchModel, ("domain", "version"), ()),
    "system": Kind("system", SourceSystem, ("code",), ("code",), domain=None, system="code", seen_by="system"),
    "grant": Kind("grant", AccessGrant, ("user__username", "role", "domain"), ("user__username",)),
    "request": Kind("request", MasterDataRequest, ("id",), (), golden_refs=("golden_id",)),
    "department": Kind("department", Department, ("code",), ("code",), domain=None),
    "member": Kind("member", DepartmentMember, ("department__code", "user__username"), (), domain=None),
}


def register_kind(kind: Kind) -> None:
    """Add a face's tracked model to the log (the API's tokens and subscriptions): the core
    cannot import them, so their app registers them when it is ready."""
    KINDS[kind.name] = kind


@dataclass(frozen=True)
class Change:
    """One attribute (or field) of a record, before and after a version."""

    field: str
    before: Any
    after: Any


@dataclass
class Entry:
    """One version of one record in the log."""

    kind: str
    record_id: int
    record: str
    domain: str
    history_id: int
    at: datetime
    action: str
    actor: str
    operation: uuid.UUID
    reason: str
    version: int | None
    hash: str
    changes: list[Change] = field(default_factory=list)
    evidence: list[Any] | None = None  # a proposal's: what the steward saw then

    @property
    def key(self) -> str:
        """What names this version in a link: kind, record and history id."""
        return f"{self.kind}:{self.record_id}:{self.history_id}"


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = tuple(KINDS)
    domain: str | None = None
    record: str | None = None  # a golden ID, a source key, "system:key", or a record id with kind
    record_id: int | None = None
    actor: str | None = None  # contains
    system: str | None = None  # a source system's code: its records, and what it did
    action: str | None = None  # created / changed / deleted
    operation: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    attribute: str | None = None  # only versions that changed this attribute


def _seen(kind: Kind, history, viewer: Viewer):
    """The history rows of records the viewer's departments see."""
    if not viewer.limited or not kind.seen_by:
        return history
    if kind.seen_by == "system":
        return history.filter(**{f"{kind.system}__in": sorted(viewer.systems or ())})
    if kind.seen_by == "golden":
        return viewer.goldens(history, "id")
    return viewer.pairs(history)


def _query(kind: Kind, filters: Filters, viewer: Viewer = EVERYTHING):
    history = _seen(kind, kind.model.history.all(), viewer)
    if filters.domain and kind.domain:
        history = history.filter(**{kind.domain: filters.domain})
    elif filters.domain and kind.domain is None:
        return None
    if filters.record_id is not None:
        history = history.filter(id=filters.record_id)
    if filters.record:
        text = filters.record.strip()
        if kind.name == "source" and ":" in text:
            code, _, key = text.partition(":")
            history = history.filter(system__code=code, source_key=key)
        elif kind.search:
            history = history.filter(Q(**dict.fromkeys(kind.search, text), _connector=Q.OR))
        else:
            return None
    if filters.actor:
        history = history.filter(history_actor__icontains=filters.actor)
    if filters.system:
        mine = Q(history_actor=f"system:{filters.system}")
        history = history.filter(mine | Q(**{kind.system: filters.system}) if kind.system else mine)
    if filters.action:
        codes = [code for code, name in ACTIONS.items() if name == filters.action]
        history = history.filter(history_type__in=codes)
    if filters.operation:
        history = history.filter(history_operation=filters.operation)
    if filters.since:
        history = history.filter(history_date__gte=filters.since)
    if filters.until:
        history = history.filter(history_date__lt=filters.until)
    return history.order_by("-history_date", "-history_id")


def _fields(kind: Kind) -> list[str]:
    concrete = [f.attname for f in kind.model.history.model._meta.concrete_fields]
    return [*concrete, *(f for f in kind.label_fields if "__" in f)]


def _previous(kind: Kind, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The version before each of these (by history id), in one query per kind."""
    wanted = {row["history_id"] for row in rows}
    ids = {row["id"] for row in rows}
    before: dict[int, dict[str, Any]] = {}
    last: dict[int, dict[str, Any]] = {}
    for row in (kind.model.history.filter(id__in=ids, history_id__lte=max(wanted, default=0))
                .order_by("id", "history_id").values(*_fields(kind))):
        if row["history_id"] in wanted and row["id"] in last:
            before[row["history_id"]] = last[row["id"]]
        last[row["id"]] = row
    return before


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """What changed from one version to the next: JSON attributes key by key (derived
    parts, `name__core`, left out: they follow their attribute), other fields whole."""
    out = []
    before = before or {}
    for name in after:
        if name in _BOOKKEEPING or name.endswith("__code"):
            continue
        old, new = before.get(name), after[name]
        if isinstance(new, dict) and (isinstance(old, dict) or old is None):
            old = old or {}
            for key in sorted(set(old) | set(new)):
                if "__" not in key and old.get(key) != new.get(key):
                    out.append(Change(f"{name}.{key}", old.get(key), new.get(key)))
        elif old != new and (before or new not in (None, "", [], {})):
            out.append(Change(name, old, new))
    return out


def _readable(kind: Kind, found: list[Change], rows: list[dict[str, Any]], viewer: Viewer = EVERYTHING
              ) -> list[Change]:
    """Secrets masked, and what the viewer may not see; a reference to a golden record (a
    membership, a successor) as its golden ID, not a database id."""
    pks = {row.get(name) for row in rows for name in kind.golden_refs} - {None}
    ids = dict(GoldenRecord.objects.filter(pk__in=pks).values_list("pk", "golden_id")) if pks else {}
    domain = next((row["domain"] for row in rows if row.get("domain")), None) if kind.domain else None
    out = []
    for change in found:
        if change.field in kind.masked:
            change = Change(change.field, MASK if change.before else change.before, MASK)
        elif change.field in kind.golden_refs:
            change = Change(change.field.removesuffix("_id"), ids.get(change.before), ids.get(change.after))
        elif domain is not None:
            change = _for_viewer(kind, change, rows, viewer, domain)
        out.append(change)
    return out


def _for_viewer(kind: Kind, change: Change, rows: list[dict[str, Any]], viewer: Viewer, domain: str) -> Change:
    """A change as the viewer may see it: a sensitive value masked; a golden value that
    came from a system the viewer's departments do not see masked too."""
    before, after = viewer.change(domain, change.field, change.before, change.after)
    head, _, name = change.field.partition(".")
    if head == "lineage" and viewer.limited:  # where a value came from: not from an unseen system's record
        before, after = (MASK if isinstance(v, dict) and v.get("system") and not viewer.sees_system(v["system"])
                         else v for v in (before, after))
    if kind.seen_by == "golden" and head == "attributes" and viewer.limited:
        origins = {((row.get("lineage") or {}).get(name) or {}).get("system") for row in rows} - {None}
        if not all(viewer.sees_system(o) for o in origins):
            before, after = (MASK if before not in (None, "") else before), (MASK if after not in (None, "") else after)
    return Change(change.field, before, after)


def _entries(kind: Kind, rows: list[dict[str, Any]], viewer: Viewer) -> list[Entry]:
    previous = _previous(kind, rows)
    out = []
    for row in rows:
        found = _readable(kind, changes(previous.get(row["history_id"]), row),
                          [row, previous.get(row["history_id"], {})], viewer)
        out.append(Entry(
            kind=kind.name, record_id=row["id"], record=kind.label(row), domain=row.get("domain", ""),
            history_id=row["history_id"], at=row["history_date"], action=ACTIONS[row["history_type"]],
            actor=row["history_actor"], operation=row["history_operation"],
            reason=row["history_change_reason"] or "", version=row.get("version"), hash=row["history_hash"],
            changes=[c for c in found if c.field != "evidence"], evidence=row.get("evidence"),
        ))
    return out


def history_log(filters: Filters, *, limit: int = 100, offset: int = 0, viewer: Viewer = EVERYTHING
                ) -> list[Entry]:
    """The newest entries that pass the filters, across kinds, newest first."""
    return list(_take(iter_history_log(filters, viewer=viewer), offset, limit))


def iter_history_log(filters: Filters, chunk: int = 500, *, viewer: Viewer = EVERYTHING) -> Iterator[Entry]:
    """Every entry that passes the filters, newest first (an export's rows), read in chunks."""
    streams = []
    for name in filters.kinds:
        kind = KINDS[name]
        query = _query(kind, filters, viewer)
        if query is not None:
            streams.append(_stream(kind, query, filters, chunk, viewer))
    yield from heapq.merge(*streams, key=lambda e: (e.at, e.history_id), reverse=True)


def _stream(kind: Kind, query, filters: Filters, chunk: int, viewer: Viewer) -> Iterator[Entry]:
    start = 0
    while True:
        rows = list(query.values(*_fields(kind))[start:start + chunk])
        if not rows:
            return
        for entry in _entries(kind, rows, viewer):
            if filters.attribute is None or any(
                    c.field in (filters.attribute, f"attributes.{filters.attribute}") for c in entry.changes):
                yield entry
        start += chunk


def _take(entries: Iterator[Entry], offset: int, limit: int) -> Iterator[Entry]:
    for n, entry in enumerate(entries):
        if n >= offset + limit:
            return
        if n >= offset:
            yield entry


def record_versions(kind: str, record_id: int, *, viewer: Viewer = EVERYTHING) -> list[Entry]:
    """Every version of one record, oldest first, each with what it changed (none: no such
    record, or not one the viewer's departments see)."""
    return list(reversed(history_log(Filters(kinds=(kind,), record_id=record_id), limit=10_000, viewer=viewer)))


def version_diff(kind: str, record_id: int, left: int, right: int, *, viewer: Viewer = EVERYTHING) -> list[Change]:
    """The diff between two versions (history ids) of one record, attribute by attribute."""
    spec = KINDS[kind]
    rows = {row["history_id"]: row for row in _seen(spec, spec.model.history, viewer).filter(
        id=record_id, history_id__in=[left, right]).values(*_fields(spec))}
    if len(rows) != len({left, right}):
        raise NotFound(f"{kind} {record_id} has no version {left if left not in rows else right}")
    older, newer = sorted((left, right))
    return _readable(spec, changes(rows[older], rows[newer]), [rows[older], rows[newer]], viewer)


def chain_heads_digest() -> str:
    """The digest over every chain's head now (an export's manifest carries it)."""
    heads, _ = audit.chain_heads()
    return audit.heads_digest(heads)


# --- exports ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ["at", "kind", "record", "domain", "action", "actor", "reason", "changes", "operation",
                  "version", "history_id", "history_hash"]
EXPORT_LIMIT = 200_000
DECISION_KINDS = ("proposal", "ruling", "golden", "grant", "request")


def export_rows(filters: Filters, viewer: Viewer = EVERYTHING) -> Iterator[list[Any]]:
    """The log's entries as export rows, newest first: each carries its history id and
    hash, so any row can be checked against the chains later (against the stored row: a
    masked value is masked in the file, not in the chain)."""
    for n, entry in enumerate(iter_history_log(filters, viewer=viewer)):
        if n >= EXPORT_LIMIT:
            raise InvalidInput(f"more than {EXPORT_LIMIT:,} entries: narrow the filters (dates, domain, record)")
        yield [entry.at.isoformat(), entry.kind, entry.record, entry.domain, entry.action, entry.actor,
               entry.reason, "; ".join(f"{c.field}: {_text(c.before)} → {_text(c.after)}" for c in entry.changes),
               str(entry.operation), entry.version, entry.history_id, entry.hash]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def export_manifest(filters: Filters, *, rows: int, actor: str, viewer: Viewer = EVERYTHING) -> dict[str, Any]:
    """What an export says of itself: who wrote it when, with which filters, what was
    masked or left out for whom (`viewer`), and the digest of every chain's head at that
    moment (`manage.py verify_audit` recomputes it while the history is unchanged; a
    checkpoint taken then keeps it provable after)."""
    heads, breaks = audit.chain_heads()
    return {
        "written_at": timezone.now().isoformat(),
        "written_by": actor,
        "filters": {k: (v.isoformat() if isinstance(v, datetime) else str(v) if v is not None else None)
                    for k, v in asdict(filters).items()},
        "rows": rows,
        "viewer": viewer.describe(all_domains()),
        "chains": sum(len(t) for t in heads.values()),
        "chain_heads_digest": audit.heads_digest(heads),
        "broken_chains": [str(b) for b in breaks],
    }


def history_export(filters: Filters, fmt: str, *, actor: str, viewer: Viewer = EVERYTHING) -> tuple[str, bytes]:
    """A filtered view of the log as a file: XLSX (a "history" sheet and a "manifest" sheet)
    or CSV with its manifest, zipped together. Formula-safe cells. (file name, content)"""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(f"an export is csv or xlsx, not {fmt!r}")
    rows = list(export_rows(filters, viewer))
    manifest = export_manifest(filters, rows=len(rows), actor=actor, viewer=viewer)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("history")
        sheet.append(EXPORT_COLUMNS)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        info = book.create_sheet("manifest")
        for key, value in manifest.items():
            text = value if isinstance(value, str | int) else json.dumps(value, ensure_ascii=False)
            info.append([key, safe_cell(text)])
        out = io.BytesIO()
        book.save(out)
        return f"history-{stamp}.xlsx", out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    data = text.getvalue().encode("utf-8-sig")
    manifest["file"] = {"name": "history.csv", "sha256": hashlib.sha256(data).hexdigest()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("history.csv", data)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return f"history-{stamp}.zip", out.getvalue()


def declarations_of(operation: uuid.UUID) -> list[DeclarationVersion]:
    """The declaration versions (domains, profiles) an operation ran under."""
    return list(DeclarationVersion.objects.filter(uses__operation=operation).distinct().order_by("kind", "name"))
