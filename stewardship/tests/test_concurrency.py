"""Stewards acting at once on the same or overlapping cases, on PostgreSQL with real
connections: one wins, the others get a clear conflict, and no invariant breaks."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from mdm.errors import Conflict
from mdm.models import ChangeEvent, GoldenRecord, MergeProposal
from mdm.selectors import case_of, state_version
from mdm.services.locks import ALL_SYSTEMS, domain_write_lock
from mdm.services.steward import case_claim, case_comment, case_decide_as, case_defer
from mdm.tests.factories import assert_invariants, xref
from stewardship.tests.factories import cases, offer, users

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency: PostgreSQL"),
]


def race(calls: list) -> tuple[list, list[Exception]]:
    """Run the calls at the same moment, each in its own thread and connection."""
    start = threading.Barrier(len(calls))
    won, lost = [], []

    def run(call):
        try:
            start.wait()
            won.append(call())
        except Exception as exc:  # every outcome is asserted by the caller
            lost.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return won, lost


def test_it_applies_one_of_twenty_simultaneous_approvals_of_one_case():
    people = users()
    data = cases()
    case = case_of(data.proposal("erp:HW", "crm:HW").pk)
    pks = [p.pk for p in case.proposals]
    stewards = [people["wang"], people["li"]] * 10

    won, lost = race([
        (lambda user=user: case_decide_as(user=user, proposals=pks, decision="approve", reason="", seen=case.version))
        for user in stewards
    ])

    assert len(won) == 1 and len(lost) == 19
    assert all(isinstance(exc, Conflict) and exc.message for exc in lost)
    assert len({xref()[data.records[k]] for k in ("erp:HW", "crm:HW", "forms:HW")}) == 1
    merges = ChangeEvent.objects.filter(kind="golden.merged")
    assert len({e.operation for e in merges}) == 1  # one decision (its two proposals merge in turn)
    assert GoldenRecord.objects.filter(status="retired").count() == 2
    assert MergeProposal.objects.filter(status="decided").count() == 2
    assert_invariants()


def test_two_stewards_approving_overlapping_cases_one_wins():
    people = users()
    data = cases()
    jd = data.proposal("erp:JD", "crm:JD")
    before = case_of(jd.pk)  # steward wang opened the case: two golden records
    offer(data.records["crm:JD"], data.records["erp:XA"], 0.6)  # a new proposal joins the Xi'an case to it
    after = case_of(jd.pk)  # steward li opens it now: four golden records
    assert len(before.goldens) == 2 and len(after.goldens) == 4
    assert state_version(before.proposals, before.goldens) == before.version

    won, lost = race([
        lambda: case_decide_as(user=people["wang"], proposals=[p.pk for p in before.proposals], decision="approve",
                               reason="", seen=before.version),
        lambda: case_decide_as(user=people["li"], proposals=[p.pk for p in after.proposals], decision="approve",
                               reason="", seen=after.version),
    ])

    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict)
    assert "changed since you opened it" in lost[0].message or "no longer waiting" in lost[0].message
    assert xref()[data.records["erp:JD"]] == xref()[data.records["crm:JD"]]
    assert len({e.operation for e in ChangeEvent.objects.filter(kind="golden.merged")}) == 1
    assert_invariants()


@pytest.mark.parametrize("action", ["claim", "comment", "defer"])
def test_a_case_taken_in_hand_while_a_run_applies_waits_for_the_run(action):
    """A run spares, under the domain's locks, the cases a steward took in hand since it
    planned, and withdraws the others (runs._apply). Taking a case in hand must wait for
    those locks: else a claim made while the run applies is withdrawn under the steward."""
    people = users()
    data = cases()
    pks = [p.pk for p in case_of(data.proposal("erp:JD", "crm:JD").pk).proposals]
    take = {
        "claim": lambda: case_claim(user=people["wang"], proposals=pks),
        "comment": lambda: case_comment(user=people["wang"], proposals=pks, text="电话不一致"),
        "defer": lambda: case_defer(user=people["wang"], proposals=pks, days=3, reason="ask sales"),
    }[action]
    locked, times = threading.Event(), {}

    def run_applying():
        with transaction.atomic():
            domain_write_lock("customer", systems=ALL_SYSTEMS)
            locked.set()
            time.sleep(1.0)
            times["released"] = time.monotonic()

    def steward():
        locked.wait(10)
        take()
        times["taken"] = time.monotonic()

    won, lost = race([run_applying, steward])
    assert not lost and times["taken"] >= times["released"]
