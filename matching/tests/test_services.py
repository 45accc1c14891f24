"""Match runs on a real database: stable golden IDs across re-runs and data changes, merges
and splits by runs, rulings that no run undoes, no-op re-runs, dry runs that write nothing."""

from __future__ import annotations

import io
import tempfile
from itertools import combinations
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from fixtures.generate import write_samples
from matching import clustering
from matching.runs import match_run, score
from matching.scoring import probability_weight
from matching.scoring import scorer as compiled_scorer
from matching.selectors import active_model, fingerprint, read_domain, trained_model
from matching.tests.factories import DEMO_TRUST, assert_invariants
from matching.training import match_model_store, model_train
from mdm.components import Components
from mdm.content import content_hash
from mdm.domains import get_domain
from mdm.errors import NoTrainedModel
from mdm.history import Change
from mdm.ingest.run import import_file
from mdm.models import ChangeEvent, GoldenRecord, MatchModel, MatchRun, MergeProposal, PairConstraint, SourceRecord
from mdm.selectors import golden_record_resolve
from mdm.services.decisions import proposal_decide
from mdm.services.records import IncomingRecord, source_records_upsert
from mdm.services.systems import source_system_register
from mdm.tests.factories import HUAWEI, OTHER, groups, load_samples, system, upsert, writes, xref


def run(**kwargs) -> MatchRun:
    return match_run(domain=kwargs.pop("domain", "customer"), actor="test", **kwargs)


@pytest.fixture
def model(db, trained):
    def store(domain: str = "customer") -> MatchModel:
        return match_model_store(domain=domain, trained=trained(domain), change=Change(actor="test", reason="model"))

    return store


@pytest.fixture
def customers(db, model):
    load_samples("customer", trust=DEMO_TRUST)
    model("customer")


def modify(record: SourceRecord, **values) -> None:
    """A new version of a record from its source, with some attributes changed."""
    attributes = {k: v for k, v in record.attributes.items() if k.split("__")[0] not in values}
    standardized, _ = get_domain(record.domain).standardize(
        {"name": record.attributes["name"], **values}, phone_region="CN"
    )
    attributes.update({k: v for k, v in standardized.items() if k.split("__")[0] in values})
    raw = {**record.raw, "_changed": values}
    source_records_upsert(
        domain=record.domain,
        system=record.system,
        change=Change.by_system(record.system.code, "test change"),
        records=[
            IncomingRecord(
                source_key=record.source_key,
                profile=record.profile,
                raw=raw,
                content_hash=content_hash(record.profile, raw, False),
                attributes=attributes,
            )
        ],
    )


def test_it_trains_a_versioned_model_and_keeps_one_active(db, trained):
    load_samples("customer", trust=DEMO_TRUST)

    first = model_train(domain="customer", actor="test")
    call_command("train", "customer", "--upper", "9.5", "--lower", "-2", "--no-progress", stdout=(out := io.StringIO()))

    second = MatchModel.objects.get(domain="customer", is_active=True)
    first.refresh_from_db()
    assert (first.version, first.is_active, second.version) == (1, False, 2)
    assert first.thresholds == {"upper": pytest.approx(probability_weight(0.99), abs=1e-3), "lower": 0.0}
    assert second.thresholds == {"upper": 9.5, "lower": -2.0}
    assert first.report["records"] == SourceRecord.objects.filter(domain="customer", is_deleted=False).count()
    restored = trained_model(first)
    assert (
        restored.parameters == first.artifact["parameters"]
        and restored.thresholds["match"] == first.thresholds["upper"]
    )
    assert "customer model v2 (active)" in out.getvalue() and "auto-merge at weight >= +9.50" in out.getvalue()


def test_approved_pairs_become_labels_for_the_next_training(customers):
    run()
    pending = MergeProposal.objects.filter(status="pending").order_by("-weight")[:2]
    for proposal in pending:
        proposal_decide(
            proposal=proposal,
            decision="approve",
            reason="same company",
            change=Change(actor="user:steward", reason="review"),
        )
    labels = PairConstraint.objects.filter(kind="must_link").count()

    model = model_train(domain="customer", actor="test")

    assert model.labels == labels >= 2 and model.report["labels"] == labels
    assert (
        model.artifact["parameters"]
        != model_train(domain="customer", actor="test", use_labels=False).artifact["parameters"]
    )
    run()
    assert_invariants()


def test_match_refuses_to_run_without_a_trained_model(db):
    with pytest.raises(NoTrainedModel, match="run `python manage.py train customer` first"):
        run()


def test_a_dry_run_reports_what_a_run_would_do_and_writes_nothing(customers):
    before = (*writes(), MatchRun.objects.count(), GoldenRecord.objects.count())

    preview = run(dry_run=True)

    assert (*writes(), MatchRun.objects.count(), GoldenRecord.objects.count()) == before
    assert preview.run is None
    c = preview.counts
    assert c["golden_created"] == c["golden_records"] > 100
    assert c["xref_changed"] == c["records"]
    assert c["records_merged"] == c["records"] - c["golden_records"] > 100
    assert {"created", "xref", "proposals"} <= set(preview.samples)
    assert all(len(lines) <= 5 for lines in preview.samples.values())

    done = run()

    assert {k: v for k, v in done.counts.items() if k not in ("events", "attempts")} == c
    assert GoldenRecord.objects.count() == c["golden_records"]


def test_a_run_puts_every_live_record_in_one_active_golden_record_with_history_and_events(customers):
    result = run()

    assert_invariants()
    match = result.run
    assert (match.status, match.model.version, match.thresholds["upper"]) == ("completed", 1, pytest.approx(6.6294))
    assert match.counts["golden_records"] == GoldenRecord.objects.filter(status="active").count()
    assert set(match.timings) >= {"read", "predict", "cluster", "plan", "write"}
    goldens = GoldenRecord.history.filter(history_operation=match.operation)
    assert goldens.count() == GoldenRecord.objects.count()
    assert {(h.history_type, h.history_actor) for h in goldens} == {("+", "test")}
    moved = SourceRecord.history.filter(history_operation=match.operation)
    assert moved.count() == match.counts["records"]
    assert all(h.history_change_reason == "match run of customer (model v1)" for h in moved)
    events = ChangeEvent.objects.filter(operation=match.operation)
    assert events.filter(kind="golden.created").count() == match.counts["golden_records"]
    assert events.filter(kind="golden.remapped").count() == match.counts["records"]
    assert not events.filter(golden_id="").exists() and not events.filter(golden_version=None).exists()
    assert set(events.values_list("domain", "actor")) == {("customer", "test")}
    assert events.filter(created_at__gte=match.started_at).count() == events.count()
    remapped = events.filter(kind="golden.remapped").first()
    assert remapped.payload == {"previous": None} and remapped.system_code and remapped.source_key
    created = GoldenRecord.objects.filter(status="active").first()
    assert created.lineage and all("record" in entry for entry in created.lineage.values())
    record = SourceRecord.objects.filter(domain="customer", is_deleted=False).first()
    assert record.version == record.history.count()  # the cross-reference is a new version


def test_rerunning_on_unchanged_data_changes_nothing(customers):
    # trained on the stored records, as the retraining below: the same input, the same model
    # (the fixture's model was trained on the sample rows, whose ids differ, and Splink's
    # sampling of random pairs depends on the ids)
    model_train(domain="customer", actor="test")
    first = run()
    before, versions = writes(), dict(GoldenRecord.objects.values_list("id", "version"))

    again = run()
    model_train(domain="customer", actor="test")  # a retrained model on the same data
    third = run()

    assert writes() == before
    assert dict(GoldenRecord.objects.values_list("id", "version")) == versions
    assert again.counts["golden_unchanged"] == again.counts["golden_records"]
    assert third.counts["xref_changed"] == 0 and third.counts.get("events") == 0
    # each run is compared with the one before (the MatchRun rows are the only writes)
    assert again.report["previous"]["run"] == first.run.pk and third.report["previous"]["run"] == again.run.pk
    assert again.report["deltas"]["match_rate"] == 0 and again.report["drift"] is None
    assert third.report["drift"]["to_version"] == 3 and again.alarms == third.alarms == []


def test_golden_ids_stay_put_after_a_small_change(customers, erp):
    run()
    before = xref()
    in_group = next(g for g, ids in groups().items() if len(ids) >= 3)
    record = SourceRecord.objects.filter(golden__golden_id=in_group).order_by("id").first()

    modify(record, industry="机械")  # not a matching attribute: survivorship only
    newcomer = upsert(
        erp,
        "customer",
        {
            "NEW-1": {
                "name": record.attributes["name"],
                "tax_id": record.attributes.get("tax_id"),
                "phone": record.attributes.get("phone"),
                "city": record.attributes.get("city"),
            }
        },
    )["NEW-1"]
    result = run()

    after = xref()
    assert {k: v for k, v in after.items() if k != newcomer.pk} == before
    assert after[newcomer.pk] == in_group  # the new duplicate joins the existing golden record
    assert result.counts["golden_created"] == 0 and result.counts["xref_changed"] == 1
    assert_invariants()


def test_golden_ids_stay_put_after_a_large_change(customers):
    # exclusive links off: this data change should split golden records, and exclusive
    # links keep together what a deletion leaves without a rival
    run(exclusive_links=False)
    before = groups()
    old_ids = set(GoldenRecord.objects.values_list("golden_id", flat=True))
    live = list(
        SourceRecord.objects.filter(domain="customer", is_deleted=False).order_by("id").select_related("system")
    )
    deleted = {r.pk for r in live[::5]}
    for record in live[::5]:  # a fifth of the records deleted at their source
        raw = {**record.raw, "_deleted": True}
        source_records_upsert(
            domain="customer",
            system=record.system,
            change=Change.by_system(record.system.code, "deleted"),
            records=[
                IncomingRecord(
                    source_key=record.source_key,
                    profile=record.profile,
                    raw=raw,
                    content_hash=content_hash(record.profile, raw, True),
                    attributes=record.attributes,
                    deleted=True,
                )
            ],
        )
    for record in live[1::5]:  # a fifth changed
        modify(record, industry="物流")
    # and one record of a golden record with three or more becomes another company altogether
    by_id = {r.pk: r for r in live}
    touched = deleted | {r.pk for r in live[1::5]}
    mover = next(sorted(ids)[-1] for ids in before.values() if len(ids) >= 3 and not ids & touched)
    modify(by_id[mover], name="星辰远航物流有限公司", tax_id="91110105MA01X2Y3Z4", phone="010-66668888",
           email="", address="", contact="")
    with tempfile.TemporaryDirectory() as tmp:  # and a whole second universe of new records
        write_samples(Path(tmp), seed=2)
        _load_as_new_systems(Path(tmp))

    result = run(exclusive_links=False)

    assert_invariants()
    after = groups()
    survivors = {g: ids - deleted for g, ids in before.items() if ids - deleted}
    unchanged = {g for g, ids in survivors.items() if ids in set(after.values())}
    assert len(unchanged) > 0.8 * len(survivors)
    for golden_id in unchanged:  # a golden record whose records are still together keeps its ID
        assert after.get(golden_id) == survivors[golden_id]
    for golden_id in old_ids:  # every old ID still resolves, to a record holding its records
        resolved = golden_record_resolve(golden_id)
        if golden_id in survivors:
            assert resolved.status == "active" and survivors[golden_id] & set(after[resolved.golden_id])
        else:
            assert resolved.status == "deleted"
    new_ids = set(after) - old_ids
    assert len(new_ids) == result.counts["golden_created"] + result.counts["golden_split_parts"]
    assert result.counts["golden_created"] > 100 and result.counts["golden_split"] > 0
    assert run(exclusive_links=False).counts["xref_changed"] == 0


def _load_as_new_systems(directory: Path) -> None:
    seen = set()
    for sample in yaml.safe_load((directory / "manifest.yaml").read_text(encoding="utf-8"))["samples"]:
        if sample["domain"] != "customer" or sample["profile"] in seen:
            continue
        seen.add(sample["profile"])
        code = f"{sample['system']}-b"
        source_system_register(code=code, name=code, change=Change(actor="test", reason="setup"))
        import_file(path=directory / sample["file"], system_code=code, profile_name=sample["profile"])


@pytest.fixture
def huawei(db, model, erp, crm):
    """Two records of one company, one of another; matched once."""
    model("customer")
    records = {**upsert(erp, "customer", {"A1": HUAWEI, "B1": OTHER}), **upsert(crm, "customer", {"A2": HUAWEI})}
    run()
    return records


def test_a_run_merges_two_golden_records_keeping_the_survivors_id(huawei, crm):
    a, b = huawei["A1"].pk, huawei["B1"].pk
    survivor, other = xref()[a], xref()[b]
    assert survivor != other

    modify(SourceRecord.objects.get(pk=b), **{k: v for k, v in HUAWEI.items() if k != "name"}, name=HUAWEI["name"])
    result = run()

    assert xref()[b] == survivor  # the golden record with more of the cluster's records survives
    retired = GoldenRecord.objects.get(golden_id=other)
    assert (retired.status, retired.successor.golden_id) == ("retired", survivor)
    assert golden_record_resolve(other).golden_id == survivor
    assert result.counts["golden_merged"] == 1
    events = ChangeEvent.objects.filter(operation=result.run.operation)
    merged = events.get(kind="golden.merged")
    assert (merged.golden_id, merged.payload["retired"]) == (survivor, [other])
    assert events.get(kind="golden.retired").payload == {"status": "retired", "successor": survivor}
    assert_invariants()


def test_a_run_splits_a_golden_record_keeping_the_id_for_the_larger_part(huawei, erp):
    extra = upsert(erp, "customer", {"A3": HUAWEI})["A3"]
    run()
    golden_id = xref()[extra.pk]
    assert {xref()[huawei["A1"].pk], xref()[huawei["A2"].pk]} == {golden_id}

    modify(
        extra,
        name="厦门星晟安电气有限公司",
        tax_id="91350200MA2XYZ1234",
        phone="0592-5556666",
        city="厦门",
        address="集美区学院路216号",
    )
    result = run()

    after = xref()
    assert after[huawei["A1"].pk] == after[huawei["A2"].pk] == golden_id
    assert after[extra.pk] != golden_id
    events = ChangeEvent.objects.filter(operation=result.run.operation)
    split = events.get(kind="golden.split")
    assert (split.golden_id, split.payload["split_into"]) == (golden_id, [after[extra.pk]])
    assert events.get(kind="golden.created", golden_id=after[extra.pk]).payload["split_from"] == golden_id
    assert_invariants()


def test_a_rejected_pair_is_never_merged_again_even_through_a_chain(db, model, erp, crm):
    model("customer")
    forms, mes = system("forms"), system("mes")
    records = {
        **upsert(erp, "customer", {"A": HUAWEI}),
        **upsert(crm, "customer", {"B": HUAWEI}),
        **upsert(forms, "customer", {"C": HUAWEI}),
    }
    a, b, c = (records[k].pk for k in "ABC")
    run(upper=100, lower=-100, exclusive_links=False)  # nothing merges: every pair becomes a proposal
    proposal = MergeProposal.objects.get(left_id=min(a, c), right_id=max(a, c))
    proposal_decide(
        proposal=proposal,
        decision="reject",
        reason="different legal entities",
        change=Change(actor="user:steward", reason="review"),
    )

    for step in range(3):
        if step == 1:  # a fourth record that matches all three strongly
            upsert(mes, "customer", {"D": HUAWEI})
        run()
        now = xref()
        assert now[a] != now[c]
        assert now[b] in (now[a], now[c])
        assert_invariants()
    assert MergeProposal.objects.get(pk=proposal.pk).status == "decided"
    assert not MergeProposal.objects.filter(status="pending").exists()


def test_deleted_records_leave_their_golden_record_and_an_empty_one_is_deleted(huawei, erp, crm):
    a1, a2 = huawei["A1"], huawei["A2"]
    golden = GoldenRecord.objects.get(golden_id=xref()[a1.pk])
    # no trust ranks: every rule ties, and the last tie-break (system code) picks crm's record
    assert {v["record"] for v in golden.lineage.values()} == {a2.pk}

    upsert(crm, "customer", {"A2": HUAWEI}, deleted=True)  # at once: no match run needed
    golden.refresh_from_db()
    assert SourceRecord.objects.get(pk=a2.pk).golden is None
    assert golden.status == "active" and {v["record"] for v in golden.lineage.values()} == {a1.pk}
    upsert(erp, "customer", {"A1": HUAWEI}, deleted=True)

    golden.refresh_from_db()
    assert (golden.status, golden.successor) == ("deleted", None)
    assert golden_record_resolve(golden.golden_id) == golden
    last = ChangeEvent.objects.filter(golden_id=golden.golden_id).last()
    assert (last.kind, last.payload["status"]) == ("golden.retired", "deleted")
    assert ChangeEvent.objects.filter(kind="golden.remapped", source_key="A1", golden_id="").exists()
    before = writes()
    run()
    assert writes() == before
    assert_invariants()


def test_the_commands_report_a_dry_run_and_a_run(customers):
    out = io.StringIO()
    call_command("match", "customer", "--dry-run", "--no-progress", stdout=out)
    assert "dry run, nothing written" in out.getvalue() and "new golden records (would)" in out.getvalue()
    assert MatchRun.objects.count() == 0

    out = io.StringIO()
    call_command("match", "customer", "--no-progress", "--lower", "2", stdout=out)
    assert "match customer (run" in out.getvalue() and "proposals >= +2.00" in out.getvalue()
    assert MatchRun.objects.get().thresholds["lower"] == 2.0


def test_a_trust_change_makes_a_planned_run_stale(db, erp):
    before = fingerprint("customer")
    source_system_register(
        code=erp.code, name=erp.name, trust={"customer": {"*": 1}}, change=Change(actor="t", reason="t")
    )

    assert fingerprint("customer") != before


def test_the_conflict_check_scores_every_pair_of_a_group_as_splink_would(customers, monkeypatch):
    """Inside each group auto-merges would form, every pair is scored on predict's own
    feature table; the same pairs scored from freshly computed features give the same
    conflicts. A group too large for that falls back to Splink's blocked pairs within it."""
    model = active_model("customer")
    trained, snapshot = trained_model(model), read_domain("customer")
    below = float(get_domain("customer").matching.conflict_below)
    scored = score(trained, snapshot, model.thresholds, below)

    groups = Components()
    for pair in scored.auto:
        groups.union(int(pair.left), int(pair.right))
    members: dict[int, list[int]] = {}
    for sid in list(groups.parent):
        members.setdefault(groups.find(sid), []).append(sid)
    rows = {int(r["unique_id"]): r for r in snapshot.rows}
    scorer = compiled_scorer(trained)
    conflicts = clustering.Conflicts.of(trained, below, model.thresholds["upper"])
    expected = sorted(
        (a, b)
        for ids in members.values() if len(ids) >= 3
        for a, b in combinations(sorted(ids), 2)
        if conflicts(*scorer.score(rows[a], rows[b]))
    )
    assert expected and scored.conflicts == expected
    assert scored.checked == sum(len(ids) * (len(ids) - 1) // 2 for ids in members.values() if len(ids) >= 3)

    monkeypatch.setattr(clustering, "CONFLICT_BATCH", 4)  # groups' rows a few at a time: the same result
    batched = score(trained, snapshot, model.thresholds, below)
    assert (batched.conflicts, batched.checked) == (scored.conflicts, scored.checked)

    monkeypatch.setattr(clustering, "GROUP_SCORE_LIMIT", 2)
    blocked_only = score(trained, snapshot, model.thresholds, below)
    assert blocked_only.conflicts and set(blocked_only.conflicts) <= set(expected)
    assert blocked_only.checked < scored.checked


def test_a_run_reports_how_many_true_pairs_its_review_proposals_likely_hold(customers):
    result = run()
    pending = MergeProposal.objects.filter(domain="customer", status="pending", kind=MergeProposal.Kind.REVIEW)
    assert pending.exists()
    assert result.counts["proposals_likely_true"] == pytest.approx(sum(p.probability for p in pending), abs=0.1)
