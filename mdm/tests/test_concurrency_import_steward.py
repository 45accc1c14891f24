"""An import racing a steward's merge waits for it, then writes against the merged state."""

import threading
import time

import pytest
from django.db import connection, transaction

from mdm.history import Change
from mdm.integrity import run_checks
from mdm.models import GoldenRecord, SourceRecord
from mdm.services.golden_records import golden_record_create, golden_record_merge
from mdm.services.records import source_records_upsert
from mdm.services.systems import source_system_register
from mdm.tests.factories import incoming


@pytest.mark.django_db(transaction=True)
def test_an_import_during_a_steward_merge_keeps_history_and_golden_values_true():
    setup = Change(actor="test", reason="setup")
    erp = source_system_register(code="erp", name="erp", change=setup)
    source_records_upsert(
        domain="customer", system=erp,
        records=[incoming("customer", "a", name="Alpha Ltd"), incoming("customer", "b", name="Beta Ltd")],
        change=setup,
    )
    a, b = SourceRecord.objects.get(source_key="a"), SourceRecord.objects.get(source_key="b")
    first = golden_record_create(domain="customer", members=[a.pk], change=setup)
    second = golden_record_create(domain="customer", members=[b.pk], change=setup)
    merging, errors = threading.Event(), []

    def steward():
        try:
            with transaction.atomic():
                golden_record_merge(
                    survivor=GoldenRecord.objects.get(pk=second.pk),
                    retired=[GoldenRecord.objects.get(pk=first.pk)],
                    change=Change(actor="user:steward", reason="same company"),
                )
                merging.set()
                time.sleep(1.0)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
            merging.set()
        finally:
            connection.close()

    def importer():
        merging.wait()
        try:
            source_records_upsert(
                domain="customer", system=erp, records=[incoming("customer", "a", name="Alpha Renamed Ltd")],
                change=Change(actor="system:erp", reason="import"),
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=steward), threading.Thread(target=importer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    a.refresh_from_db()
    assert a.golden_id == second.pk and a.attributes["name"] == "Alpha Renamed Ltd"
    versions = list(SourceRecord.history.filter(id=a.pk).values_list("version", flat=True))
    assert sorted(versions) == list(range(1, a.version + 1))
    imported = SourceRecord.history.filter(id=a.pk, history_actor="system:erp").latest("history_id")
    assert imported.golden_id == second.pk
    assert {name: problems for name, problems in run_checks().items() if problems} == {}
