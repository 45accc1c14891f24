"""Sequence numbers become visible in order, so a feed reader never skips an event."""

import threading
import time

import pytest
from django.db import connection, transaction

from mdm.history import Change
from mdm.models import ChangeEvent
from mdm.services.records import source_records_upsert
from mdm.services.systems import source_system_register
from mdm.tests.factories import incoming


@pytest.mark.django_db(transaction=True)
def test_a_later_writer_waits_for_the_earlier_one_and_gets_higher_sequences():
    change = Change(actor="test", reason="test")
    first = source_system_register(code="first", name="first", change=change)
    second = source_system_register(code="second", name="second", change=change)
    holding = threading.Event()
    order = []

    def slow_writer():
        with transaction.atomic():
            source_records_upsert(domain="customer", system=first, records=[incoming("customer", "a", name="a")],
                                  change=change)
            holding.set()
            time.sleep(1.0)  # a reader polling now must not see the other writer's events
            order.append("first committed")
        connection.close()

    def fast_writer():
        holding.wait()
        source_records_upsert(domain="customer", system=second, records=[incoming("customer", "b", name="b")],
                              change=change)
        order.append("second committed")
        connection.close()

    threads = [threading.Thread(target=slow_writer), threading.Thread(target=fast_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert order == ["first committed", "second committed"]
    sequences = dict(ChangeEvent.objects.values_list("system_code", "sequence"))
    assert sequences["first"] < sequences["second"]
