"""The change feed published to a message broker (RabbitMQ), in order and resumable.

    relay_publish(publisher, name="rabbitmq")   # everything after the relay's position

Events go to a topic exchange with the routing key `<domain>.<kind>` (e.g.
`customer.golden.merged`), persistent, with `message_id` the event's sequence (a consumer
de-duplicates by it) and the JSON body the API's change feed serves (sensitive attributes
masked unless the relay is told otherwise). The channel is in confirm mode: the relay's
position (RelayPosition) moves on only after the broker confirmed a batch, so a relay
stopped at any point starts again where it was and misses nothing (at least once: a batch
published but not yet recorded is published again).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

import pika
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from api.events import event_json
from api.models import RelayPosition
from mdm.domains import all_domains
from mdm.models import ChangeEvent
from mdm.selectors import change_events

BATCH = 500
EXCHANGE = "mdm.changes"


class Publisher(Protocol):
    def publish(self, routing_key: str, body: bytes, message_id: str) -> None: ...


class RabbitPublisher:
    """A confirmed channel to a topic exchange (declared durable if missing)."""

    def __init__(self, url: str, exchange: str = EXCHANGE):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
        self.exchange = exchange

    def publish(self, routing_key: str, body: bytes, message_id: str) -> None:
        # with confirms on, basic_publish returns once the broker took the message (raises otherwise)
        self.channel.basic_publish(
            exchange=self.exchange, routing_key=routing_key, body=body, mandatory=False,
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=message_id),
        )

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


def _masks(unmasked: bool) -> Callable[[str], frozenset[str]]:
    sensitive = {name: frozenset(a for a, attr in domain.attributes.items() if attr.sensitive)
                 for name, domain in all_domains().items()}
    return lambda domain: frozenset() if unmasked else sensitive.get(domain, frozenset())


def relay_publish(publisher: Publisher, *, name: str, unmasked: bool = False) -> int:
    """Publish the events after the relay's position, a confirmed batch at a time, moving
    the position after each. Returns how many were published."""
    masked = _masks(unmasked)
    published = 0
    while True:
        position = RelayPosition.objects.get_or_create(name=name, defaults={"updated_at": timezone.now()})[0]
        batch = list(change_events(after=position.last_sequence)[:BATCH])
        if not batch:
            return published
        for event in batch:
            body = json.dumps(event_json(event, masked(event.domain)), cls=DjangoJSONEncoder, ensure_ascii=False)
            publisher.publish(routing_key=f"{event.domain}.{event.kind}", body=body.encode(),
                              message_id=str(event.sequence))
        _advance(name, batch[-1])
        published += len(batch)


@transaction.atomic
def _advance(name: str, last: ChangeEvent) -> None:
    RelayPosition.objects.filter(name=name).update(last_sequence=last.sequence, updated_at=timezone.now())
