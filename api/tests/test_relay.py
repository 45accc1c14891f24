"""The broker relay against the real RabbitMQ on this machine: every event, in order,
once per position, resumable after a stop."""

from __future__ import annotations

import json
import uuid

import pika
import pytest

from api.models import RelayPosition
from api.relay import RabbitPublisher, relay_publish
from mdm.history import Change
from mdm.models import ChangeEvent
from mdm.services.golden_records import golden_record_create, golden_record_merge
from mdm.tests.factories import HUAWEI, OTHER, upsert

BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"
STEWARD = Change(actor="user:steward", reason="same company")


@pytest.fixture
def broker():
    """A fresh exchange and an exclusive queue bound to all of it, on the real broker."""
    exchange = f"mdm.test.{uuid.uuid4().hex[:8]}"
    publisher = RabbitPublisher(BROKER, exchange)
    consumer = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = consumer.channel()
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    channel.queue_bind(queue=queue, exchange=exchange, routing_key="#")

    def received() -> list[tuple[str, str, dict]]:
        out = []
        while True:
            method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
            if method is None:
                return out
            out.append((method.routing_key, properties.message_id, json.loads(body)))

    yield publisher, received
    channel.exchange_delete(exchange)
    consumer.close()
    publisher.close()


def test_it_publishes_the_feed_in_order_and_resumes_where_it_stopped(principals, broker):
    publisher, received = broker
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI, "C2": OTHER})
    a = golden_record_create(domain="customer", members=[crm["C1"].pk], change=STEWARD)
    b = golden_record_create(domain="customer", members=[crm["C2"].pk], change=STEWARD)
    assert relay_publish(publisher, name="test") >= 1
    golden_record_merge(survivor=a, retired=[b], change=STEWARD)
    relay_publish(publisher, name="test")
    messages = received()
    sequences = [int(message_id) for _, message_id, _ in messages]
    assert sequences == list(ChangeEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert RelayPosition.objects.get(name="test").last_sequence == sequences[-1]
    merged = next(body for key, _, body in messages if key == "customer.golden.merged")
    assert merged["golden_id"] == a.golden_id and merged["payload"]["retired"] == [b.golden_id]
    assert merged["payload"]["attributes"]["tax_id"] == "***"
    assert relay_publish(publisher, name="test") == 0 and received() == []  # nothing new, nothing sent
