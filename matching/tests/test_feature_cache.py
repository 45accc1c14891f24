"""The feature cache: a row's features come back from it only while the row's content and
the feature code are what computed them. No database is used."""

from __future__ import annotations

import os
import time

import pyarrow as pa
import pytest

from matching.declarations import get_declaration
from matching.feature_cache import KEY, LEFTOVER_AGE, VERSION, FeatureCache, row_key
from matching.selectors import EngineRow
from matching.tables import feature_table


@pytest.fixture
def rows(samples):
    return [dict(row) for row in samples["customer"].rows[:300]]


def _tamper(path, column: str, value: str, *, version: bytes | None = None) -> None:
    """Rewrite the cache file with every row's `column` set to `value` (and another version)."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    i = table.column_names.index(column)
    table = table.set_column(i, column, pa.array([value] * len(table), type=table.schema.field(i).type))
    if version is not None:
        table = table.replace_schema_metadata({VERSION: version})
    temp = path.with_suffix(".tampered")  # replaced, as the cache does: a reader may have the file mapped
    with pa.OSFile(str(temp), "wb") as out, pa.ipc.new_file(out, table.schema) as writer:
        writer.write_table(table)
    temp.replace(path)


def test_it_reads_back_what_it_computed(rows, tmp_path):
    declared, path = get_declaration("customer"), tmp_path / "customer.arrow"
    fresh = feature_table(rows, declared)
    assert feature_table(rows, declared, cache=path).equals(fresh)
    again = feature_table(rows, declared, cache=path)
    assert again.equals(fresh) and again.schema == fresh.schema


def test_it_serves_a_row_only_while_its_content_is_the_same(rows, tmp_path):
    declared, path = get_declaration("customer"), tmp_path / "customer.arrow"
    feature_table(rows, declared, cache=path)
    _tamper(path, "nm_core", "from the cache")
    served = feature_table(rows, declared, cache=path).column("nm_core").to_pylist()
    assert set(served) == {"from the cache"}  # the file is read: a row unchanged takes its entry
    _tamper(path, "nm_core", "from the cache")
    changed = [dict(row) for row in rows]
    changed[5]["name"] = "长沙宏达机械有限公司"
    del changed[7]
    changed.append({**rows[7], "unique_id": "new"})
    table = feature_table(changed, declared, cache=path)
    values = dict(zip(table.column("unique_id").to_pylist(), table.column("nm_core").to_pylist(), strict=True))
    fresh = feature_table([changed[5], changed[-1]], declared).column("nm_core").to_pylist()
    assert [values[changed[5]["unique_id"]], values["new"]] == fresh != ["from the cache"] * 2
    assert table.column("unique_id").to_pylist() == [str(r["unique_id"]) for r in changed]  # the rows' order


def test_it_ignores_a_file_of_other_feature_code(rows, tmp_path):
    declared, path = get_declaration("customer"), tmp_path / "customer.arrow"
    fresh = feature_table(rows, declared, cache=path)
    _tamper(path, "nm_core", "from other code", version=b"another version")
    names = fresh.column_names
    assert FeatureCache.open(path, names, declared.features) is None
    assert feature_table(rows, declared, cache=path).equals(fresh)
    assert FeatureCache.open(path, names, declared.features).table.column_names == [*names, KEY]  # rewritten
    assert FeatureCache.open(path, names[:-1], declared.features) is None  # other columns
    path.unlink()
    path.write_bytes(b"not arrow")
    assert feature_table(rows, declared, cache=path).equals(fresh)


def test_it_computes_the_features_when_the_file_cannot_be_written(rows, tmp_path, caplog):
    """A read-only data directory or a full disk costs the cache, not the run."""
    declared = get_declaration("customer")
    (tmp_path / "features").write_text("a file where the cache's directory should be")
    fresh = feature_table(rows, declared)
    assert feature_table(rows, declared, cache=tmp_path / "features" / "customer.arrow").equals(fresh)
    assert "not written" in caplog.text


def test_a_write_a_killed_process_left_unfinished_is_removed(rows, tmp_path):
    """A process killed while it wrote leaves its temporary file (the size of the cache):
    the next write removes it, not the one a writer still busy is filling."""
    declared, path = get_declaration("customer"), tmp_path / "customer.arrow"
    dead, busy = tmp_path / ".customer.arrow.dead", tmp_path / ".customer.arrow.busy"
    dead.write_bytes(b"half a table")
    busy.write_bytes(b"a table being written")
    os.utime(dead, (time.time() - 2 * LEFTOVER_AGE,) * 2)
    feature_table(rows, declared, cache=path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [busy.name, path.name]


def test_a_row_key_covers_all_a_row_holds():
    row = EngineRow({"name": "A", "tax_id": None}, "1", "erp")
    assert row_key(row) == row_key(EngineRow({"name": "A", "tax_id": None}, "1", "erp"))
    others = [EngineRow({"name": "A", "tax_id": ""}, "1", "erp"), EngineRow({"name": "A", "tax_id": None}, "2", "erp"),
              EngineRow({"name": "A", "tax_id": None}, "1", "crm"), EngineRow({"name": "A", "tax_id": 1}, "1", "erp"),
              EngineRow({"name": "A", "tax_id": True}, "1", "erp"), EngineRow({"name": "A", "tax_id": 1.0}, "1", "erp")]
    assert len({row_key(row), *map(row_key, others)}) == 1 + len(others)
    assert row_key({"unique_id": "1", "when": object()}) is None  # not decoded JSON: computed, never cached
