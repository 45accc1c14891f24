"""The history's hash chains: every path writes chained rows, and any alteration, removal
or rewrite is found by verify_audit, which names the first broken link."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from mdm import audit
from mdm.errors import AuditChainBroken
from mdm.history import Change
from mdm.models import AuditAnchor, AuditCheckpoint, AuditPrune, ChangeEvent, GoldenRecord, SourceRecord
from mdm.selectors import golden_record_as_of, golden_record_state
from mdm.services.audit import audit_checkpoint_create
from mdm.services.golden_records import golden_record_create, golden_record_override_set
from mdm.tests.factories import HUAWEI, KNA1_ROWS, OTHER, load, system, tamper, upsert, write_csv

pytestmark = pytest.mark.django_db(transaction=True)
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")


def history_of(record: SourceRecord) -> list:
    return list(SourceRecord.history.filter(id=record.pk).order_by("history_id"))


@pytest.fixture
def records():
    crm = system("crm")
    stored = upsert(crm, "customer", {"1": HUAWEI, "2": OTHER})
    change = Change(actor="user:steward", reason="test")
    golden = golden_record_create(domain="customer", members=[stored["1"].pk], change=change)
    golden_record_create(domain="customer", members=[stored["2"].pk], change=change)
    golden_record_override_set(golden=golden, attribute="name", value="华为", reason="short name", change=change)
    upsert(crm, "customer", {"1": {**HUAWEI, "phone": "0755-28780809"}})
    return SourceRecord.objects.get(pk=stored["1"].pk)


def test_every_history_row_is_chained_to_the_row_before_it_of_its_record(records, tmp_path, profile):
    system("erp")
    load(write_csv(tmp_path / "kna1.csv", KNA1_ROWS), profile)  # the bulk path
    rows = history_of(records)
    assert len(rows) >= 3
    assert rows[0].history_prev_hash == ""
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.history_prev_hash == before.history_hash != ""
    heads, breaks = audit.chain_heads()
    assert breaks == []
    assert heads["mdm_historicalsourcerecord"][str(records.pk)] == (rows[-1].history_id, rows[-1].history_hash)
    assert SourceRecord.history.filter(history_hash="").count() == 0
    assert GoldenRecord.history.filter(history_hash="").count() == 0
    assert SourceRecord.history.count() > 4


def test_an_altered_row_is_named(records, capsys):
    victim = history_of(records)[1]
    tamper("UPDATE mdm_historicalsourcerecord SET source_key = 'X9' WHERE history_id = %s", [victim.history_id])
    with pytest.raises(CommandError, match=r"1 problem"):
        call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"mdm_historicalsourcerecord history_id={victim.history_id} (record {records.pk})" in out
    assert "altered" in out


def test_a_removed_row_is_named_at_the_row_after_it(records, capsys):
    first, second, *_ = history_of(records)
    tamper("DELETE FROM mdm_historicalsourcerecord WHERE history_id = %s", [first.history_id])
    with pytest.raises(CommandError):
        call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"history_id={second.history_id} (record {records.pk})" in out
    assert "removed" in out


def test_a_rewritten_chain_is_caught_by_an_earlier_checkpoint(records, tmp_path, capsys):
    out = tmp_path / "checkpoint.json"
    call_command("audit_checkpoint", out=out)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert AuditCheckpoint.objects.count() == 1
    call_command("verify_audit", checkpoint=[out])
    # Remove the record's last version: every remaining chain still holds on its own.
    last = history_of(records)[-1]
    tamper("DELETE FROM mdm_historicalsourcerecord WHERE history_id = %s", [last.history_id])
    heads, breaks = audit.chain_heads()
    assert breaks == []
    with pytest.raises(CommandError):
        call_command("verify_audit", checkpoint=[out])
    assert f"history_id={last.history_id}" in capsys.readouterr().out


def test_an_altered_checkpoint_file_is_refused(records, tmp_path):
    out = tmp_path / "checkpoint.json"
    call_command("audit_checkpoint", out=out)
    document = json.loads(out.read_text())
    table = next(t for t, chains in document["heads"].items() if chains)
    key = next(iter(document["heads"][table]))
    document["heads"][table][key][1] = "0" * 64
    out.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="altered"):
        call_command("verify_audit", checkpoint=[out])
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit_checkpoint", out=out)
    (tmp_path / "junk.json").write_text("{")
    with pytest.raises(CommandError, match="not an audit checkpoint file"):
        call_command("verify_audit", checkpoint=[tmp_path / "junk.json"])


def test_no_checkpoint_vouches_for_a_broken_chain(records):
    victim = history_of(records)[0]
    tamper("UPDATE mdm_historicalsourcerecord SET history_actor = 'nobody' WHERE history_id = %s",
           [victim.history_id])
    with pytest.raises(AuditChainBroken, match=f"history_id={victim.history_id}"):
        audit_checkpoint_create(change=Change(actor="test", reason="test"))
    assert AuditCheckpoint.objects.count() == 0


def test_chains_computed_afresh_equal_the_chains_the_database_wrote(records):
    before = audit.chain_heads()
    tamper("UPDATE mdm_historicalsourcerecord SET history_hash = '', history_prev_hash = ''")
    assert audit.chain_heads()[1] != []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        audit.rechain(connection, "mdm_historicalsourcerecord")
    assert audit.chain_heads() == before


@on_postgres
@pytest.mark.parametrize("table", ["mdm_historicalsourcerecord", "mdm_historicalgoldenrecord", "mdm_changeevent"])
def test_postgres_refuses_update_and_delete_of_history_and_feed(records, table):
    for sql in (f"UPDATE {table} SET actor = actor" if table == "mdm_changeevent"
                else f"UPDATE {table} SET history_actor = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    assert ChangeEvent.objects.exists()


@on_postgres
def test_the_chain_reads_a_records_last_row_through_its_index_whatever_the_plan(records):
    """The trigger's lookup of a record's last row, planned as PL/pgSQL plans it after a few
    calls (a generic plan, no statistics): an index scan on (key, history_id), never a walk
    of the primary key or the table, which made each insert cost the table's size."""
    for model in audit.history_models():
        table, key = model._meta.db_table, audit.key_column(model)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute(f"PREPARE last_row AS SELECT history_hash FROM {table} WHERE {key} = $1 "
                           f"ORDER BY {key} DESC, history_id DESC LIMIT 1")
            cursor.execute("EXPLAIN (FORMAT JSON) EXECUTE last_row(1)")
            plan = json.dumps(cursor.fetchone()[0])
            cursor.execute("DEALLOCATE last_row")
        assert audit.chain_index(table) in plan and '"Sort"' not in plan, (table, plan)


@on_postgres
def test_concurrent_writers_of_one_record_keep_one_chain(records):
    from concurrent.futures import ThreadPoolExecutor

    crm = records.system

    def write(n: int) -> None:
        try:
            upsert(crm, "customer", {"1": {**HUAWEI, "address": f"坂田{n}号"}})
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(16)))
    assert len(history_of(records)) >= 16
    assert audit.chain_heads()[1] == []



def test_the_retention_procedure_is_the_only_way_to_prune_and_keeps_the_chains_provable(records, capsys):
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        upsert(records.system, "customer", {"1": {**HUAWEI, "phone": "0755-28780810"}})
    golden = GoldenRecord.objects.get(pk=records.golden_id)
    versions = len(history_of(records))
    with time_machine.travel(datetime(2030, 6, 1, tzinfo=UTC), tick=True):
        call_command("prune_history", before="2029-12-31", reason="keep ten years")
        assert "would remove" in capsys.readouterr().out
        assert len(history_of(records)) == versions and not AuditPrune.objects.exists()
        with pytest.raises(CommandError, match="reason"):
            call_command("prune_history", before="2029-12-31", reason=" ", confirm=True)
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            call_command("prune_history", before="31.12.2029", reason="x", confirm=True)
        with pytest.raises(CommandError, match="future"):
            call_command("prune_history", before="2031-01-01", reason="x", confirm=True)

        call_command("prune_history", before="2029-12-31", reason="keep ten years", confirm=True)
        out = capsys.readouterr().out
        assert out.startswith("removed ") and "mdm_historicalsourcerecord" in out
        kept = history_of(records)
        assert len(kept) == 2  # the version in force at the cut, and the one after it
        assert kept[0].history_prev_hash != ""
        assert AuditPrune.objects.get().reason == "keep ten years"
        assert AuditAnchor.objects.filter(table="mdm_historicalsourcerecord", key=str(records.pk)).exists()
        call_command("verify_audit")  # the pruned chains still prove what is left
        now = golden_record_state(golden)
        then = golden_record_as_of(golden.golden_id, datetime(2030, 6, 1, tzinfo=UTC))
        assert (then.version, then.attributes, then.members) == (now.version, now.attributes, now.members)
        # a forged start is still caught: only the recorded anchor is accepted
        tamper("UPDATE mdm_historicalsourcerecord SET history_prev_hash = %s WHERE history_id = %s",
               ["f" * 64, kept[0].history_id])
        with pytest.raises(CommandError):
            call_command("verify_audit")
