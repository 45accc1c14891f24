"""Survivorship picks each attribute by its declared rules, with lineage; overrides win."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mdm import domains
from mdm.domains import get_domain
from mdm.errors import DeclarationError
from mdm.survivorship import Member, survive

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TRUST = {
    "erp": {"customer": {"tax_id": 1, "name": 1, "*": 3}},
    "crm": {"customer": {"email": 1, "phone": 1, "*": 5}},
}


def member(pk: int, system: str, *, profile: str = "test", received: int = 0, updated: int = 0, **attributes) -> Member:
    return Member(
        id=pk,
        system=system,
        key=f"K{pk}",
        profile=profile,
        attributes=attributes,
        received_at=T0 + timedelta(days=received),
        updated_at=T0 + timedelta(days=updated),
    )


def pick(members, overrides=None, domain="customer"):
    return survive(get_domain(domain), members, trust=TRUST, overrides=overrides)


def test_source_priority_follows_each_systems_trust_per_attribute():
    erp = member(1, "erp", tax_id="91A", email="erp@x.com", phone="+861", name="华为", name__core="华为")
    crm = member(2, "crm", tax_id="91B", email="crm@x.com", phone="+862", name="华为技术", name__core="华为技术")

    attributes, lineage = pick([erp, crm])

    assert (attributes["tax_id"], attributes["name"], attributes["name__core"]) == ("91A", "华为", "华为")
    assert (attributes["email"], attributes["phone"]) == ("crm@x.com", "+862")
    assert lineage["tax_id"] == {"record": 1, "system": "erp", "key": "K1", "field": "tax_id"}
    assert lineage["email"]["record"] == 2


def test_most_recent_uses_the_sources_change_date_then_the_receipt():
    old = member(1, "forms", contact="张三", changed_at="2023-01-01", updated=5)
    new = member(2, "mes", contact="李四", changed_at="2024-06-01", updated=1)
    undated = member(3, "web", contact="王五", updated=9)

    assert pick([old, new, undated])[0]["contact"] == "李四"
    assert (
        pick([member(1, "a", contact="甲", updated=1), member(2, "b", contact="乙", updated=2)])[0]["contact"] == "乙"
    )


def test_most_frequent_then_longest_then_a_stable_tie_break():
    values = [member(1, "a", city="深圳"), member(2, "b", city="深圳市"), member(3, "c", city="深圳")]
    assert pick(values)[0]["city"] == "深圳"  # default rules: priority (all equal), most frequent
    names = [member(1, "b", name="华为"), member(2, "a", name="华为技术有限公司")]
    assert pick(names)[0]["name"] == "华为技术有限公司"  # name: priority, frequency, longest
    tie = [member(1, "b", industry="电子"), member(2, "a", industry="机械")]
    assert pick(tie)[0]["industry"] == pick(list(reversed(tie)))[0]["industry"] == "机械"  # system "a" first


def test_first_non_empty_takes_the_record_received_first():
    later = member(1, "a", received=3, barcode="6901234567892")
    first = member(2, "b", received=1, barcode="4006381333931")
    empty = member(3, "c", received=0, barcode="")
    attributes, lineage = pick([later, first, empty], domain="product")
    assert (attributes["barcode"], lineage["barcode"]["record"]) == ("4006381333931", 2)


def test_an_override_wins_and_lineage_names_the_steward():
    overrides = {
        "phone": {
            "value": "+8675500000000",
            "parts": {"country": "CN"},
            "by": "user:ann",
            "at": "now",
            "reason": "called them",
        }
    }
    attributes, lineage = pick([member(1, "crm", phone="+862")], overrides=overrides)
    assert (attributes["phone"], attributes["phone__country"]) == ("+8675500000000", "CN")
    assert lineage["phone"] == {"override": True, "by": "user:ann", "at": "now", "reason": "called them"}


def test_lineage_names_the_source_field_the_profile_read():
    attributes, lineage = pick([member(1, "erp", profile="sap_kna1", name="华为", tax_id="91A")])
    assert lineage["name"]["field"] == "NAME1 + NAME2 + NAME3 + NAME4"
    assert lineage["tax_id"]["field"] == "STCD5 or STCEG or STCD1 or STCD2 or STCD3 or STCD4"


def test_rules_are_declarations_checked_when_read(tmp_path, monkeypatch):
    bad = (
        (domains.DOMAIN_DIR / "customer.yaml")
        .read_text(encoding="utf-8")
        .replace("tax_id:     [source_priority, most_frequent]", "tax_id:     [loudest]")
    )
    path = tmp_path / "customer.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DeclarationError, match="unknown rules"):
        domains._load(path)
