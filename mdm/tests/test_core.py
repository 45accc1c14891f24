import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from mdm import history
from mdm.domains import DOMAIN_DIR, _load
from mdm.errors import DeclarationError, GoldenRecordNotFound, InternalError, UnknownDomain
from mdm.models import GoldenRecord, SourceSystem
from mdm.selectors import golden_record_resolve
from mdm.services.plans import golden_ids_allocate
from mdm.services.systems import source_system_register


def test_golden_ids_follow_the_domain_coding_rule_and_are_never_reused(db):
    assert golden_ids_allocate(domain="customer", count=2) == ["CUST-0000001", "CUST-0000002"]
    assert golden_ids_allocate(domain="customer") == ["CUST-0000003"]
    assert golden_ids_allocate(domain="product", category="fast") == ["PROD-FAST-0000001"]
    assert golden_ids_allocate(domain="product", category="ELEC") == ["PROD-ELEC-0000001"]
    with pytest.raises(UnknownDomain, match="unknown domain 'animal'"):
        golden_ids_allocate(domain="animal")


def test_a_domain_declaration_with_limits_below_one_is_refused(tmp_path):
    text = (DOMAIN_DIR / "customer.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "customer.yaml"
    bad.write_text(text.replace("max_candidates: 300", "max_candidates: 0")
                   .replace("held_per_cluster: 50", "held_per_cluster: -1"), encoding="utf-8")

    with pytest.raises(DeclarationError, match="must be positive: held_per_cluster, max_candidates"):
        _load(bad)
    assert _load(DOMAIN_DIR / "customer.yaml").matching.max_candidates == 300


@pytest.mark.parametrize(("line", "message"), [
    ("proposal_share: 1.5", "proposal_share is a share of golden records"),
    ("review_floor_probability: 0", "review_floor_probability is a probability"),
    ("proposal_minimum: -1", "proposal_minimum is a number of proposals"),
])
def test_a_domain_declaration_with_a_review_budget_out_of_range_is_refused(tmp_path, line, message):
    text = (DOMAIN_DIR / "customer.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "customer.yaml"
    bad.write_text(text.replace("  review_probability: 0.5\n", f"  review_probability: 0.5\n  {line}\n"),
                   encoding="utf-8")
    with pytest.raises(DeclarationError, match=message):
        _load(bad)
    defaults = _load(DOMAIN_DIR / "customer.yaml").matching
    assert (defaults.proposal_share, defaults.proposal_minimum, defaults.review_floor_probability) == (0.025, 20, 0.05)


def _golden(golden_id, change, **kwargs):
    now = timezone.now()
    record = GoldenRecord(golden_id=golden_id, domain="customer", created_at=now, updated_at=now, **kwargs)
    history.stamp(record, change).save()
    return record


def test_a_retired_golden_id_resolves_through_its_chain_to_the_active_record(db, change):
    survivor = _golden("CUST-0000003", change)
    middle = _golden("CUST-0000002", change, status="retired", successor=survivor)
    _golden("CUST-0000001", change, status="retired", successor=middle)

    assert golden_record_resolve("CUST-0000001") == survivor
    assert golden_record_resolve("CUST-0000003") == survivor
    with pytest.raises(GoldenRecordNotFound):
        golden_record_resolve("CUST-9999999")


def test_a_retired_record_must_name_its_successor(db, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        _golden("CUST-0000001", change, status="retired")


def test_a_save_without_a_change_is_refused_rather_than_writing_anonymous_history(db):
    with pytest.raises(InternalError, match="saved without a Change"):
        SourceSystem.objects.create(code="x", name="X")


def test_registering_a_system_twice_with_the_same_values_writes_no_history(db, change):
    source_system_register(code="erp", name="SAP", change=change)
    source_system_register(code="erp", name="SAP", change=change)
    system = source_system_register(
        code="erp", name="SAP", trust={"customer": {"tax_id": 1, "*": 5}}, change=change
    )

    assert system.history.count() == 2
    assert system.trust_rank("customer", "tax_id") == 1
    assert system.trust_rank("customer", "email") == 5
    assert system.trust_rank("product", "name") == 100
