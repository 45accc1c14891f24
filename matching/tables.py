"""Feature tables: a domain's rows as typed Arrow columns of the features its model reads.

Built once per run a chunk at a time (the rows' feature dicts never all exist at once),
then handed to Splink (matching.engine) and read by the Python scorer (feature_rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any

import pyarrow as pa

from matching import declarations as m
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


def feature_table(rows: Any, declared: m.DomainModel, *,
                  observe: Callable[[list[dict[str, Any]]], None] | None = None) -> pa.Table:
    """A typed Arrow table of unique_id, source_system and the feature columns the model
    compares and blocks on (matching.features), built FEATURE_CHUNK rows at a time: only
    one chunk's feature dicts are alive at once, the rest is already Arrow. A column's
    first value decides its type; a column without any value takes the type the model's
    conditions imply (else string). `observe`: called with each chunk's feature rows.
    predict and feature_rows take it in place of the rows (it is marked as what it is)."""
    features = feature_function(declared.features)
    # a model may compare source_system itself (models.SOURCE_SYSTEM): each column once
    names = list(dict.fromkeys(["unique_id", "source_system", *declared.condition_columns()]))
    declared_types = _declared_types(declared)
    kinds: dict[str, pa.DataType] = {"unique_id": pa.string(), "source_system": pa.string()}
    parts: dict[str, list[pa.Array | int]] = {name: [] for name in names}  # int: that many nulls, type still unknown
    seen: set[str] = set()
    source = iter(_iter_rows(rows))
    while batch := list(islice(source, FEATURE_CHUNK)):
        frows = []
        for row in batch:
            uid = str(row["unique_id"])
            if uid in seen:
                raise InternalError(MSG_DUPLICATE_ID.format(uid=uid))
            seen.add(uid)
            frows.append({"unique_id": uid, "source_system": row.get("source_system"), **features(row)})
        del batch
        if observe is not None:
            observe(frows)
        for name in names:
            values = [r.get(name) for r in frows]
            kind = kinds.get(name)
            if kind is None and any(v is not None for v in values):
                kind = kinds[name] = _feature_type(values)
            parts[name].append(len(values) if kind is None else pa.array(values, type=kind))
        del frows
    columns = []
    for name in names:
        kind = kinds.get(name) or declared_types.get(name, pa.string())
        chunks = [pa.nulls(part, type=kind) if isinstance(part, int) else part for part in parts.pop(name)]
        columns.append(pa.chunked_array(chunks, type=kind))
    return pa.table(columns, names=names, metadata=FEATURE_TABLE)


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
