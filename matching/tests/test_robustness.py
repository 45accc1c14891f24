"""Inputs and timings no one planned for: data no deterministic rule finds anything in,
categories longer than a golden ID has room for, records restored by their source, steward
activity during a run, a run killed midway. None may crash training or matching or leave
an invariant broken."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from matching.runs import MSG_INTERRUPTED, MSG_NOTHING_APPLIED, match_run
from matching.selectors import active_model
from matching.tests.factories import DEMO_TRUST, assert_invariants
from matching.training import match_model_store, model_train
from mdm.errors import NothingToTrain
from mdm.history import Change
from mdm.models import GoldenRecord, MatchModel, MatchRun, SourceRecord
from mdm.services.golden_records import golden_record_create, golden_record_override_set
from mdm.tests.factories import HUAWEI, OTHER, load_samples, system, upsert

PRODUCTS = {  # no barcode anywhere: the product model's only deterministic rule finds nothing
    "P1": {"name": "六角头螺栓 M6x20 不锈钢", "spec": "M6x20", "unit": "PCS", "category": "FAST"},
    "P2": {"name": "六角头螺栓 M6X20 不锈钢", "spec": "M6X20", "unit": "PCS", "category": "FAST"},
    "P3": {"name": "深沟球轴承 6204-2RS", "spec": "6204-2RS", "unit": "PCS", "category": "BEAR"},
    "P4": {"name": "电阻 1206 10K", "spec": "1206 10K", "unit": "PCS", "category": "ELEC"},
    "P5": {"name": "电阻 1206 270K", "spec": "1206 270K", "unit": "PCS", "category": "ELEC"},
}


def test_it_trains_without_a_deterministic_match_and_says_how_it_chose_the_prior(db):
    upsert(system("erp"), "product", PRODUCTS)
    model = model_train(domain="product", actor="test")
    assert 0 < model.report["prior"] < 1
    assert any("barcode" in line and "prior" in line for line in model.report["fallbacks"])
    match_run(domain="product", actor="test")
    assert GoldenRecord.objects.filter(domain="product").exists()
    assert_invariants()


def test_it_refuses_to_train_on_a_domain_whose_records_are_all_deleted(db):
    upsert(system("crm"), "customer", {"C1": {"name": "华为技术有限公司"}})
    SourceRecord.objects.filter(domain="customer").update(is_deleted=True)
    with pytest.raises(NothingToTrain, match="no live customer source records"):
        model_train(domain="customer", actor="test")
    assert not MatchModel.objects.filter(domain="customer").exists()


@pytest.mark.parametrize("rows", [
    {"C1": {"name": "华为技术有限公司", "tax_id": "914403001922038216"}},
    {"C1": {"name": "华为技术有限公司", "tax_id": "914403001922038216"},
     "C2": {"name": "华为技术有限公司", "tax_id": "914403001922038216"}},
    {"C1": {"name": "Ørsted A/S"}, "C2": {"name": "Łukasiewicz Sp. z o.o."}, "C3": {"name": "Æbelø ApS"},
     "C4": {"name": "Ørsted A/S"}},
], ids=["one record", "two identical records", "names opening with a letter accents do not fold"])
def test_it_trains_and_matches_on_the_smallest_inputs(db, rows):
    upsert(system("crm"), "customer", rows)
    model = model_train(domain="customer", actor="test")
    assert 0 < model.report["prior"] < 1
    match_run(domain="customer", actor="test")
    assert_invariants()


@pytest.mark.parametrize("rows", [
    {"P1": {"name": "六角头螺栓 M6x20"}},
    {"P1": {"name": "x"}, "P2": {"name": "%%% 图号 DN RC GRM"}, "P3": {"name": "电阻 1206/0/Z", "spec": "R"}},
    {"P1": {"name": "电阻 1206 10K"}, "P2": {"name": "电阻 1206 10K"}},
], ids=["one record", "texts with nothing to read", "two identical records"])
def test_it_trains_and_matches_products_on_the_smallest_and_oddest_inputs(db, rows):
    """Every EM rule that finds no pairs, and a prior that cannot be refined, is a line of the
    training report, not a failure."""
    upsert(system("erp"), "product", rows)
    model = model_train(domain="product", actor="test")
    assert 0 < model.report["prior"] < 1
    assert all("trained" in rule or "error" in rule for rule in model.report["em"])
    match_run(domain="product", actor="test")
    assert_invariants()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def customers(db, trained):
    load_samples("customer", trust=DEMO_TRUST)
    match_model_store(domain="customer", trained=trained("customer"), change=Change(actor="test", reason="model"))


def killed_run(**fields) -> MatchRun:
    return MatchRun.objects.create(
        operation=uuid.uuid4(), domain="customer", model=active_model("customer"), actor="test",
        started_at=timezone.now(), host=socket.gethostname(), pid=dead_pid(), **fields,
    )


def test_a_killed_run_is_marked_interrupted_by_the_next_one_which_says_nothing_was_applied(customers):
    killed = killed_run()
    alive = killed_run()
    alive.pid = os.getpid()
    alive.save()
    result = match_run(domain="customer", actor="test")
    killed.refresh_from_db()
    assert killed.status == MatchRun.Status.INTERRUPTED and killed.finished_at is not None
    assert killed.error == MSG_INTERRUPTED.format(when=MSG_NOTHING_APPLIED)
    assert result.interrupted == [killed]
    assert MatchRun.objects.get(pk=alive.pk).status == MatchRun.Status.RUNNING  # its process lives
    assert result.run.status == MatchRun.Status.COMPLETED


def test_a_run_killed_after_its_commit_is_marked_interrupted_with_what_it_applied(customers):
    killed = killed_run()
    records = list(SourceRecord.objects.filter(domain="customer").values_list("pk", flat=True)[:2])
    golden_record_create(domain="customer", members=records, change=Change(actor="test", reason="run",
                                                                            operation=killed.operation))
    out = io.StringIO()
    call_command("match", "customer", "--no-progress", stdout=out)
    killed.refresh_from_db()
    assert killed.status == MatchRun.Status.INTERRUPTED
    assert "after its plan was applied" in killed.error and killed.counts["applied_golden_versions"] >= 1
    assert f"earlier run {killed.pk}: interrupted" in out.getvalue()


def stewarding(golden: GoldenRecord, n: int) -> None:
    golden_record_override_set(golden=GoldenRecord.objects.get(pk=golden.pk), attribute="city", value=f"城市{n}",
                               reason="steady stewarding", change=Change(actor="user:steward", reason="override"))


def test_a_run_applies_when_the_activity_meanwhile_touched_nothing_it_writes(customers):
    match_run(domain="customer", actor="test")
    elsewhere = GoldenRecord.objects.filter(domain="customer").order_by("pk").first()
    upsert(system("erp2"), "customer", {"HW": HUAWEI})
    upsert(system("crm2"), "customer", {"HW": HUAWEI})
    steps = []

    def during(stage: str) -> None:
        if stage == "planning golden records":  # after the run read the domain
            steps.append(stage)
            stewarding(elsewhere, len(steps))

    result = match_run(domain="customer", actor="test", on_progress=during)
    assert result.counts["attempts"] == 1 and steps == ["planning golden records"]
    assert GoldenRecord.objects.get(pk=elsewhere.pk).overrides["city"]["value"] == "城市1"
    assert SourceRecord.objects.filter(source_key="HW").values("golden_id").distinct().count() == 1
    assert_invariants()


@pytest.mark.django_db(transaction=True)
def test_a_run_finishes_under_steady_steward_activity_on_what_it_writes(trained):
    upsert(system("erp"), "customer", {"HW": HUAWEI, "JD": OTHER})
    upsert(system("crm"), "customer", {"HW": HUAWEI})
    match_model_store(domain="customer", trained=trained("customer"), change=Change(actor="test", reason="model"))
    apart = [golden_record_create(domain="customer", members=[r.pk], change=Change(actor="test", reason="apart"))
             for r in SourceRecord.objects.filter(source_key="HW")]
    planned, overridden, done, errors = threading.Event(), threading.Event(), threading.Event(), []

    def steward() -> None:  # an override every 0.4 s, and one right after each time the run reads
        n = 0
        try:
            while not done.is_set():
                planned.wait(timeout=0.4)
                planned.clear()
                n += 1
                stewarding(apart[0], n)
                overridden.set()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def during(stage: str) -> None:
        if stage == "planning golden records":
            overridden.clear()
            planned.set()
            overridden.wait(timeout=2)  # under the run's locks the steward waits: so does not the run

    thread = threading.Thread(target=steward)
    thread.start()
    try:
        result = match_run(domain="customer", actor="test", on_progress=during)
    finally:
        done.set()
        thread.join(timeout=60)
    assert errors == []
    assert result.run.status == MatchRun.Status.COMPLETED and result.counts["attempts"] == 3
    assert SourceRecord.objects.filter(source_key="HW").values("golden_id").distinct().count() == 1
    assert_invariants()
