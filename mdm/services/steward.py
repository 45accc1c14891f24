"""What a steward does, as one function per action, for every face alike: the web app and the
API call these rather than the core's services below them, so the grant, the version seen
and the four-eyes rule hold in both. Each checks the user's grant (mdm.access), then calls
the core's service that writes history and change events. A
golden-record action names the version the steward saw; when the record changed since, it
is refused (StaleView). Approvals under the four-eyes rule (settings.MDM_FOUR_EYES) are
applied only when a second steward approves. The search before create of a new master data
request needs the matcher: matching.requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm.access import Action, require
from mdm.errors import Conflict, FourEyes, GoldenRecordNotFound, InvalidInput, MdmError, NotFound, StaleView
from mdm.history import Change
from mdm.models import CaseComment, CaseTask, GoldenRecord, MasterDataRequest, MergeProposal, SourceRecord
from mdm.selectors import Case, case_of
from mdm.services.decisions import (
    MSG_STALE,
    case_decide,
    decision_undo,
    decision_unmerge,
    golden_record_split_manually,
    golden_records_merge_manually,
)
from mdm.services.golden_records import golden_record_override_clear, golden_record_override_set
from mdm.services.locks import golden_domain_lock
from mdm.services.requests import (
    master_data_request_approve,
    master_data_request_link,
    master_data_request_reject,
)

MSG_CLAIMED = "this case is being worked on by {who}"
MSG_GOLDEN_STALE = "{golden_id} changed since you opened it (now version {version}): look again"
MSG_NO_SELECTION = "choose the source records to move"
MSG_NOT_MEMBERS = "not live members of {golden_id}: {records}"
MSG_FOUR_EYES_SIZE = "it would join {records} source records (more than {limit})"
MSG_FOUR_EYES_TAX = "its golden records have different tax ids"
MSG_SECOND = "you approved this case first: a second steward must approve it"


def change_by(user: AbstractBaseUser, what: str, reason: str) -> Change:
    """The history reason reads "what: why", so a timeline says both."""
    return Change.by_user(user, f"{what}: {reason}" if reason.strip() else what)


def _proposals(pks: Sequence[int]) -> tuple[str, list[int]]:
    rows = list(MergeProposal.objects.filter(pk__in=list(pks)).values_list("pk", "domain"))
    if not rows or len(rows) != len(set(pks)):
        raise NotFound("no such case")
    domains = {d for _, d in rows}
    if len(domains) != 1:
        raise InvalidInput("a case's proposals are of one domain")
    return domains.pop(), sorted(pk for pk, _ in rows)


# --- cases ---------------------------------------------------------------------------------


def four_eyes_reason(case: Case) -> str:
    """Why approving this case needs a second steward ("" when it does not): the domain's
    four-eyes rule (settings.MDM_FOUR_EYES) and a merge above its size, or of golden
    records with different tax ids."""
    limit = settings.MDM_FOUR_EYES.get(case.domain)
    if limit is None:
        return ""
    if case.records > limit:
        return MSG_FOUR_EYES_SIZE.format(records=case.records, limit=limit)
    tax_ids = {g.attributes.get("tax_id") for g in case.goldens} - {None, ""}
    return MSG_FOUR_EYES_TAX if len(tax_ids) > 1 else ""


def case_decide_as(*, user: AbstractBaseUser, proposals: Sequence[int], decision: str, reason: str, seen: str
                   ) -> list[MergeProposal]:
    """Approve or reject a case on the version the steward saw (mdm.services.decisions).
    An approval the four-eyes rule covers is recorded as the first one and applied only
    when a second steward approves too: returns [] until then."""
    domain, pks = _proposals(proposals)
    require(user, Action.DECIDE, domain)
    if decision == MergeProposal.Decision.APPROVE:
        with transaction.atomic():
            golden_domain_lock(domain)
            case = case_of(pks[0])
            if case.version != seen or sorted(p.pk for p in case.proposals) != pks:
                raise StaleView(MSG_STALE)
            needed = four_eyes_reason(case)
            if needed and not _second_approval(user, pks):
                return []
    what = f"{decision} case {pks[0]}"
    return case_decide(proposals=pks, decision=decision, reason=reason, seen=seen,
                       change=change_by(user, what, reason))


def _second_approval(user: AbstractBaseUser, pks: list[int]) -> bool:
    """True when another steward approved first; else this approval becomes the first
    (a conditional update: of two at once, one is first)."""
    for pk in pks:
        CaseTask.objects.get_or_create(proposal_id=pk)
    first = CaseTask.objects.filter(proposal_id=pks[0]).values_list("first_approved_by", flat=True).get()
    if first is None:
        CaseTask.objects.filter(proposal_id__in=pks, first_approved_by=None).update(
            first_approved_by=user, first_approved_at=timezone.now())
        return False
    if first == user.pk:
        raise FourEyes(MSG_SECOND)
    return True


def cases_decide_as(*, user: AbstractBaseUser, seen: dict[int, str], decision: str, reason: str
                    ) -> tuple[int, int, list[tuple[int, str]]]:
    """Decide several cases (by key, each with the version the steward saw), each on its
    own: returns how many were applied, how many wait for a second steward, and the
    refused ones with why."""
    done, waiting, failed = 0, 0, []
    for key, version in seen.items():
        try:
            case = case_of(key)
            if case_decide_as(user=user, proposals=[p.pk for p in case.proposals], decision=decision, reason=reason,
                              seen=version or case.version):
                done += 1
            else:
                waiting += 1
        except MdmError as exc:
            failed.append((key, exc.message))
    return done, waiting, failed


def _in_hand_lock(domain: str) -> None:
    """Claiming, deferring or commenting takes a case in hand, which a match run spares
    from its review budget: they wait for the domain's golden lock, which a run holds from
    reading the cases in hand to writing its proposals (runs._apply), so a case taken in
    hand meanwhile is not withdrawn under the steward."""
    golden_domain_lock(domain)


@transaction.atomic
def case_claim(*, user: AbstractBaseUser, proposals: Sequence[int], assignee: AbstractBaseUser | None = None
               ) -> None:
    """Claim a case (assignee None: for yourself, refused when another steward has it), or
    assign it to a steward of its domain. A conditional update: two stewards claiming at
    once, one wins."""
    domain, pks = _proposals(proposals)
    require(user, Action.DECIDE, domain)
    if assignee is not None:
        require(assignee, Action.DECIDE, domain)
    _in_hand_lock(domain)
    for pk in pks:
        CaseTask.objects.get_or_create(proposal_id=pk)
    tasks = CaseTask.objects.filter(proposal_id__in=pks)
    if assignee is None:
        taken = tasks.filter(Q(assignee=None) | Q(assignee=user)).update(assignee=user, updated_at=timezone.now())
        if taken != len(pks):
            holder = tasks.exclude(assignee=user).exclude(assignee=None).select_related("assignee").first()
            raise Conflict(MSG_CLAIMED.format(who=holder.assignee.get_username() if holder else "another steward"))
    else:
        tasks.update(assignee=assignee, updated_at=timezone.now())


@transaction.atomic
def case_release(*, user: AbstractBaseUser, proposals: Sequence[int]) -> None:
    domain, pks = _proposals(proposals)
    require(user, Action.DECIDE, domain)
    CaseTask.objects.filter(proposal_id__in=pks).update(assignee=None, updated_at=timezone.now())


@transaction.atomic
def case_defer(*, user: AbstractBaseUser, proposals: Sequence[int], days: int, reason: str) -> None:
    """Set a case aside for `days` (0: back in the queue now), with a comment saying why."""
    domain, pks = _proposals(proposals)
    require(user, Action.DECIDE, domain)
    if not 0 <= days <= 365:
        raise InvalidInput("defer for 0 to 365 days")
    _in_hand_lock(domain)
    until = timezone.now() + timedelta(days=days) if days else None
    for pk in pks:
        CaseTask.objects.update_or_create(proposal_id=pk, defaults={"deferred_until": until})
    if reason.strip():
        CaseComment.objects.create(proposal_id=pks[0], author=user, text=f"[defer {days}d] {reason.strip()}")


@transaction.atomic
def case_comment(*, user: AbstractBaseUser, proposals: Sequence[int], text: str) -> CaseComment:
    domain, pks = _proposals(proposals)
    require(user, Action.DECIDE, domain)
    if not text.strip():
        raise InvalidInput("a comment needs text")
    _in_hand_lock(domain)
    return CaseComment.objects.create(proposal_id=pks[0], author=user, text=text.strip())


# --- golden records --------------------------------------------------------------------------


def _seen(user: AbstractBaseUser, golden_id: str, version: int) -> GoldenRecord:
    """The golden record the steward acts on, locked, refused when it changed since seen.
    Call inside a transaction."""
    golden = GoldenRecord.objects.filter(golden_id=golden_id).first()
    if golden is None:
        raise GoldenRecordNotFound(f"no golden record {golden_id!r}")
    require(user, Action.DECIDE, golden.domain)
    golden_domain_lock(golden.domain)
    golden.refresh_from_db()
    if golden.version != version or golden.status != GoldenRecord.Status.ACTIVE:
        raise StaleView(MSG_GOLDEN_STALE.format(golden_id=golden_id, version=golden.version))
    return golden


@transaction.atomic
def golden_split_as(*, user: AbstractBaseUser, golden_id: str, version: int, moving: Sequence[int],
                    into: str = "", reason: str) -> GoldenRecord:
    """Move chosen members out: into a new golden record, or (`into`, a golden ID) into an
    existing one. Returns the golden record they are in now."""
    golden = _seen(user, golden_id, version)
    members = set(golden.members.filter(is_deleted=False).values_list("id", flat=True))
    part = sorted(set(moving))
    if not part:
        raise InvalidInput(MSG_NO_SELECTION)
    outside = sorted(set(part) - members)
    if outside:
        names = SourceRecord.objects.filter(pk__in=outside[:10]).order_by("pk").values_list("system__code",
                                                                                            "source_key")
        raise InvalidInput(MSG_NOT_MEMBERS.format(golden_id=golden_id, records=", ".join(
            f"{system}:{key}" for system, key in names) or f"{len(outside)} unknown records"))
    change = change_by(user, f"split {golden_id}", reason)
    parts = golden_record_split_manually(golden=golden, parts=[sorted(members - set(part)), part], reason=reason,
                                         change=change)
    moved = next(g for g in parts if set(g.members.values_list("id", flat=True)) >= set(part))
    if not into:
        return moved
    target = GoldenRecord.objects.filter(golden_id=into.strip()).first()
    if target is None:
        raise GoldenRecordNotFound(f"no golden record {into!r}")
    return golden_records_merge_manually(golden_records=[target, moved], reason=reason, change=change)


@transaction.atomic
def golden_merge_as(*, user: AbstractBaseUser, golden_id: str, version: int, other: str, reason: str
                    ) -> GoldenRecord:
    golden = _seen(user, golden_id, version)
    target = GoldenRecord.objects.filter(golden_id=other.strip()).first()
    if target is None:
        raise GoldenRecordNotFound(f"no golden record {other!r}")
    require(user, Action.DECIDE, target.domain)
    return golden_records_merge_manually(golden_records=[golden, target], reason=reason or "manual merge",
                                         change=change_by(user, f"merge {golden_id} and {other}", reason))


@transaction.atomic
def golden_override_as(*, user: AbstractBaseUser, golden_id: str, version: int, attribute: str, value: str,
                       reason: str) -> GoldenRecord:
    """Set an override (value given) or clear it (empty value)."""
    golden = _seen(user, golden_id, version)
    change = change_by(user, f"override {attribute}" if value.strip() else f"clear override {attribute}", reason)
    if value.strip():
        return golden_record_override_set(golden=golden, attribute=attribute, value=value, reason=reason,
                                          change=change)
    return golden_record_override_clear(golden=golden, attribute=attribute, change=change)


def unmerge_as(*, user: AbstractBaseUser, proposal: int, reason: str) -> list[GoldenRecord]:
    row = MergeProposal.objects.filter(pk=proposal).first()
    if row is None:
        raise NotFound(f"no proposal {proposal}")
    require(user, Action.DECIDE, row.domain)
    return decision_unmerge(proposal=row, reason=reason, change=change_by(user, f"unmerge proposal {proposal}", reason))


def undo_as(*, user: AbstractBaseUser, domain: str, reason: str) -> MergeProposal:
    require(user, Action.DECIDE, domain)
    return decision_undo(domain=domain, reason=reason, change=change_by(user, "undo my last decision", reason))


# --- new master data requests ------------------------------------------------------------------

def request_decide_as(*, user: AbstractBaseUser, request: MasterDataRequest, action: str, golden_id: str = "",
                      reason: str = "") -> MasterDataRequest:
    """approve (a new golden record), link (to `golden_id`), or reject (with a reason)."""
    require(user, Action.DECIDE, request.domain)
    change = change_by(user, f"{action} request {request.pk}", reason)
    if action == "approve":
        return master_data_request_approve(request=request, change=change)
    if action == "link":
        golden = GoldenRecord.objects.filter(golden_id=golden_id).first()
        if golden is None:
            raise GoldenRecordNotFound(f"no golden record {golden_id!r}")
        return master_data_request_link(request=request, golden=golden, reason=reason, change=change)
    if action == "reject":
        return master_data_request_reject(request=request, reason=reason, change=change)
    raise InvalidInput(f"unknown action {action!r}")
