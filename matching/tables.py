"""Feature tables: a domain's rows as typed Arrow columns of the features its model reads.

Built once per run a chunk at a time (the rows' feature dicts never all exist at once),
then handed to Splink (matching.engine) and read by the Python scorer (feature_rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa

from matching import declarations as m
from matching.feature_cache import KEY, FeatureCache, cache_write, row_key
from matching.features import feature_function
from mdm.errors import InternalError

MSG_DUPLICATE_ID = "unique_id {uid!r} occurs more than once"


def _iter_rows(rows: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(rows, pa.Table):
        return rows.to_pylist()
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # pandas
        return rows.to_dict(orient="records")
    return rows


def _feature_type(values: list[Any]) -> pa.DataType:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return pa.bool_()
    if isinstance(sample, list):
        return pa.list_(pa.string())
    if isinstance(sample, (int, float)):
        return pa.float64()
    return pa.string()


def _declared_types(model: m.DomainModel | None) -> dict[str, pa.DataType]:
    """Column types the model's conditions imply: list columns (Overlap, Subset) and
    boolean ones (EitherTrue, EitherFalse). Used when no row holds a value to infer from,
    so a column that is empty in this data still has the type its SQL expects."""
    types: dict[str, pa.DataType] = {}

    def visit(cond: m.Condition | None) -> None:
        if isinstance(cond, (m.All, m.Any)):
            for part in cond.parts:
                visit(part)
        elif isinstance(cond, m.Not):
            visit(cond.part)
        elif isinstance(cond, (m.Overlap, m.Subset)):
            types[cond.column] = pa.list_(pa.string())
        elif isinstance(cond, (m.EitherTrue, m.EitherFalse)):
            types[cond.column] = pa.bool_()
        elif isinstance(cond, m.AtLeast):
            types[cond.column] = pa.int64()

    for comparison in (model.comparisons if model else ()):
        for level in comparison.levels:
            visit(level.condition)
    return types


FEATURE_CHUNK = 50_000  # rows turned into feature columns at a time
FEATURE_TABLE = {"mdm": b"features"}  # schema metadata of a feature table


def feature_table(rows: Any, declared: m.DomainModel, *, cache: Path | None = None) -> pa.Table:
    """A typed Arrow table of unique_id, source_system and the feature columns the model
    compares and blocks on (matching.features), built FEATURE_CHUNK rows at a time: only
    one chunk's feature dicts are alive at once, the rest is already Arrow. A column's
    first value decides its type; a column without any value takes the type the model's
    conditions imply (else string). predict and feature_rows take it in place of the rows (it is marked as what it is).
    `cache`: a file of features computed before (matching.feature_cache): rows whose
    content it holds are read from it, the others computed, and the file is replaced by
    this table's rows."""
    names = list(dict.fromkeys(["unique_id", "source_system", *declared.condition_columns()]))
    stored = FeatureCache.open(cache, names, declared.features) if cache is not None else None
    build = _Build(names, feature_function(declared.features), stored, keyed=cache is not None)
    source = iter(_iter_rows(rows))
    while batch := list(islice(source, FEATURE_CHUNK)):
        frows = build.add(batch)
        del batch
        build.append(frows)
        del frows
    computed = build.computed(_declared_types(declared))
    table = build.merged(computed)
    if cache is not None and not build.unchanged():
        cache_write(cache, table, build.keys, declared.features)
    return table.replace_schema_metadata(FEATURE_TABLE)


class _Build:
    """A feature table being built: the rows computed so far, as Arrow chunks, and the
    rows found in the cache, by their position in it."""

    def __init__(self, names: list[str], features: Callable[[Any], dict[str, Any]],
                 stored: FeatureCache | None, *, keyed: bool):
        self.names, self.features, self.stored, self.keyed = names, features, stored, keyed
        self.kinds: dict[str, pa.DataType] = {"unique_id": pa.string(), "source_system": pa.string()}
        self.parts: dict[str, list[pa.Array | int]] = {name: [] for name in names}  # int: that many nulls
        self.seen: set[str] = set()
        self.keys: list[bytes | None] = []  # each row's cache key, in the rows' order
        self.hits: list[int] = []  # the cache rows of the rows found there
        self.order: list[int] = []  # each row's place: i ≥ 0 the i-th hit, -1 - i the i-th computed
        self.count = 0  # rows computed

    def add(self, batch: list[Any]) -> list[dict[str, Any]]:
        """The feature rows of a batch's rows not in the cache."""
        keys = [row_key(row) for row in batch] if self.keyed else []
        self.keys += keys
        found = self.stored.positions(keys) if self.stored is not None else [None] * len(batch)
        frows = []
        for row, position in zip(batch, found, strict=True):
            uid = str(row["unique_id"])
            if uid in self.seen:
                raise InternalError(MSG_DUPLICATE_ID.format(uid=uid))
            self.seen.add(uid)
            if position is not None:
                self.order.append(len(self.hits))
                self.hits.append(position)
                continue
            self.order.append(-1 - self.count)
            self.count += 1
            frows.append({"unique_id": uid, "source_system": row.get("source_system"), **self.features(row)})
        return frows

    def append(self, frows: list[dict[str, Any]]) -> None:
        for name in self.names:
            values = [r.get(name) for r in frows]
            kind = self.kinds.get(name)
            if kind is None and any(v is not None for v in values):
                kind = self.kinds[name] = _feature_type(values)
            self.parts[name].append(len(values) if kind is None else pa.array(values, type=kind))

    def computed(self, declared_types: dict[str, pa.DataType]) -> pa.Table:
        columns = []
        for name in self.names:
            kind = self.kinds.get(name) or declared_types.get(name, pa.string())
            chunks = [pa.nulls(part, type=kind) if isinstance(part, int) else part for part in self.parts.pop(name)]
            columns.append(pa.chunked_array(chunks, type=kind))
        return pa.table(columns, names=self.names)

    def unchanged(self) -> bool:
        """Every row found in the cache, each at its place there, and nothing else in it."""
        return (not self.count and self.stored is not None and len(self.hits) == self.stored.table.num_rows
                and self.hits == list(range(len(self.hits))))

    def merged(self, computed: pa.Table) -> pa.Table:
        """The computed rows and the cached ones, in the rows' order."""
        if not self.hits:
            return computed
        if self.unchanged():  # the file's rows as they are, memory-mapped: no copy
            found = self.stored.table.drop_columns([KEY])
        else:
            found = self.stored.table.take(pa.array(self.hits, type=pa.int64())).drop_columns([KEY])
        if not self.count:
            return found
        found, computed = _same_types(found, computed)
        offset = len(self.hits)
        return pa.concat_tables([found, computed]).take(
            pa.array([i if i >= 0 else offset - 1 - i for i in self.order], type=pa.int64()))


def _same_types(a: pa.Table, b: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Two parts of one feature table with one type per column: a column without a value
    in one part takes the other's type (as it would have, built in one go)."""
    for i, (fa, fb) in enumerate(zip(a.schema, b.schema, strict=True)):
        if fa.type == fb.type:
            continue
        if a.column(i).null_count == len(a):
            a = a.set_column(i, fb.name, pa.nulls(len(a), type=fb.type))
        elif b.column(i).null_count == len(b):
            b = b.set_column(i, fa.name, pa.nulls(len(b), type=fa.type))
    return a, b


def items_column(column: str) -> str:
    """The column that says how many items carry a record's value of a TF column (its
    count in engine._tf_tables: the most records one system holds with it), for the
    conditions about how common a shared value is (AtLeast). Not a feature of the record
    alone: the trained model's counts fill it in for Splink (with_items) and the Python
    scorer looks them up (scoring._compile), so batch and real-time matching read the same
    numbers."""
    return f"{column}_items"


def item_counts(tf_tables: Mapping[str, Mapping[Any, float]], records: int) -> dict[str, dict[Any, int]]:
    """Items per value of each TF column: its frequency times the records counted."""
    return {column: {v: round(f * records) for v, f in table.items()} for column, table in tf_tables.items()}


def with_items(table: pa.Table, counts: Mapping[str, Mapping[Any, int]]) -> pa.Table:
    """`table` with the items column of each TF column filled in where the model reads it:
    1 for a value no system holds twice, NULL for no value."""
    for column, per_value in counts.items():
        name = items_column(column)
        if name in table.column_names:
            values = [None if v is None else per_value.get(v, 1) for v in table.column(column).to_pylist()]
            table = table.set_column(table.column_names.index(name), name, pa.array(values, pa.int64()))
    return table


def is_feature_table(rows: Any) -> bool:
    return isinstance(rows, pa.Table) and (rows.schema.metadata or {}).get(b"mdm") == FEATURE_TABLE["mdm"]


def feature_subset(table: pa.Table, ids: Iterable[str]) -> pa.Table:
    """The rows of a feature table whose unique_id is in `ids` (a feature table too)."""
    wanted = set(ids)
    positions = [i for i, uid in enumerate(table.column("unique_id").to_pylist()) if uid in wanted]
    return table.take(pa.array(positions, type=pa.int64()))


def feature_rows(table: pa.Table) -> dict[str, dict[str, Any]]:
    """A feature table's rows by unique_id, as the pure-Python scorer takes them
    (Scorer.prepare passes them through): the values Splink compares, so a caller that
    has the table scores without computing features again."""
    rows = table.to_pylist()
    for row in rows:
        row["_prepared"] = True
    return {row["unique_id"]: row for row in rows}
