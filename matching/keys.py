"""The blocking-key index: how real-time matching finds an arriving record's candidates.

Every blocking rule of the domain's active model gives each live record a key, the values
of the rule's columns (a list-valued column as the whole list: Splink's `block_on`
compares lists whole, so the index pairs exactly the records a batch run pairs). A
record's candidates are the live records that share any key with it and belong to a
golden record, read in one indexed query, at most the domain's `max_candidates`.

The index is kept by whoever changes what it is derived from: a batch run refreshes it
when it applies its plan (the records changed since the last run with the same model,
or all of them under a new model), real-time matching refreshes the record it matches
(so an import's records stay current), and match_keys_refresh(full=True) repairs or
rebuilds it in bulk. Keys are derived data: no history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from matching.declarations import DomainModel
from matching.selectors import CompiledModel, blocking_rules, compiled_model
from mdm import bulk
from mdm.domains import all_domains, get_domain
from mdm.errors import StaleKeyIndex
from mdm.models import MatchKey, MatchModel, MatchRun, SourceRecord, SourceSystem
from mdm.services.locks import golden_domain_lock

KEY_CHARS = 255  # MatchKey.value; a longer key is stored as its hash
KEY_HASH = "sha256:"
LIST_SEPARATOR = "\x1f"  # between the elements of a list-valued column
COLUMN_SEPARATOR = "\x1e"  # between the columns of a multi-column rule
KEY_SEPARATOR, RULE_SEPARATOR = "\x1d", "\x1c"  # a record's keys packed in one string (RunKeys)
OBSERVE_CHUNK = 50_000  # feature-table rows turned into Python values at a time
REFRESH_CHUNK = 2000  # records whose keys are refreshed per read
DELETE_CHUNK = 500
MSG_OTHER_MODEL = "the {domain} blocking keys were collected under another model than the active one"


def _key_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):  # Splink's block_on compares the whole list
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():  # a feature table holds ints as floats: one key,
        return str(int(value))                          # as Splink's equality on the column sees them
    return str(value)


def record_keys(rules: Mapping[str, Sequence[str]], frow: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(rule, value) of every blocking rule whose columns all have a value in the feature
    row (as Splink's `l.col = r.col`, which a NULL never satisfies). A value longer than
    the index column is stored as its SHA-256."""
    keys = set()
    for rule, columns in rules.items():
        parts = [_key_text(frow.get(c)) for c in columns]
        if not columns or any(p is None for p in parts):
            continue
        value = COLUMN_SEPARATOR.join(parts)  # type: ignore[arg-type]
        if len(value) > KEY_CHARS:
            value = KEY_HASH + hashlib.sha256(value.encode()).hexdigest()
        keys.add((rule, value))
    return keys


@dataclass
class KeyRefresh:
    records: int = 0
    inserted: int = 0
    deleted: int = 0


def _record_chunks(domain: str, records: Iterable[int] | None,
                   before: datetime | None = None) -> Iterator[list[dict[str, Any]]]:
    """Chunks of (id, is_deleted) of the records (attributes are read only for those whose
    keys are not computed already); with `before`, of those last changed before then.

    Read by primary key alone and the domain checked here: given the domain too, SQLite
    (which keeps no statistics) walked the domain's index for every chunk, and sorted it
    to page by key, so a 1M first run's refresh spent minutes reading (id, is_deleted)."""
    fields = ("id", "is_deleted", "domain")
    if records is not None:
        ids = sorted(set(records))
        for start in range(0, len(ids), REFRESH_CHUNK):
            rows = SourceRecord.objects.filter(pk__in=ids[start : start + REFRESH_CHUNK]).order_by("pk")
            yield [row for row in rows.values(*fields) if row["domain"] == domain]
        return
    everything = SourceRecord.objects.all()
    if before is not None:
        everything = everything.filter(updated_at__lt=before)
    last = 0
    while True:
        rows = list(everything.filter(pk__gt=last).order_by("pk").values(*fields)[:REFRESH_CHUNK])
        if not rows:
            return
        last = rows[-1]["id"]
        yield [row for row in rows if row["domain"] == domain]


def _key_diff(model: CompiledModel, rows: list[dict[str, Any]],
              computed: Mapping[int, set[tuple[str, str]]] | None = None
              ) -> tuple[dict[tuple[int, str, str], int], set[tuple[int, str, str]]]:
    """The stored keys of the records that should not be there ((record, rule, value) ->
    key pk), and the keys they should have that are missing."""
    wanted: set[tuple[int, str, str]] = set()
    live = [row["id"] for row in rows if not row["is_deleted"]]
    missing = [sid for sid in live if computed is None or sid not in computed]
    attributes = dict(SourceRecord.objects.filter(pk__in=missing).values_list("id", "attributes")) if missing else {}
    for sid in live:
        if sid in attributes:
            keys = record_keys(model.rules, model.scorer.features(attributes[sid]))
        else:
            keys = computed[sid]  # type: ignore[index]
        wanted |= {(sid, rule, value) for rule, value in keys}
    ids = {row["id"] for row in rows}
    # by record only, through the (record, rule, value) index: a record's keys are all of its domain
    if len(ids) <= DELETE_CHUNK:
        stored = MatchKey.objects.filter(record_id__in=sorted(ids))
    else:  # a range read on the (record, rule, value) index, then only these records
        stored = MatchKey.objects.filter(record_id__gte=min(ids), record_id__lte=max(ids))
    have: dict[tuple[int, str, str], int] = {}
    for pk, record, rule, value in stored.values_list("id", "record_id", "rule", "value"):
        if record in ids:
            have[(record, rule, value)] = pk
    return {key: pk for key, pk in have.items() if key not in wanted}, wanted - set(have)


def refresh_record_keys(model: CompiledModel, row: dict[str, Any], keys: set[tuple[str, str]]) -> None:
    """Bring one record's keys up to date (`row`: its id and is_deleted), given the keys
    its features give (none for a deleted record): real-time matching, as a record arrives."""
    _refresh_rows(model, [row], KeyRefresh(), computed={row["id"]: keys})


def _refresh_rows(model: CompiledModel, rows: list[dict[str, Any]], result: KeyRefresh,
                  computed: Mapping[int, set[tuple[str, str]]] | None = None) -> None:
    if not rows:
        return
    domain = model.domain
    extra, missing = _key_diff(model, rows, computed)
    stale = sorted(extra.values())
    new = [{"domain": domain, "rule": r, "value": v, "record_id": sid} for sid, r, v in sorted(missing)]
    for start in range(0, len(stale), DELETE_CHUNK):
        MatchKey.objects.filter(pk__in=stale[start : start + DELETE_CHUNK]).delete()
    bulk.insert(MatchKey, new, with_pks=False)
    result.records += len(rows)
    result.inserted += len(new)
    result.deleted += len(stale)


def match_keys_problems(limit: int) -> list[str]:
    """What the blocking-key index holds wrongly (at most `limit` lines, then a count):
    a key of a record that does not exist or belongs to another domain (the database
    does not check it), and, in each domain whose active model has a completed run, a
    record unchanged since that run whose keys are not its features' keys: the next run
    refreshes only the records changed since, so such a key would stay wrong."""
    orphans = MatchKey.objects.exclude(
        Exists(SourceRecord.objects.filter(pk=OuterRef("record_id"), domain=OuterRef("domain")))
    ).order_by("domain", "record_id", "rule", "value")
    problems = [f"key {d} {r}={printable(v)} of record {sid}: no such {d} record"
                for d, r, v, sid in orphans.values_list("domain", "rule", "value", "record_id")[:limit]]
    found = orphans.count()
    for domain in all_domains():
        pk = MatchModel.objects.filter(domain=domain, is_active=True).values_list("pk", flat=True).first()
        last = _last_run_started(domain, pk) if pk else None
        if last is None:
            continue
        model = compiled_model(domain)
        for rows in _record_chunks(domain, None, before=last):
            extra, missing = _key_diff(model, rows)
            wrong = [*((k, "stale") for k in extra), *((k, "missing") for k in missing)]
            for (sid, rule, value), what in sorted(wrong):
                found += 1
                if len(problems) < limit:
                    problems.append(f"{domain} record {sid}: key {rule}={printable(value)} is {what}")
    return problems if found == len(problems) else [*problems, f"... and {found - len(problems)} more"]


def _last_run_started(domain: str, model: int) -> datetime | None:
    """When the last completed match run with the model started: its key refresh saw every
    record changed before (writers of a domain hold its golden lock)."""
    return (MatchRun.objects.filter(domain=domain, model_id=model, status=MatchRun.Status.COMPLETED)
            .order_by("-started_at").values_list("started_at", flat=True).first())


def _changed_since_last_run(domain: str, model: int) -> list[int] | None:
    """Records changed since the last completed match run with the model started, or None
    when there is no such run (a new model may block on other columns: refresh all)."""
    last = _last_run_started(domain, model)
    if last is None:
        return None
    return list(SourceRecord.objects.filter(domain=domain, updated_at__gte=last).values_list("pk", flat=True))


def _packed_keys(rules: Mapping[str, Sequence[str]], numbers: Mapping[str, str],
                 batch: pa.RecordBatch) -> list[str | None] | None:
    """Each row's keys packed as RunKeys holds them, computed a column at a time (in
    Python, a row at a time, they took a run over 400,000 records ten seconds): the
    keys record_keys gives for text and lists of text. None for a row whose keys must be
    computed by record_keys (a key too long or holding a separator, a list holding a
    NULL); None instead of the list when a rule reads a column of another type."""
    rows = batch.num_rows
    parts: list[list[str | None]] = []
    redo = pa.array([False] * rows)
    for rule, columns in rules.items():
        if not columns:
            continue
        texts = []
        for name in columns:
            column = batch.column(name)
            if pa.types.is_list(column.type) and pa.types.is_string(column.type.value_type):
                if column.flatten().null_count:
                    return None
                column = pc.binary_join(column, LIST_SEPARATOR)
            elif not pa.types.is_string(column.type):
                return None
            texts.append(column)
        value = texts[0] if len(texts) == 1 else pc.binary_join_element_wise(*texts, COLUMN_SEPARATOR)
        odd = pc.or_(pc.greater(pc.utf8_length(value), KEY_CHARS),
                     pc.or_(pc.match_substring(value, KEY_SEPARATOR), pc.match_substring(value, RULE_SEPARATOR)))
        redo = pc.or_(redo, pc.fill_null(odd, False))
        parts.append(pc.binary_join_element_wise(f"{numbers[rule]}{RULE_SEPARATOR}", value, "").to_pylist())
    flags = redo.to_pylist()
    return [None if flag else KEY_SEPARATOR.join([k for k in keys if k is not None])
            for flag, keys in zip(flags, zip(*parts, strict=True) if parts else [()] * rows, strict=True)]


class RunKeys(Mapping[int, set[tuple[str, str]]]):
    """The keys a batch run brings the index up to date with: which records it refreshes
    (those changed since the last completed run with the model, or all), and their keys
    (record id -> keys), taken from the feature table it scores (`observe`), so a run
    computes each record's features once. Decided
    when the run plans; a record that changes before it applies makes the plan stale, so
    they still hold when it does. Each record's keys are held packed in one UTF-8 byte
    string, rules by number, until they are written (a set of tuples would take a
    gigabyte at a million records, a str of mostly ASCII with a few Chinese characters
    two bytes a character)."""

    def __init__(self, domain: str, model: int, declared: DomainModel):
        self.domain = domain
        self.model = model
        self.rules = blocking_rules(declared)
        self._numbers = {rule: str(n) for n, rule in enumerate(self.rules)}
        self._names = list(self.rules)
        changed = _changed_since_last_run(domain, model)
        self.records: set[int] | None = None if changed is None else set(changed)
        self._packed: dict[int, bytes | set[tuple[str, str]]] = {}

    def observe(self, table: pa.Table) -> None:
        """Take the keys of the records it refreshes from their rows of a feature table."""
        numbers = self._numbers
        table = table.select(["unique_id", *dict.fromkeys(c for columns in self.rules.values() for c in columns)])
        if self.records is not None:
            wanted = pa.array([str(sid) for sid in self.records], type=pa.string())
            table = table.filter(pc.is_in(table.column("unique_id"), wanted))
        for batch in table.to_batches(OBSERVE_CHUNK):
            packed = _packed_keys(self.rules, numbers, batch)
            if packed is None:  # a column record_keys turns into text its own way (numbers, booleans)
                packed = [None] * batch.num_rows
            ids = batch.column("unique_id").to_pylist()
            for i, (uid, keys) in enumerate(zip(ids, packed, strict=True)):
                if keys is None:
                    self._pack(int(uid), record_keys(self.rules, batch.slice(i, 1).to_pylist()[0]))
                else:
                    self._packed[int(uid)] = keys.encode()

    def _pack(self, sid: int, keys: set[tuple[str, str]]) -> None:
        if any(KEY_SEPARATOR in value for _, value in keys):  # kept as it is: cannot be packed
            self._packed[sid] = keys
        else:
            self._packed[sid] = KEY_SEPARATOR.join(
                f"{self._numbers[rule]}{RULE_SEPARATOR}{value}" for rule, value in keys).encode()

    def forget(self, records: Iterable[int]) -> None:
        """Drop the keys computed for records that changed after the run read them: the
        refresh computes theirs from what is stored now."""
        for sid in records:
            self._packed.pop(sid, None)

    def key_count(self) -> int:
        """How many keys the records have: at most what the refresh inserts."""
        separator = KEY_SEPARATOR.encode()
        return sum(len(packed) if isinstance(packed, set) else packed.count(separator) + 1 if packed else 0
                   for packed in self._packed.values())

    def __getitem__(self, sid: int) -> set[tuple[str, str]]:
        packed = self._packed[sid]
        if isinstance(packed, set):
            return packed
        out = set()
        for key in packed.decode().split(KEY_SEPARATOR) if packed else ():
            number, value = key.split(RULE_SEPARATOR, 1)
            out.add((self._names[int(number)], value))
        return out

    def __contains__(self, sid: object) -> bool:  # Mapping's would unpack the keys to answer
        return sid in self._packed

    def __iter__(self) -> Iterator[int]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


@transaction.atomic
def match_keys_refresh(*, domain: str, records: Iterable[int] | None = None, full: bool = False,
                       run_keys: RunKeys | None = None) -> KeyRefresh:
    """Bring the blocking-key index up to date with the records and the active model's
    blocking rules: keys of live records are computed from their features, missing ones
    inserted in bulk and stale ones deleted (a deleted record has none; a rule the model
    no longer declares goes). Unchanged records write nothing. Keys are derived data: no
    history. Takes the domain's golden lock, so it never races a match or an import.

    Which records: `records`; else, with `full`, every record of the domain (a rebuild or
    a repair); else a batch run's `run_keys` (what it collected while it scored); else the
    records changed since the last completed match run with the active model (its cost
    follows the changes, not the domain size), or every record when there is none."""
    golden_domain_lock(domain)
    model = compiled_model(domain)
    computed = None
    if run_keys is not None and records is None and not full:
        if run_keys.model != model.pk or run_keys.rules != model.rules:
            raise StaleKeyIndex(MSG_OTHER_MODEL.format(domain=domain))
        records, computed = run_keys.records, run_keys
    elif records is None and not full:
        records = _changed_since_last_run(domain, model.pk)
    result = KeyRefresh()
    with _value_index_rebuilt(computed.key_count() if computed is not None else 0):
        for rows in _record_chunks(domain, records):
            _refresh_rows(model, rows, result, computed)
    return result


@contextmanager
def _value_index_rebuilt(inserting: int) -> Iterator[None]:
    """On SQLite, when a refresh may insert at least as many keys as the table holds (a
    first run, a new model), the value index is dropped before and built again after:
    built from the sorted keys, it cost a 1M first run a fraction of the random inserts
    into a B-tree far larger than the page cache. Both happen in the refresh's transaction,
    which readers do not see until it commits (WAL), and which a failure rolls back whole.
    Not on PostgreSQL: there the DROP would lock the table against every reader until
    commit."""
    if connection.vendor != "sqlite" or not inserting or inserting < MatchKey.objects.count():
        yield
        return
    index = next(i for i in MatchKey._meta.indexes if i.name == "match_key_value")
    editor = connection.schema_editor()  # for its SQL only: it may not be entered inside a transaction
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
        yield
        cursor.execute(str(index.create_sql(MatchKey, editor)))


def printable(key: str) -> str:
    """A key as a reader sees it: its columns and list elements separated."""
    return key.replace(COLUMN_SEPARATOR, " / ").replace(LIST_SEPARATOR, ", ")


# ---------------------------------------------------------------------------
# Candidates through the index
# ---------------------------------------------------------------------------


def _key_terms(terms: int) -> str:
    qn = connection.ops.quote_name
    term = f"({qn('domain')} = %s AND {qn('rule')} = %s AND {qn('value')} = %s)"
    return " OR ".join([term] * terms)


def _candidate_sql(terms: int) -> str:
    qn = connection.ops.quote_name
    keys, records, systems = (qn(m._meta.db_table) for m in (MatchKey, SourceRecord, SourceSystem))
    return (
        f"SELECT r.{qn('id')}, r.{qn('version')}, r.{qn('content_hash')}, r.{qn('attributes')}, "
        f"r.{qn('golden_id')}, s.{qn('code')}, r.{qn('source_key')} "
        f"FROM {records} r JOIN {systems} s ON s.{qn('id')} = r.{qn('system_id')} "
        f"WHERE r.{qn('id')} IN (SELECT {qn('record_id')} FROM {keys} WHERE {_key_terms(terms)}) "
        f"AND NOT r.{qn('is_deleted')} AND r.{qn('golden_id')} IS NOT NULL AND r.{qn('id')} <> %s "
        f"LIMIT %s"
    )


def _key_counts_sql(terms: int) -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT {qn('rule')}, {qn('value')}, COUNT(*) FROM {qn(MatchKey._meta.db_table)} "
        f"WHERE {_key_terms(terms)} GROUP BY {qn('rule')}, {qn('value')}"
    )


def _key_params(domain: str, keys: Iterable[tuple[str, str]]) -> list[Any]:
    params: list[Any] = []
    for rule, value in sorted(keys):
        params += [domain, rule, value]
    return params


@dataclass(frozen=True)
class Candidates:
    """The stored records an arriving one is scored against, and the keys left out
    because they would have brought more than the domain's `max_candidates` records."""

    rows: list[dict[str, Any]]
    skipped: tuple[tuple[str, str, int], ...] = ()  # (rule, value, records sharing it)


def candidates(domain: str, keys: set[tuple[str, str]], exclude: int | None) -> Candidates:
    """Live records with a golden record that share a blocking key: one statement, each
    key a lookup of the key index. Written in SQL: it is the hot path, and the ORM spends
    longer compiling this query than the database runs it.

    At most the domain's `max_candidates`: a value thousands of records share (a
    switchboard phone, a generic spec) would make every arrival carrying it score them
    all. When the keys bring more, the most common keys (counted in the index, only
    then) are left out, one at a time, until the rest bring at most that many."""
    cap = get_domain(domain).matching.max_candidates
    keys = set(keys)
    counts: list[tuple[int, str, str]] | None = None  # (records, rule, value), most common first
    skipped: list[tuple[str, str, int]] = []
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        while keys:
            cursor.execute(_candidate_sql(len(keys)),
                           [*_key_params(domain, keys), -1 if exclude is None else exclude, cap + 1])
            rows = cursor.fetchall()
            if len(rows) <= cap:
                break
            if counts is None:
                cursor.execute(_key_counts_sql(len(keys)), _key_params(domain, keys))
                counts = sorted(((n, rule, value) for rule, value, n in cursor.fetchall()), reverse=True)
            if not counts:  # keys written since they were counted (search takes no lock)
                rows = rows[:cap]
                break
            n, rule, value = counts.pop(0)
            keys.discard((rule, value))
            skipped.append((rule, value, n))
            rows = []
    return Candidates(
        rows=[
            {"id": pk, "version": version, "content_hash": digest,
             "attributes": json.loads(attributes) if isinstance(attributes, (str, bytes)) else attributes,
             "golden_id": golden, "system__code": code, "source_key": key}
            for pk, version, digest, attributes, golden, code, key in rows
        ],
        skipped=tuple(skipped),
    )
