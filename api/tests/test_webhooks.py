"""Webhooks out: subscriptions through the API, delivery from the change feed to a real
receiver on loopback, HMAC-SHA256 signatures, retries with backoff, every attempt logged,
per-golden-record order."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from django.utils import timezone

from api.models import WebhookDelivery
from api.tests.receiver import receiver
from api.webhooks import webhook_deliver_due
from mdm.history import Change
from mdm.services.golden_records import golden_record_create, golden_record_merge
from mdm.tests.factories import HUAWEI, OTHER, upsert

STEWARD = Change(actor="user:steward", reason="same company")


def _subscribe(client, url, **body):
    reply = client.post("/api/v1/webhooks", {"url": url, **body}, format="json")
    assert reply.status_code == 201, reply.json()
    return reply.json()


def _merge_history(principals):
    crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI, "C2": OTHER})
    erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})
    a = golden_record_create(domain="customer", members=[crm["C1"].pk], change=STEWARD)
    b = golden_record_create(domain="customer", members=[erp["E1"].pk], change=STEWARD)
    golden_record_merge(survivor=a, retired=[b], change=STEWARD)
    return a, b


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(secret.encode(), headers["x-mdm-timestamp"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["x-mdm-signature"], "sha256=" + expected.hexdigest())


def test_it_delivers_signed_events_of_the_subscribed_kinds(principals):
    with receiver() as hook:
        sub = _subscribe(principals["crm"], hook.url, kinds=["golden.merged", "golden.retired"])
        survivor, retired = _merge_history(principals)
        assert webhook_deliver_due() == 2
        events = hook.events()
        assert [e["kind"] for e in events] == ["golden.merged", "golden.retired"]
        assert events[1]["golden_id"] == retired.golden_id
        assert events[1]["payload"] == {"status": "retired", "successor": survivor.golden_id}
        assert events[0]["payload"]["attributes"]["tax_id"] == "***"  # the system holds no sensitive grant
        for headers, body in hook.received:
            assert _verify(sub["secret"], headers, body)
            assert headers["x-mdm-event-id"] == str(json.loads(body)["sequence"])
        assert not _verify("another secret", *hook.received[0])
        assert webhook_deliver_due() == 0  # delivered: never sent again


def test_it_retries_with_backoff_logs_every_attempt_and_keeps_order_per_golden_record(principals, settings):
    settings.MDM_WEBHOOK_BACKOFF_SECONDS = 60
    with receiver() as hook:
        sub = _subscribe(principals["crm"], hook.url, kinds=["golden.merged", "golden.retired"])
        _merge_history(principals)
        hook.statuses = [500]
        assert webhook_deliver_due() == 2  # the merged event fails; the retired one is another golden record
        first = WebhookDelivery.objects.order_by("sequence").first()
        assert first.status == "pending" and first.attempts == 1
        delay = first.next_attempt_at - timezone.now()
        assert timedelta(seconds=55) < delay <= timedelta(seconds=60)
        assert webhook_deliver_due() == 0  # not due yet
        WebhookDelivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
        hook.statuses = [503]
        assert webhook_deliver_due() == 1
        first.refresh_from_db()
        assert first.attempts == 2 and first.next_attempt_at - timezone.now() > timedelta(seconds=115)  # doubled
        WebhookDelivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
        assert webhook_deliver_due() == 1
        log = principals["crm"].get(f"/api/v1/webhooks/{sub['id']}/deliveries").json()["deliveries"]
        merged = next(d for d in log if d["sequence"] == first.sequence)
        assert merged["status"] == "delivered"
        assert [a["status_code"] for a in merged["attempt_log"]] == [500, 503, 200]
        assert principals["erp"].get(f"/api/v1/webhooks/{sub['id']}/deliveries").status_code == 404


def test_it_holds_later_events_of_a_golden_record_behind_a_pending_one(principals):
    with receiver() as hook:
        _subscribe(principals["crm"], hook.url, kinds=["golden.created", "golden.merged"])
        crm = upsert(principals.systems["crm"], "customer", {"C1": HUAWEI})
        erp = upsert(principals.systems["erp"], "customer", {"E1": HUAWEI})
        a = golden_record_create(domain="customer", members=[crm["C1"].pk], change=STEWARD)
        b = golden_record_create(domain="customer", members=[erp["E1"].pk], change=STEWARD)
        golden_record_merge(survivor=a, retired=[b], change=STEWARD)
        hook.statuses = [500]  # a's creation fails; a's merge must wait for it
        webhook_deliver_due()
        assert [(e["kind"], e["golden_id"]) for e in hook.events()] == [
            ("golden.created", a.golden_id), ("golden.created", b.golden_id)]
        WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        webhook_deliver_due()
        webhook_deliver_due()
        kinds = [(e["kind"], e["golden_id"]) for e in hook.events()]
        assert kinds[2:] == [("golden.created", a.golden_id), ("golden.merged", a.golden_id)]


def test_it_gives_up_after_the_last_attempt(principals, settings):
    settings.MDM_WEBHOOK_MAX_ATTEMPTS = 2
    with receiver() as hook:
        _subscribe(principals["crm"], hook.url, kinds=["golden.merged"])
        _merge_history(principals)
        hook.statuses = [500, 500]
        webhook_deliver_due()
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        webhook_deliver_due()
        assert WebhookDelivery.objects.get().status == "failed"
        assert webhook_deliver_due() == 0


def test_it_refuses_subscriptions_from_people_and_bad_bodies(principals):
    assert principals["steward"].post("/api/v1/webhooks", {"url": "http://127.0.0.1:1/x"},
                                      format="json").status_code == 403
    bad = principals["crm"].post("/api/v1/webhooks", {"url": "not a url", "kinds": ["golden.exploded"]},
                                 format="json")
    assert bad.status_code == 400 and {"url", "kinds.0"} <= set(bad.json()["errors"])
    sub = _subscribe(principals["crm"], "http://127.0.0.1:1/x")
    assert "secret" not in principals["crm"].get(f"/api/v1/webhooks/{sub['id']}").json()
    assert principals["erp"].delete(f"/api/v1/webhooks/{sub['id']}").status_code == 404
    assert principals["auditor"].delete(f"/api/v1/webhooks/{sub['id']}").status_code == 403
    assert principals["crm"].delete(f"/api/v1/webhooks/{sub['id']}").json()["is_active"] is False
