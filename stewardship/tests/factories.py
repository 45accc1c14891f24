"""Test data for the steward pages: standing users and a small queue of cases."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from mdm.access import access_grant
from mdm.history import Change
from mdm.models import MergeProposal, SourceRecord
from mdm.services.golden_records import golden_record_create
from mdm.services.proposals import Candidate, proposal_offer
from mdm.tests.factories import HUAWEI, OTHER, system, upsert

PASSWORD = "steward-pass-1"
SETUP = Change(actor="test", reason="setup")
EVIDENCE = [
    {"comparison": "name", "level": "exact", "weight": 7.5},
    {"comparison": "tax_id", "level": "else", "weight": -2.0},
    {"comparison": "location", "level": "city", "weight": 1.2},
]
XIAN = {"name": "西安高新科技有限公司", "tax_id": "91610131MA6TXXXX1Q", "phone": "029-88886666", "city": "西安"}


def users() -> dict[str, object]:
    """A steward of customers, a steward of products, an auditor, an outsider (staff
    without a grant), each with PASSWORD."""
    model = get_user_model()
    out = {}
    for name, role, domains in [("wang", "steward", ["customer"]), ("li", "steward", ["customer"]),
                                ("zhao", "steward", ["product"]), ("auditor", "auditor", []),
                                ("outsider", None, [])]:
        user = model.objects.create_user(name, password=PASSWORD, is_staff=name == "outsider")
        if role:
            access_grant(user=user, role=role, domains=domains, change=SETUP)
        out[name] = model.objects.get(pk=user.pk)
    return out


@dataclass
class Cases:
    records: dict[str, int]  # name -> source record pk

    def proposal(self, a: str, b: str) -> MergeProposal:
        x, y = sorted((self.records[a], self.records[b]))
        return MergeProposal.objects.get(left_id=x, right_id=y)


def offer(a: int, b: int, probability: float, weight: float = 6.7) -> None:
    left, right = sorted((a, b))
    proposal_offer(domain="customer", candidate=Candidate(left=left, right=right, weight=weight,
                                                          probability=probability, evidence=EVIDENCE), change=SETUP)


def cases() -> Cases:
    """Customers, each record in its own golden record: Huawei at erp, crm and forms (one
    case of three golden records, two proposals), JD at erp and crm (a case), a Xi'an
    company at erp and crm (a case)."""
    erp, crm, forms = system("erp"), system("crm"), system("forms")
    upsert(erp, "customer", {"HW": HUAWEI, "JD": OTHER, "XA": XIAN})
    upsert(crm, "customer", {"HW": {**HUAWEI, "phone": "0755-28780000", "name": "华为技术有限公司 "},
                             "JD": OTHER, "XA": {**XIAN, "name": "西安高新科技公司"}})
    upsert(forms, "customer", {"HW": {"name": "华为技术", "city": "深圳"}})
    records = {f"{r.system.code}:{r.source_key}": r.pk
               for r in SourceRecord.objects.select_related("system").order_by("id")}
    for pk in records.values():
        golden_record_create(domain="customer", members=[pk], change=SETUP)
    offer(records["erp:HW"], records["crm:HW"], 0.93)
    offer(records["crm:HW"], records["forms:HW"], 0.55)
    offer(records["erp:JD"], records["crm:JD"], 0.7)
    offer(records["erp:XA"], records["crm:XA"], 0.62)
    return Cases(records=records)
