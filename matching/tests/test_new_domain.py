"""A new domain is declarations only: a domain YAML in a folder of MDM_DOMAIN_DIRS and a
matching declaration found by the name it gives, and it is ingested, trained and matched
like the shipped ones, with no code of the project edited."""

from __future__ import annotations

import csv
import random

import pytest
from django.test import override_settings

from matching.declarations import get_declaration
from matching.ingest import file_ingest
from matching.runs import match_run
from matching.tests.factories import assert_invariants
from matching.training import model_train
from mdm.domains import all_domains, get_domain
from mdm.errors import DeclarationError
from mdm.history import Change
from mdm.models import GoldenRecord, SourceRecord
from mdm.services.systems import source_system_register

DOMAIN = """
name: location
label: Location
golden_id: {prefix: LOC, digits: 6}
attributes:
  name:     {type: text, required: true, label: Site name}
  address:  {type: address, label: Street address}
  city:     {type: text, label: City}
  postcode: {type: postcode, label: Postcode}
  phone:    {type: phone, label: Phone}
survivorship:
  default: [source_priority, most_frequent, most_recent]
matching:
  model: sites_matching.location
  auto_merge_probability: 0.95
  review_probability: 0.5
"""
DECLARATION = '''
from matching.declarations import (
    SOURCE_SYSTEM, Comparison, DomainModel, Exact, JaroWinkler, Level, Null,
)

NAME = Comparison("name", "site name", (
    Level("name missing", Null("name"), null=True),
    Level("name exact", Exact("name")),
    Level("name Jaro-Winkler >= 0.9", JaroWinkler("name", 0.9)),
    Level("names differ", None),
), ordered=True)
POSTCODE = Comparison("postcode", "postcode", (
    Level("postcode missing", Null("postcode"), null=True),
    Level("postcode exact", Exact("postcode")),
    Level("postcodes differ", None),
))
PHONE = Comparison("phone", "phone", (
    Level("phone missing", Null("phone"), null=True),
    Level("phone exact", Exact("phone")),
    Level("phones differ", None),
))
MODEL = DomainModel(
    domain="location",
    version=1,
    comparisons=(NAME, POSTCODE, PHONE, SOURCE_SYSTEM),
    blocking={"postcode": ("postcode",), "phone": ("phone",), "name": ("name",)},
    em_blocking=(("postcode",), ("name",)),
    deterministic=(("phone",),),
    deterministic_recall=0.7,
    features="attributes",
)
'''
PROFILE = """
domain: location
key: site_id
fields: {name: site_name, address: street, city: city, postcode: zip, phone: tel}
"""
CITIES = ["上海", "苏州", "杭州", "宁波", "无锡", "南京"]


def _sites(rng: random.Random) -> list[dict[str, str]]:
    sites = []
    for n in range(150):
        city = rng.choice(CITIES)
        sites.append({
            "entity": str(n),
            "site_name": f"{city}{rng.choice(['一号', '二号', '三号', '中心', '北区', '南区'])}仓库{n:03d}",
            "street": f"{rng.choice(['工业', '物流', '园区', '滨江'])}路{rng.randint(1, 999)}号",
            "city": city,
            "zip": f"{rng.randint(200000, 319999)}",
            "tel": f"021-{rng.randint(50000000, 69999999)}",
        })
    return sites


def _write(path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["site_id", "site_name", "street", "city", "zip", "tel"])
        writer.writeheader()
        writer.writerows({k: v for k, v in row.items() if k != "entity"} for row in rows)


@pytest.fixture
def location(tmp_path, monkeypatch):
    """The location domain declared in a temporary folder, its matching declaration in a
    temporary package on the path."""
    (tmp_path / "domains").mkdir()
    (tmp_path / "domains" / "location.yaml").write_text(DOMAIN, encoding="utf-8")
    package = tmp_path / "code" / "sites_matching"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "location.py").write_text(DECLARATION, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    all_domains.cache_clear()
    with override_settings(MDM_DOMAIN_DIRS=[tmp_path / "domains"]):
        yield tmp_path
    all_domains.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_domain_declared_in_its_own_folder_is_ingested_trained_and_matched(location):
    assert "location" in all_domains() and get_domain("location").golden_id.prefix == "LOC"
    rng = random.Random(5)
    sites = _sites(rng)
    wms_rows = [{**s, "site_id": f"W{s['entity']}"} for s in sites]
    duplicated = rng.sample(sites, 60)  # the ERP holds 60 of them again, written its own way
    erp_rows = [{**s, "site_id": f"E{s['entity']}", "site_name": s["site_name"].replace("仓库", "仓"),
                 "street": s["street"] + " "} for s in duplicated]
    profile = location / "sites.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    change = Change(actor="test", reason="setup")
    for code, rows in (("wms", wms_rows), ("erp", erp_rows)):
        source_system_register(code=code, name=code.upper(), change=change)
        _write(location / f"{code}.csv", rows)
        result = file_ingest(path=location / f"{code}.csv", system_code=code, profile_name=str(profile))
        assert (result.run.status, result.run.rejected) == ("completed", 0)

    model = model_train(domain="location", actor="test")
    result = match_run(domain="location", actor="test")

    assert model.report["records"] == 210 and result.counts["golden_records"] <= 160
    golden_of = dict(SourceRecord.objects.filter(domain="location").values_list("source_key", "golden__golden_id"))
    together = sum(golden_of[f"W{s['entity']}"] == golden_of[f"E{s['entity']}"] for s in duplicated)
    assert together >= 55  # same phone and postcode, a similar name
    apart = {golden_of[f"W{s['entity']}"] for s in sites}
    assert len(apart) == len(sites)  # no two sites were merged
    assert all(g.startswith("LOC-") for g in GoldenRecord.objects.values_list("golden_id", flat=True))
    assert_invariants()


def test_a_domain_naming_a_declaration_that_does_not_exist_is_refused(location):
    text = DOMAIN.replace("sites_matching.location", "sites_matching.nowhere")
    (location / "domains" / "location.yaml").write_text(text, encoding="utf-8")
    all_domains.cache_clear()
    with pytest.raises(DeclarationError, match="no matching declaration 'sites_matching.nowhere'"):
        get_declaration("location")
