"""Reads for the steward pages: the queue of cases, a case side by side, a golden record
with its lineage, members and timeline, search, the dashboard. Each is limited to the
domains the user may view (mdm.access), and shows what the user's departments and
grants let them see (mdm.visibility): records of unseen systems are left out, sensitive
values masked."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from mdm.access import ALL, MASK, Action, can, domains
from mdm.domains import all_domains, get_domain
from mdm.errors import MdmError
from mdm.models import (
    CaseComment,
    CaseTask,
    GoldenRecord,
    MasterDataRequest,
    MatchRun,
    MergeProposal,
    PairConstraint,
    SourceRecord,
)
from mdm.selectors import Case, case_of, case_work, cases, golden_record_resolve
from mdm.services.golden_records import golden_records_merge_preview
from mdm.survivorship import profile_fields
from mdm.visibility import Viewer, text_matches

BANDS = {"high": (0.8, 1.01), "mid": (0.5, 0.8), "low": (0.0, 0.5)}  # by the case's strongest probability
SEARCH_LIMIT = 50


def stewards(domain: str) -> list[str]:
    """The user names who may decide in a domain (to assign a case to)."""
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return [u.get_username() for u in users if can(u, Action.DECIDE, domain)]


def viewable_domains(user: AbstractBaseUser) -> list[str]:
    allowed = domains(user, Action.VIEW)
    return [d for d in all_domains() if allowed is ALL or d in allowed]


def proposal(pk: int, viewer: Viewer) -> MergeProposal | None:
    found = (MergeProposal.objects.select_related("left__golden", "right__golden", "left__system", "right__system")
             .filter(pk=pk).first())
    return found if found is not None and viewer.sees_pair(found) else None


def golden(golden_id: str, viewer: Viewer) -> GoldenRecord | None:
    """The golden record of that ID, if the viewer sees it, or a retired one the viewer sees
    the record it resolves to of (else None: not found)."""
    found = GoldenRecord.objects.select_related("successor").filter(golden_id=golden_id).first()
    if found is None:
        return None
    now = golden_record_resolve(golden_id) if found.status == GoldenRecord.Status.RETIRED else found
    return found if viewer.sees_golden(now) else None


def case_visible(viewer: Viewer, case: Case) -> bool:
    """A case is seen when every record in it is (as the API's cases)."""
    return all(viewer.sees_system(r.system.code) for p in case.proposals for r in (p.left, p.right))


def case_key_visible(viewer: Viewer, key: int) -> bool:
    """Is case `key` one the viewer sees (open, or decided: its proposal)? A key that names
    nothing: yes, for whoever asks to hear that it names nothing."""
    try:
        return case_visible(viewer, case_of(key))
    except MdmError:
        found = MergeProposal.objects.select_related("left__system", "right__system").filter(pk=key).first()
        return found is None or viewer.sees_pair(found)


def master_data_request(pk: int) -> MasterDataRequest | None:
    return MasterDataRequest.objects.select_related("golden").filter(pk=pk).first()


# --- the queue -----------------------------------------------------------------------------


@dataclass
class QueueCase:
    case: Case
    assignee: str = ""
    deferred_until: Any = None
    systems: set[str] = field(default_factory=set)

    @property
    def band(self) -> str:
        return next(name for name, (low, high) in BANDS.items() if low <= self.case.probability < high)


@dataclass
class Queue:
    cases: list[QueueCase]
    counts: dict[str, int]  # open cases per viewable domain
    deferred: int = 0


def queue(user: AbstractBaseUser, *, domain: str = "", system: str = "", band: str = "", kind: str = "",
          assignee: str = "", status: str = "open") -> Queue:
    """Open cases (or deferred ones: status "deferred") of the viewable domains, highest
    priority first: the least certain, then the most source records affected, then the
    oldest. Filters: domain, a source system's code, score band, kind, assignee ("me",
    "none" or a user name)."""
    now = timezone.now()
    viewer = Viewer.of(user)
    counts: dict[str, int] = {}
    found: list[QueueCase] = []
    deferred = 0
    for name in viewable_domains(user):
        items = [_queue_case(c) for c in cases(domain=name) if case_visible(viewer, c)]
        tasks = {t.proposal_id: t for t in CaseTask.objects.filter(
            proposal_id__in=[p.pk for i in items for p in i.case.proposals]).select_related("assignee")}
        for item in items:
            task = next((tasks[p.pk] for p in item.case.proposals if p.pk in tasks), None)
            if task is not None:
                item.assignee = task.assignee.get_username() if task.assignee else ""
                item.deferred_until = task.deferred_until if task.deferred_until and task.deferred_until > now else None
        waiting = [i for i in items if i.deferred_until is None]
        counts[name] = len(waiting)
        deferred += len(items) - len(waiting)
        if not domain or domain == name:
            found += waiting if status != "deferred" else [i for i in items if i.deferred_until]
    me = user.get_username()
    found = [
        i for i in found
        if (not system or system in i.systems) and (not band or i.band == band) and (not kind or i.case.kind == kind)
        and (not assignee or i.assignee == {"me": me, "none": ""}.get(assignee, assignee))
    ]
    found.sort(key=lambda i: (-i.case.uncertainty, -i.case.records, i.case.oldest))
    return Queue(cases=found, counts=counts, deferred=deferred)


def superseded(user: AbstractBaseUser, *, domain: str = "", limit: int = 100) -> list[MergeProposal]:
    """Proposals a later run withdrew, newest first, each with the reason it gives (its
    pair left the review band, or its records are together already)."""
    allowed = [d for d in viewable_domains(user) if not domain or d == domain]
    query = Viewer.of(user).pairs(MergeProposal.objects.filter(domain__in=allowed,
                                                               status=MergeProposal.Status.SUPERSEDED))
    return list(query.select_related("left__system", "right__system", "run").order_by("-updated_at")[:limit])


def _queue_case(case: Case) -> QueueCase:
    systems = {r.system.code for p in case.proposals for r in (p.left, p.right)}
    return QueueCase(case=case, systems=systems)


# --- a case side by side ---------------------------------------------------------------------


@dataclass
class Cell:
    value: Any
    raw: Any
    differs: bool


@dataclass
class Row:
    name: str
    label: str
    cells: list[Cell]
    differs: bool


@dataclass
class Bar:
    """One step of the evidence waterfall (SVG coordinates precomputed)."""

    label: str
    level: str
    weight: float
    x: float
    width: float
    y: int
    positive: bool


@dataclass
class Waterfall:
    proposal: MergeProposal
    bars: list[Bar]
    zero: float
    total_x: float
    height: int


def _raw(record: SourceRecord, attribute: str) -> Any:
    """The value as the source sent it: the profile's field(s) in the raw payload."""
    source = profile_fields(record.profile).get(attribute, attribute) if record.profile != "test" else attribute
    values = [record.raw.get(f.strip()) for f in re.split(r"\+| or ", source)]
    values = [v for v in values if v not in (None, "")]
    return " ".join(str(v) for v in values) if values else None


def side_by_side(records: list[SourceRecord], viewer: Viewer) -> list[Row]:
    """Every attribute any record has, the records' standardized and raw values, and
    whether they differ (a cell differs from the first record that has a value). A masked
    attribute's cells are MASK, raw too; whether they differ is still shown (computed on
    the real values: a steward may see that two tax ids differ, not what they are)."""
    if not records:
        return []
    rows = []
    masked = viewer.masked(records[0].domain)
    for name, attribute in get_domain(records[0].domain).attributes.items():
        values = [r.attributes.get(name) for r in records]
        if all(v in (None, "") for v in values):
            continue
        first = next(v for v in values if v not in (None, ""))
        hide = name in masked
        cells = [Cell(value=MASK if hide and v not in (None, "") else v, raw=None if hide else _raw(r, name),
                      differs=v not in (None, "") and v != first)
                 for r, v in zip(records, values, strict=True)]
        present = {json.dumps(v, sort_keys=True, default=str) for v in values if v not in (None, "")}
        rows.append(Row(name=name, label=attribute.label, cells=cells, differs=len(present) > 1))
    return rows


def waterfall(proposal: MergeProposal, width: int = 560) -> Waterfall:
    """The match evidence as a waterfall: from the prior, each comparison's weight added,
    ending at the proposal's score."""
    steps = [(e["comparison"], e.get("level", ""), float(e["weight"])) for e in proposal.evidence]
    prior = proposal.weight - sum(step[2] for step in steps)
    points, running = [0.0, prior], prior
    for step in steps:
        running += step[2]
        points.append(running)
    low, high = min(points), max(points)
    scale = (width - 230) / ((high - low) or 1)  # room for the labels left and the total right

    def x(v: float) -> float:
        return round(150 + (v - low) * scale, 1)

    bars, running = [Bar("prior", "", prior, min(x(0), x(prior)), abs(x(prior) - x(0)), 0, prior >= 0)], prior
    for n, (label, level, w) in enumerate(steps, start=1):
        start, running = running, running + w
        bars.append(Bar(label, level, w, min(x(start), x(running)), max(abs(x(running) - x(start)), 1), n * 22,
                        w >= 0))
    return Waterfall(proposal=proposal, bars=bars, zero=x(0), total_x=x(running), height=(len(steps) + 2) * 22)


@dataclass
class CaseView:
    case: Case
    records: list[SourceRecord]
    rows: list[Row]
    waterfalls: list[Waterfall]
    preview: list[tuple[str, Any, str]]  # label, merged value, from where
    comments: list[CaseComment]
    task: CaseTask | None


def case_view(case: Case, viewer: Viewer) -> CaseView:
    records = list({r.pk: r for p in case.proposals for r in (p.left, p.right)}.values())
    records.sort(key=lambda r: (r.golden.golden_id if r.golden else "", r.pk))
    attributes, lineage = golden_records_merge_preview(case.goldens)
    declared = get_domain(case.domain).attributes
    shown = viewer.golden_attributes(case.domain, attributes, lineage)  # a member of an unseen system's: masked
    preview = []
    for name, spec in declared.items():
        if name not in attributes:
            continue
        source = lineage.get(name) or {}
        where = "override" if source.get("override") else (
            f"{source.get('system', '')} {source.get('key', '')} {source.get('field', '')}"
            if viewer.sees_system(source.get("system")) else "")
        preview.append((spec.label, shown[name], where))
    work = case_work(case, seen=viewer.pairs)
    return CaseView(
        case=case, records=records, rows=side_by_side(records, viewer),
        waterfalls=[waterfall(p) for p in case.proposals], preview=preview,
        comments=work.comments, task=work.task,
    )


# --- a golden record --------------------------------------------------------------------------


@dataclass
class Event:
    when: Any
    who: str
    what: str
    why: str


@dataclass
class GoldenView:
    golden: GoldenRecord
    name: str  # the surviving name as the viewer may see it
    values: list[Any]
    members: list[SourceRecord]
    rows: list[Row]
    proposals: list[MergeProposal]
    rulings: list[PairConstraint]
    timeline: list[Event]
    predecessors: list[GoldenRecord]


def _golden_events(golden: GoldenRecord) -> list[Event]:
    rows = list(golden.history.order_by("history_id").values(
        "history_date", "history_actor", "history_change_reason", "status", "version", "attributes", "overrides"))
    events, before = [], None
    for row in rows:
        if before is None:
            what = _("created")
        elif row["status"] != before["status"]:
            what = {"retired": _("retired (merged into another)"), "active": _("active again (unmerged)"),
                    "deleted": _("deleted at every source")}.get(row["status"], row["status"])
        elif row["overrides"] != before["overrides"]:
            what = _("override changed: ") + ", ".join(
                sorted(set(row["overrides"]) ^ set(before["overrides"]) | {
                    k for k in row["overrides"] if before["overrides"].get(k) != row["overrides"][k]}))
        else:
            changed = sorted(k for k in set(row["attributes"]) | set(before["attributes"])
                             if "__" not in k and row["attributes"].get(k) != before["attributes"].get(k))
            what = _("members changed") + (_("; values changed: ") + ", ".join(changed) if changed else "")
        events.append(Event(row["history_date"], row["history_actor"], f"v{row['version']} {what}",
                            row["history_change_reason"] or ""))
        before = row
    return events


def golden_view(golden: GoldenRecord, viewer: Viewer) -> GoldenView:
    """A golden record as `viewer` sees it: the members of visible systems, the values that
    came from them (sensitive ones masked), the proposals and rulings between visible
    records."""
    members = list(viewer.sources(golden.members.filter(is_deleted=False)).select_related("system").order_by("id"))
    rows = side_by_side(members, viewer)
    for member in members:  # for the page only, never saved
        member.attributes = viewer.record_attributes(member)
    ids = [m.pk for m in members]
    proposals = list(viewer.pairs(MergeProposal.objects.filter(Q(left_id__in=ids) | Q(right_id__in=ids)))
                     .select_related("left__system", "right__system", "left__golden", "right__golden")
                     .order_by("-updated_at")[:50])
    rulings = list(viewer.pairs(PairConstraint.objects.filter(Q(left_id__in=ids) | Q(right_id__in=ids)))
                   .select_related("left__system", "right__system").order_by("-created_at")[:50])
    timeline = _golden_events(golden)
    for p in MergeProposal.history.filter(id__in=[p.pk for p in proposals]).exclude(history_type="+").order_by(
            "history_id").values("history_date", "history_actor", "history_change_reason", "id", "status",
                                 "decision", "reversed_at"):
        if p["status"] == "decided" or p["reversed_at"]:
            done = _("reversed") if p["reversed_at"] else _("approved") if p["decision"] == "approve" else _("rejected")
            what = _("proposal %(pk)s %(done)s") % {"pk": p["id"], "done": done}
            timeline.append(Event(p["history_date"], p["history_actor"], what, p["history_change_reason"] or ""))
    timeline.sort(key=lambda e: e.when, reverse=True)
    values = viewer.golden_values(golden)
    return GoldenView(
        golden=golden, name=next((v.value for v in values if v.name == "name"), ""), values=values,
        members=members, rows=rows, proposals=proposals, rulings=rulings,
        timeline=timeline, predecessors=list(viewer.goldens(golden.predecessors.order_by("golden_id"))),
    )


# --- search ---------------------------------------------------------------------------------


@dataclass
class Found:
    """A search result: a golden record's values as the viewer may see them."""

    golden_id: str
    domain: str
    attributes: dict[str, Any]


def search(user: AbstractBaseUser, q: str) -> list[Found]:
    """Golden records whose ID, or any value of theirs or of a member (name, phone, tax id,
    address...), contains `q`; a phone is also found by its digits. Viewable domains and
    visible systems only; a record is never found by a value the user may not see (a
    masked tax id, a value from another department's system)."""
    q = q.strip()
    if not q:
        return []
    needles = {q, json.dumps(q)[1:-1]}  # JSON text may hold non-ASCII escaped (SQLite)
    digits = re.sub(r"\D", "", q).lstrip("0")
    if len(digits) >= 6:
        needles.add(digits)
    text = Q()
    for needle in needles:
        text |= Q(text__icontains=needle)
    allowed = viewable_domains(user)
    viewer = Viewer.of(user)
    active = GoldenRecord.objects.filter(domain__in=allowed, status=GoldenRecord.Status.ACTIVE)
    direct = viewer.goldens(active).annotate(text=Cast("attributes", TextField())).filter(
        text | Q(golden_id__iexact=q))
    via = viewer.sources(SourceRecord.objects.filter(domain__in=allowed, is_deleted=False)).annotate(
        text=Cast("raw", TextField())).filter(text | Q(source_key=q)).values("golden_id")
    found = GoldenRecord.objects.filter(Q(pk__in=direct.values("pk")) | Q(pk__in=via))
    out = []
    members = Prefetch("members", viewer.sources(SourceRecord.objects.filter(is_deleted=False)), to_attr="seen")
    for golden in (found.filter(status=GoldenRecord.Status.ACTIVE).order_by("golden_id")
                   .prefetch_related(members)[:SEARCH_LIMIT * 4]):
        if (viewer.limited or viewer.masked(golden.domain)) and not _seen_match(viewer, golden, q):
            continue
        out.append(Found(golden.golden_id, golden.domain,
                         viewer.golden_attributes(golden.domain, golden.attributes, golden.lineage)))
        if len(out) == SEARCH_LIMIT:
            break
    return out


def _seen_match(viewer: Viewer, golden: GoldenRecord, q: str) -> bool:
    """Does `q` match what the viewer sees of the golden record: its ID, its unmasked
    values, its visible members' keys, unmasked values and (when nothing is masked) raw
    payloads? The database's match is on everything; this one decides."""
    if golden.golden_id.casefold() == q.casefold():
        return True
    values = list(viewer.golden_attributes(golden.domain, golden.attributes, golden.lineage).values())
    for member in golden.seen:  # the live members of visible systems
        if member.source_key == q:
            return True
        values += viewer.record_attributes(member).values()
        if not viewer.masked(golden.domain):
            values += member.raw.values()
    return text_matches(values, q)


# --- the dashboard ----------------------------------------------------------------------------


@dataclass
class DomainFigures:
    domain: str
    label: str
    open_cases: int
    pending: int
    oldest: Any
    golden: int
    records: int
    last_run: MatchRun | None
    flags: list[tuple[str, str, int]]  # system, issue, count


def dashboard(user: AbstractBaseUser, counts: dict[str, int]) -> list[DomainFigures]:
    out = []
    viewer = Viewer.of(user)
    for name in viewable_domains(user):
        pending = viewer.pairs(MergeProposal.objects.filter(domain=name, status=MergeProposal.Status.PENDING))
        oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
        flags: dict[tuple[str, str], int] = {}
        issues = viewer.sources(SourceRecord.objects.filter(domain=name, is_deleted=False)).exclude(issues={})
        for code, found in issues.values_list("system__code", "issues").iterator():
            for attribute in found:
                flags[(code, attribute)] = flags.get((code, attribute), 0) + 1
        out.append(DomainFigures(
            domain=name, label=get_domain(name).label, open_cases=counts.get(name, 0), pending=pending.count(),
            oldest=oldest,
            golden=viewer.goldens(GoldenRecord.objects.filter(domain=name, status=GoldenRecord.Status.ACTIVE)).count(),
            records=viewer.sources(SourceRecord.objects.filter(domain=name, is_deleted=False)).count(),
            last_run=MatchRun.objects.filter(domain=name).order_by("-pk").first(),
            flags=sorted(((s, a, n) for (s, a), n in flags.items()), key=lambda f: -f[2])[:8],
        ))
    return out



def requests(user: AbstractBaseUser) -> list[MasterDataRequest]:
    """Pending requests of the viewable domains, newest first."""
    return list(MasterDataRequest.objects.filter(domain__in=viewable_domains(user),
                                                 status=MasterDataRequest.Status.PENDING)[:50])


@dataclass
class RequestView:
    rows: list[tuple[str, Any, Any, list[str]]]  # label, as requested, standardized, flags
    candidates: list[dict[str, Any]]  # the likely duplicates the viewer sees


def request_view(filed: MasterDataRequest, viewer: Viewer) -> RequestView:
    """A request's values (sensitive ones masked) and the duplicates found when it was
    filed, those of golden records the viewer does not see left out."""
    masked = viewer.masked(filed.domain)

    def shown(name: str, value: Any) -> Any:
        return MASK if name in masked and value not in (None, "") else value

    issues = viewer.issues(filed.domain, filed.issues)
    rows = [(a.label, shown(n, filed.values.get(n, "")), shown(n, filed.attributes.get(n, "")), issues.get(n, []))
            for n, a in get_domain(filed.domain).attributes.items() if n in filed.values or n in filed.attributes]
    ids = [c["golden_id"] for c in filed.candidates]
    seen = set(viewer.goldens(GoldenRecord.objects.filter(golden_id__in=ids)).values_list("golden_id", flat=True))
    return RequestView(rows=rows, candidates=[c for c in filed.candidates if c["golden_id"] in seen])
