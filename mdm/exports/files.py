"""Exports for integrations that run on files: every golden record, the cross-reference
(source key -> golden ID, with the retired IDs that resolve to it), the merge proposals and
the change feed of a domain, as CSV, XLSX or Parquet; incremental from a change-feed
position; and a system's cross-reference in the layout of its own import template (its key
column, the golden ID in a custom field, the golden values under its field names), read
from the system's profile. One service for the command and any other entry point.

An export is written for a viewer (mdm.visibility): a user's export holds what the API
would give that user (a source system's API user: its departments' records, its grants'
masking), the hub's own (EVERYTHING, the operator's command line) holds everything.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from mdm import access, selectors
from mdm.domains import get_domain
from mdm.errors import InternalError, InvalidInput, UnknownSourceSystem
from mdm.exports import FILE_MODE, csv_file, safe_cell
from mdm.ingest.profiles import FieldMap, Profile, get_profile
from mdm.models import GoldenRecord
from mdm.services.systems import source_system_get
from mdm.visibility import EVERYTHING, Viewer

KINDS = ("golden", "xref", "proposals", "changes")
EXPORT_FORMATS = ("csv", "xlsx", "parquet")
CHUNK = 2000  # rows read from the database at a time
MSG_UNKNOWN_KIND = "unknown export {kind!r} (one of: {kinds})"
MSG_UNKNOWN_FORMAT = "unknown format {fmt!r} (one of: {formats})"
MSG_PROPOSALS_AFTER = "proposals are not in the change feed: export them whole (without --after)"
MSG_PROFILE_NEEDS_SYSTEM = "an import template (--profile) is the cross-reference of one system: give --system"
MSG_PROFILE_DOMAIN = "profile {profile!r} feeds domain {profile_domain!r}, not {domain!r}"
MSG_AFTER_AHEAD = "--after {after} is past the feed's last position {position}"


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its rows and the feed position it covers (the next export's
    `after`, so a nightly job sends only what changed since)."""

    path: Path
    kind: str
    domain: str
    rows: int
    columns: list[str]
    position: int


def export_write(*, kind: str, domain: str, fmt: str, path: Path, after: int | None = None,
                 system: str | None = None, profile: str | None = None, viewer: Viewer = EVERYTHING
                 ) -> ExportResult:
    """Write one export of a domain to `path`: every golden record, the cross-reference
    (of one system, or in that system's import-template layout with `profile`), the merge
    proposals, or the change feed; with `after`, only what the change feed names after that
    position. The position returned is the feed's last event when the export began: rows
    changed later may be in it too, and are sent again by the next export (at least once).
    Cells a spreadsheet could run as formulas are neutralised (CSV, XLSX); Parquet keeps the
    values as stored, for programs. The file is readable by its owner only. For a user's
    `viewer` (who must be allowed to view the domain): only the records of its departments' systems,
    sensitive values masked unless granted, as the API answers that user."""
    if kind not in KINDS:
        raise InvalidInput(MSG_UNKNOWN_KIND.format(kind=kind, kinds=", ".join(KINDS)))
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(MSG_UNKNOWN_FORMAT.format(fmt=fmt, formats=", ".join(EXPORT_FORMATS)))
    declared = get_domain(domain)
    if viewer.user is not None:
        access.require(viewer.user, access.Action.VIEW, declared.name)
    if system is not None and not viewer.sees_system(system):
        raise UnknownSourceSystem(f"unknown source system {system!r}")  # another department's: not named
    if system is not None:
        source_system_get(system)
    template = _template(profile, declared.name, system, kind) if profile else None
    position = selectors.feed_position()
    if after is not None and (after < 0 or after > position):
        raise InvalidInput(MSG_AFTER_AHEAD.format(after=after, position=position))
    if kind == "proposals" and after is not None:
        raise InvalidInput(MSG_PROPOSALS_AFTER)
    with transaction.atomic():  # one transaction for the reads; the position was taken first (see above)
        columns, rows = _ROWS[kind](domain=declared.name, after=after, upto=position, system=system, template=template,
                                    viewer=viewer)
        count = _write(fmt, path, columns, rows)
    return ExportResult(path=path, kind=kind, domain=declared.name, rows=count, columns=columns, position=position)


Rows = Iterator[list[Any]]


def _golden_rows(*, domain: str, after: int | None, upto: int, system: str | None, template: Any,
                 viewer: Viewer) -> tuple[list[str], Rows]:
    """Golden records (all: active; after a position: every one the feed names, retired and
    deleted ones with the active record their ID resolves to)."""
    attributes = list(get_domain(domain).attributes)
    columns = ["golden_id", "status", "resolves_to", "version", "updated_at", *attributes]
    if after is None:
        query = GoldenRecord.objects.filter(domain=domain, status=GoldenRecord.Status.ACTIVE)
    else:
        ids = selectors.changed_golden_ids(domain=domain, after=after, upto=upto)
        query = GoldenRecord.objects.filter(domain=domain, golden_id__among=sorted(ids))
    query = viewer.goldens(query)
    successors = selectors.retired_successors(domain=domain)

    def rows() -> Rows:
        for golden in query.order_by("golden_id").iterator(chunk_size=CHUNK):
            values = viewer.golden_attributes(domain, golden.attributes, golden.lineage)
            yield [golden.golden_id, golden.status, _resolve(golden.golden_id, successors) or "", golden.version,
                   golden.updated_at.isoformat(), *(values.get(name) for name in attributes)]

    return columns, rows()


def _xref_rows(*, domain: str, after: int | None, upto: int, system: str | None, template: _Template | None,
               viewer: Viewer) -> tuple[list[str], Rows]:
    """Source key -> golden ID (all records of the domain or one system; after a position,
    the records the feed names and the live members of the golden records it names), with
    the retired golden IDs that now resolve to that golden ID."""
    if after is None:
        records = selectors.xref_records(domain=domain, system=system)
    else:
        records = selectors.xref_records(
            domain=domain, system=system,
            keys=selectors.changed_source_keys(domain=domain, after=after, upto=upto, system=system),
            goldens=selectors.changed_golden_ids(domain=domain, after=after, upto=upto),
        )
    records = viewer.sources(records)
    successors = selectors.retired_successors(domain=domain)
    retired_into: dict[str, list[str]] = {}
    for retired in sorted(successors):
        retired_into.setdefault(_resolve(retired, successors) or "", []).append(retired)
    if template is not None:
        return template.columns, template.rows(records.filter(is_deleted=False), retired_into, viewer)
    columns = ["system", "source_key", "deleted", "golden_id", "golden_status", "retired_golden_ids"]

    def rows() -> Rows:
        for record in records.iterator(chunk_size=CHUNK):
            golden = record.golden
            golden_id = golden.golden_id if golden else ""
            yield [record.system.code, record.source_key, record.is_deleted, golden_id,
                   golden.status if golden else "", " ".join(retired_into.get(golden_id, ())) if golden else ""]

    return columns, rows()


def _proposal_rows(*, domain: str, after: int | None, upto: int, system: str | None, template: Any,
                   viewer: Viewer) -> tuple[list[str], Rows]:
    columns = ["id", "status", "kind", "probability", "weight", "left_system", "left_key", "left_golden_id",
               "right_system", "right_key", "right_golden_id", "decision", "decided_by", "decided_at",
               "reason", "created_at"]
    query = viewer.pairs(selectors.proposals(domain=domain, status=None)).order_by("id")
    if system is not None:
        query = query.filter(Q(left__system__code=system) | Q(right__system__code=system))

    def rows() -> Rows:
        for p in query.iterator(chunk_size=CHUNK):
            yield [p.id, p.status, p.kind, p.probability, p.weight,
                   p.left.system.code, p.left.source_key, p.left.golden.golden_id if p.left.golden else "",
                   p.right.system.code, p.right.source_key, p.right.golden.golden_id if p.right.golden else "",
                   p.decision, p.decided_by, p.decided_at.isoformat() if p.decided_at else "", p.reason,
                   p.created_at.isoformat()]

    return columns, rows()


def _change_rows(*, domain: str, after: int | None, upto: int, system: str | None, template: Any,
                 viewer: Viewer) -> tuple[list[str], Rows]:
    """The change feed (for a department's viewer, as the API's: the events of its systems;
    attributes in payloads masked)."""
    columns = ["sequence", "kind", "golden_id", "golden_version", "system", "source_key", "record_version",
               "payload", "actor", "operation", "created_at"]
    query = selectors.change_events(domain=domain, after=after or 0, upto=upto)
    if system is not None:
        query = query.filter(system_code=system)
    if viewer.limited:
        query = query.filter(system_code__in=sorted(viewer.systems or ()))

    def rows() -> Rows:
        for e in query.iterator(chunk_size=CHUNK):
            payload = e.payload
            if "attributes" in payload:
                payload = {**payload, "attributes": viewer.mask(domain, payload["attributes"])}
            yield [e.sequence, e.kind, e.golden_id, e.golden_version, e.system_code, e.source_key,
                   e.record_version, json.dumps(payload, ensure_ascii=False, sort_keys=True), e.actor,
                   str(e.operation), e.created_at.isoformat()]

    return columns, rows()


def _resolve(golden_id: str, successors: dict[str, str]) -> str | None:
    """The active (or deleted) golden ID a retired one resolves to; None for one not retired."""
    current, seen = golden_id, {golden_id}
    while current in successors:
        current = successors[current]
        if current in seen:
            raise InternalError(f"golden record {golden_id!r} has a successor cycle")
        seen.add(current)
    return current if current != golden_id else None


# --- a system's import template ---------------------------------------------------------------


@dataclass(frozen=True)
class _TemplateColumn:
    name: str
    attribute: str
    field: FieldMap
    reverse: dict[str, Any] | None  # canonical value -> the system's value (a map read backwards)
    by: str | None  # map_by: the attribute whose golden value picks the map


@dataclass(frozen=True)
class _Template:
    """The cross-reference in the layout a system's import accepts, from its profile: its
    key column(s), the golden ID and retired IDs in the profile's export columns, and the
    golden values under the field names the profile reads them from, translated back
    through the profile's maps and date formats."""

    profile: Profile
    values: list[_TemplateColumn]

    @property
    def columns(self) -> list[str]:
        profile = self.profile
        return [*profile.key, profile.export_golden_id, profile.export_retired, *(c.name for c in self.values)]

    def rows(self, records: Any, retired_into: dict[str, list[str]], viewer: Viewer) -> Rows:
        for record in records.iterator(chunk_size=CHUNK):
            golden = record.golden
            if golden is None:
                continue
            parts = record.source_key.split("/") if len(self.profile.key) > 1 else [record.source_key]
            values = viewer.golden_attributes(golden.domain, golden.attributes, golden.lineage)
            yield [*parts, golden.golden_id, " ".join(retired_into.get(golden.golden_id, ())),
                   *(self._value(c, values) for c in self.values)]

    @staticmethod
    def _value(column: _TemplateColumn, attributes: dict[str, Any]) -> Any:
        value = attributes.get(column.attribute)
        if value is None:
            return None
        reverse = column.reverse
        if column.by is not None:
            reverse = (reverse or {}).get(str(attributes.get(column.by)))
        if reverse and str(value) in reverse:
            return reverse[str(value)]
        if column.field.date_format and isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).strftime(column.field.date_format)
            except ValueError:
                return value
        return value


def _template(name: str, domain: str, system: str | None, kind: str) -> _Template:
    if kind != "xref":
        raise InvalidInput(f"--profile gives the import template of the cross-reference (xref), not of {kind}")
    if system is None:
        raise InvalidInput(MSG_PROFILE_NEEDS_SYSTEM)
    profile = get_profile(name)
    if profile.domain != domain:
        raise InvalidInput(MSG_PROFILE_DOMAIN.format(profile=profile.name, profile_domain=profile.domain,
                                                     domain=domain))
    by_path = {f.paths[0]: n for n, f in profile.fields.items() if f.paths}
    taken = {*profile.key, profile.export_golden_id, profile.export_retired}
    values = []
    for attribute, field in profile.fields.items():
        column = _template_column(field)
        if column is None or column in taken:
            continue
        taken.add(column)
        by = by_path.get(field.map_by) if field.map_by else None
        reverse = None
        if field.mapping:
            if field.map_by:
                reverse = {outer: _reversed(inner) for outer, inner in _by_canonical(field, profile).items()}
            else:
                reverse = _reversed(field.mapping)
        values.append(_TemplateColumn(column, attribute, field, reverse, by))
    return _Template(profile, values)


def _template_column(field: FieldMap) -> str | None:
    """The field a golden value goes back to: the one it is read from; of several joined,
    the last (the most specific: the street after the district); of candidates or name
    lines, the first (the preferred field, the first line)."""
    if not field.paths:
        return None
    return field.paths[-1] if field.mode == "join" else field.paths[0]


def _reversed(mapping: dict[str, Any]) -> dict[str, Any]:
    """A profile map read backwards: the first source value of each canonical value."""
    out: dict[str, Any] = {}
    for source, canonical in mapping.items():
        out.setdefault(str(canonical), source)
    return out


def _by_canonical(field: FieldMap, profile: Profile) -> dict[str, dict[str, Any]]:
    """A map_by map keyed by the canonical value of the field that picks it (the country
    attribute's CN for the LAND1 value CN): the profile's map of that field read forwards."""
    assert field.mapping is not None and field.map_by is not None
    picker = next((f for f in profile.fields.values() if f.paths and f.paths[0] == field.map_by), None)
    forwards = picker.mapping if picker and picker.mapping else {}
    return {str(forwards.get(key, key)): inner for key, inner in field.mapping.items()}


_ROWS = {"golden": _golden_rows, "xref": _xref_rows, "proposals": _proposal_rows, "changes": _change_rows}


# --- file formats -----------------------------------------------------------------------------


def _write(fmt: str, path: Path, columns: list[str], rows: Rows) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {"csv": _write_csv, "xlsx": _write_xlsx, "parquet": _write_parquet}[fmt](path, columns, rows)


def _write_csv(path: Path, columns: list[str], rows: Rows) -> int:
    count = 0
    with csv_file(path, columns) as writer:
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what an XLSX cell cannot hold


def _write_xlsx(path: Path, columns: list[str], rows: Rows) -> int:
    import openpyxl  # a heavy import, for this format only

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("export")
    sheet.append(columns)
    count = 0
    for row in rows:
        sheet.append([_ILLEGAL_XML.sub("", c) if isinstance(c, str) else c for c in map(safe_cell, row)])
        count += 1
    _private_save(path, book.save)
    return count


def _write_parquet(path: Path, columns: list[str], rows: Rows) -> int:
    import pyarrow as pa  # heavy imports, for this format only
    import pyarrow.parquet as pq

    # every column as text: a column's values may mix types (a golden value per record)
    schema = pa.schema([(name, pa.string()) for name in columns])
    count = 0

    def write(target: str) -> None:
        nonlocal count
        with pq.ParquetWriter(target, schema) as writer:
            while batch := list(itertools.islice(rows, CHUNK)):
                writer.write_table(pa.table([[_text(row[i]) for row in batch] for i in range(len(columns))],
                                            schema=schema))
                count += len(batch)

    _private_save(path, write)
    return count


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _private_save(path: Path, save: Any) -> None:
    """Save through a writer that takes a file name, the file created readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    save(str(path))
