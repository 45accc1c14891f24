"""Shared test helpers: source records written through the services, standardized like an
import; sample exports loaded; what a change writes; the invariants checked. Tests of every
layer use these (matching's add their own in matching/tests/factories.py)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.db import connection, transaction

from fixtures.datasets import SAMPLES
from mdm import audit
from mdm.content import content_hash
from mdm.domains import get_domain
from mdm.history import Change
from mdm.ingest.run import import_file
from mdm.integrity import CHECKS, run_checks
from mdm.models import ChangeEvent, GoldenRecord, ImportRun, MergeProposal, PairConstraint, SourceRecord, SourceSystem
from mdm.services.records import IncomingRecord, source_records_upsert
from mdm.services.systems import source_system_register

MANIFEST = yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))["samples"]
PROFILE = "test"  # not a profile file: lineage then names the attribute itself as the field

HUAWEI = {
    "name": "华为技术有限公司",
    "tax_id": "914403001922038216",
    "phone": "0755-28780808",
    "city": "深圳",
    "address": "坂田华为基地1号",
}
OTHER = {"name": "北京京东世纪贸易有限公司", "tax_id": "911103026605015136", "phone": "010-89118888", "city": "北京"}

# A small KNA1-like export and its profile, for the ingest tests
KNA1_PROFILE = """
name: test_customers
domain: customer
key: KUNNR
deleted: {field: LOEVM, equals: X}
fields:
  name: [NAME1, NAME2]
  city: ORT01
  phone: TELF1
  tax_id: STCD1
  changed_at: {field: ERDAT, date_format: "%Y%m%d"}
"""
KNA1_HEADER = ["KUNNR", "NAME1", "NAME2", "ORT01", "TELF1", "STCD1", "ERDAT", "LOEVM"]
KNA1_ROWS = [
    ["0000100001", "华为技术有限公司", "", "深圳", "0755-28780808", "914403001922038216", "20230105", ""],
    ["0000100002", "ＡＢＣ　Ｔｒａｄｉｎｇ", "Co., Ltd.", "上海", "+86 21 5555 1234", "", "20230210", ""],
    ["0000100003", "北京京东世纪贸易有限公司", "", "北京", "13800138000", "", "20220301", ""],
]


def write_csv(path: Path, rows, header=KNA1_HEADER, encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load(path, profile, system="erp", **kwargs) -> ImportRun:
    return import_file(path=path, system_code=system, profile_name=profile, **kwargs)


def writes() -> tuple[int, ...]:
    """Every row a change writes: history of each tracked model, and events."""
    return (
        SourceRecord.history.count(),
        GoldenRecord.history.count(),
        MergeProposal.history.count(),
        PairConstraint.history.count(),
        ChangeEvent.objects.count(),
    )


def assert_invariants(checks: list[Callable[[], list[str]]] = CHECKS) -> None:
    problems = {name: found for name, found in run_checks(checks).items() if found}
    assert problems == {}


def xref(domain: str = "customer") -> dict[int, str]:
    """Live source record id -> golden ID."""
    rows = SourceRecord.objects.filter(domain=domain, is_deleted=False)
    return dict(rows.values_list("id", "golden__golden_id"))


def groups(domain: str = "customer") -> dict[str, frozenset[int]]:
    out: dict[str, set[int]] = {}
    for sid, golden_id in xref(domain).items():
        out.setdefault(golden_id, set()).add(sid)
    return {g: frozenset(ids) for g, ids in out.items()}


def incoming(domain: str, key: str, *, deleted: bool = False, **values: Any) -> IncomingRecord:
    attributes, issues = get_domain(domain).standardize(values, phone_region="CN")
    return IncomingRecord(
        source_key=key,
        profile=PROFILE,
        raw=values,
        content_hash=content_hash(PROFILE, values, deleted),
        attributes=attributes,
        issues=issues,
        deleted=deleted,
    )


def upsert(
    system: SourceSystem,
    domain: str,
    rows: dict[str, dict[str, Any]],
    *,
    deleted: bool = False,
    change: Change | None = None,
) -> dict[str, SourceRecord]:
    """Write {key: values} for one system; returns the stored records by key."""
    change = change or Change.by_system(system.code, "test data")
    source_records_upsert(
        domain=domain,
        system=system,
        change=change,
        records=[incoming(domain, key, deleted=deleted, **values) for key, values in rows.items()],
    )
    stored = SourceRecord.objects.filter(domain=domain, system=system, source_key__in=list(rows))
    return {r.source_key: r for r in stored}


def system(code: str, trust: dict[str, Any] | None = None) -> SourceSystem:
    return source_system_register(
        code=code, name=code.upper(), trust=trust, change=Change(actor="test", reason="setup")
    )


def load_samples(domain: str, trust: dict[str, dict[str, Any]] | None = None) -> None:
    """Import every sample export of a domain (one file per profile), as the demo does."""
    seen = set()
    for sample in MANIFEST:
        if sample["domain"] != domain or sample["profile"] in seen:
            continue
        seen.add(sample["profile"])
        source_system_register(
            code=sample["system"],
            name=sample["system_name"],
            trust=(trust or {}).get(sample["system"], {}),
            change=Change(actor="test", reason="setup"),
        )
        run = import_file(
            path=SAMPLES / sample["file"],
            system_code=sample["system"],
            profile_name=sample["profile"],
            encoding=sample.get("encoding"),
        )
        assert run.status == "completed", run.error


# --- history coverage: what a path changed against the history it wrote ------------------------


def _tracked() -> list:
    """Every model with history (the faces' too)."""
    return [m for m in apps.get_models() if hasattr(m, "history") and hasattr(m.history, "model")]


def _fields(model) -> list[str]:
    """The fields history keeps (a model's history may leave out what never changes)."""
    kept = {f.attname for f in model.history.model._meta.concrete_fields}
    return [f.attname for f in model._meta.concrete_fields if f.attname in kept]


def _rows(model) -> dict[int, dict]:
    return {row["id"]: row for row in model.objects.values(*_fields(model))}


@contextmanager
def history_of_every_change(path: str):
    """Around one path: compare what it changed with the history it wrote."""
    tracked = _tracked()
    before = {model: _rows(model) for model in tracked}
    marks = {model: model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
             for model in tracked}
    yield
    touched = 0
    for model in tracked:
        after = _rows(model)
        changed = {pk for pk, row in after.items() if before[model].get(pk) != row}
        new = list(model.history.filter(history_id__gt=marks[model]).order_by("history_id")
                   .values("id", "history_hash", "history_actor", "history_operation",
                           *[f for f in _fields(model) if f != "id"]))
        assert {row["id"] for row in new} == changed, f"{path}: {model.__name__} changed without history or vice versa"
        last: dict[int, dict] = {}
        for row in new:
            assert row["history_actor"] and row["history_operation"] and row["history_hash"], path
            version = {k: row[k] for k in after[row["id"]]}
            assert last.get(row["id"]) != version, f"{path}: {model.__name__} {row['id']}: a row for no change"
            last[row["id"]] = version
        for pk, version in last.items():
            assert version == after[pk], f"{path}: {model.__name__} {pk}: its last history row is not the row"
        touched += len(changed)
    assert audit.chain_heads()[1] == [], path
    assert touched, f"{path} changed nothing: the test would prove nothing"


def tamper(sql: str, params=()) -> None:
    """Change the database behind the application's back, as someone with direct access
    would (on PostgreSQL, with triggers off: that needs a superuser)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
