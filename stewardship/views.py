"""The steward web app's pages: thin views over stewardship.selectors (reads) and the
steward services every face shares (mdm.services.steward, matching.requests: writes). Every
page asks mdm.access; an MdmError becomes a message on the page as it is now (a conflict:
409, with the refreshed view)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matching.describe import sample_title, summary_lines
from matching.requests import request_submit_as
from matching.runs import match_run
from mdm.access import Action, can, grants_summary, require
from mdm.domains import all_domains, get_domain
from mdm.errors import Forbidden, MdmError, NotFound
from mdm.models import GoldenRecord, MergeProposal
from mdm.selectors import case_of, golden_record_resolve
from mdm.services import steward
from mdm.visibility import Viewer
from stewardship import selectors
from stewardship.forms import ThrottledLoginForm

View = Callable[..., HttpResponse]


def steward_page(view: View) -> View:
    """Logged in (else the login page); Forbidden and NotFound answered as pages, never a
    traceback. A record the user's departments do not see is not found (404), like one
    that does not exist: a page never tells that it exists elsewhere."""

    @login_required(login_url="steward:login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (Forbidden, NotFound) as exc:
            return TemplateResponse(request, "stewardship/error.html", {"message": exc.message},
                                    status=exc.status)

    return wrapped


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


class LoginView(auth_views.LoginView):
    template_name = "stewardship/login.html"
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True


@steward_page
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Action.VIEW):
        raise Forbidden(_("You hold no steward or auditor grant yet: ask an administrator."))
    work = selectors.queue(request.user)
    return TemplateResponse(request, "stewardship/dashboard.html", {
        "figures": selectors.dashboard(request.user, work.counts), "grants": grants_summary(request.user),
        "deferred": work.deferred,
    })


QUEUE_FILTERS = ("domain", "system", "band", "kind", "assignee", "status")


@steward_page
def queue(request: HttpRequest) -> HttpResponse:
    """The queue of cases; POST: bulk approve or reject the selected cases."""
    require(request.user, Action.VIEW)
    filters = {name: request.GET.get(name, "") for name in QUEUE_FILTERS}
    filters["status"] = filters["status"] or "open"
    status = 200
    if request.method == "POST":
        status = _bulk(request)
    work = selectors.queue(request.user, **filters)
    return TemplateResponse(request, "stewardship/queue.html", {
        "work": work, "filters": filters, "bands": list(selectors.BANDS), "domains": list(work.counts),
        "kinds": MergeProposal.Kind.values, "can_decide": can(request.user, Action.DECIDE),
        "superseded": selectors.superseded(request.user, domain=filters["domain"])
        if filters["status"] == "superseded" else [],
    }, status=status)


def _bulk(request: HttpRequest) -> int:
    seen = {key: request.POST.get(f"version-{key}", "") for key in _ids(request.POST.getlist("case"))}
    viewer = Viewer.of(request.user)
    unseen = [key for key in seen if not selectors.case_key_visible(viewer, key)]  # as if it did not exist
    seen = {key: version for key, version in seen.items() if key not in unseen}
    decision = request.POST.get("decision", "")
    done, waiting, failed = steward.cases_decide_as(user=request.user, seen=seen, decision=decision,
                                                    reason=request.POST.get("reason", ""))
    failed += [(key, _("no case %(key)s") % {"key": key}) for key in unseen]
    if done:
        messages.success(request, _("%(n)d cases decided (%(decision)s).") % {"n": done, "decision": decision})
    if waiting:
        messages.info(request, _("%(n)d cases need a second steward's approval too.") % {"n": waiting})
    for key, problem in failed:
        messages.error(request, f"{key}: {problem}")
    return 409 if failed else 200


@steward_page
def case(request: HttpRequest, key: int) -> HttpResponse:
    """A case: records side by side, evidence, the merged record; POST one action."""
    status, current = 200, None
    try:
        current = case_of(key)
    except MdmError as exc:
        decided = selectors.proposal(key, Viewer.of(request.user))
        if decided is None:
            raise NotFound(_("no case %(key)s") % {"key": key}) from None
        require(request.user, Action.VIEW, decided.domain)
        return TemplateResponse(request, "stewardship/case_closed.html", {"proposal": decided, "message": exc.message})
    require(request.user, Action.VIEW, current.domain)
    viewer = Viewer.of(request.user)
    if not selectors.case_visible(viewer, current):
        raise NotFound(_("no case %(key)s") % {"key": key})
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            redirect = _case_action(request, current, action)
            if redirect:
                return redirect
            messages.success(request, _("Done."))
            current = case_of(key)
        except MdmError as exc:
            messages.error(request, exc.message)
            status = exc.status
            try:
                current = case_of(key)
            except MdmError:
                return HttpResponseRedirect(reverse("steward:case", args=[key]))
    view = selectors.case_view(current, viewer)
    return TemplateResponse(request, "stewardship/case.html", {
        "view": view, "case": current, "can_decide": can(request.user, Action.DECIDE, current.domain),
        "users": selectors.stewards(current.domain),
    }, status=status)


def _case_action(request: HttpRequest, current, action: str) -> HttpResponse | None:
    pks = [p.pk for p in current.proposals]
    post, user = request.POST, request.user
    if action in ("approve", "reject"):
        decided = steward.case_decide_as(user=user, proposals=pks, decision=action, reason=post.get("reason", ""),
                                         seen=post.get("version", ""))
        if not decided:
            messages.info(request, _("First approval recorded: %(why)s, so a second steward must approve it too.")
                          % {"why": steward.four_eyes_reason(current)})
            return None
        messages.success(request, _("Case %(key)s: %(action)s.") % {"key": current.key, "action": _(action)})
        target = current.goldens[0].golden_id if action == "approve" else None
        return HttpResponseRedirect(reverse("steward:golden", args=[target]) if target and post.get("then") == "golden"
                                    else reverse("steward:queue") + f"?domain={current.domain}")
    if action == "claim":
        steward.case_claim(user=user, proposals=pks)
    elif action == "release":
        steward.case_release(user=user, proposals=pks)
    elif action == "assign":
        assignee = get_object_or_404(get_user_model(), username=post.get("assignee", ""))
        steward.case_claim(user=user, proposals=pks, assignee=assignee)
    elif action == "comment":
        steward.case_comment(user=user, proposals=pks, text=post.get("text", ""))
    elif action == "defer":
        steward.case_defer(user=user, proposals=pks, days=int(post.get("days") or 7), reason=post.get("reason", ""))
        return HttpResponseRedirect(reverse("steward:queue") + f"?domain={current.domain}")
    else:
        raise NotFound(_("unknown action"))
    return None


@steward_page
def golden(request: HttpRequest, golden_id: str) -> HttpResponse:
    """A golden record (a retired ID redirects to the record it resolves to)."""
    viewer = Viewer.of(request.user)
    record = selectors.golden(golden_id, viewer)
    if record is None:
        raise NotFound(_("no golden record %(id)s") % {"id": golden_id})
    require(request.user, Action.VIEW, record.domain)
    status = 200
    if request.method == "POST":
        try:
            target = _golden_action(request, record)
            messages.success(request, _("Done."))
            return HttpResponseRedirect(reverse("steward:golden", args=[target]))
        except MdmError as exc:
            messages.error(request, exc.message)
            status = exc.status
            record.refresh_from_db()
    if record.status == GoldenRecord.Status.RETIRED and request.method == "GET" and "stay" not in request.GET:
        now = golden_record_resolve(golden_id)
        messages.info(request, _("%(old)s was merged into %(new)s.") % {"old": golden_id, "new": now.golden_id})
        return HttpResponseRedirect(reverse("steward:golden", args=[now.golden_id]))
    return TemplateResponse(request, "stewardship/golden.html", {
        "view": selectors.golden_view(record, viewer), "can_decide": can(request.user, Action.DECIDE, record.domain),
    }, status=status)


def _golden_action(request: HttpRequest, record: GoldenRecord) -> str:
    post, user = request.POST, request.user
    action, reason = post.get("action", ""), post.get("reason", "")
    _refuse_unseen(request, post.get("other", "") if action == "merge" else post.get("into", ""))
    version = int(post.get("version") or 0)
    if action == "split":  # only members the user sees can be moved
        shown = set(Viewer.of(user).sources(record.members.all()).values_list("pk", flat=True))
        moved = steward.golden_split_as(user=user, golden_id=record.golden_id, version=version,
                                        moving=[pk for pk in _ids(post.getlist("member")) if pk in shown],
                                        into=post.get("into", ""), reason=reason)
        return moved.golden_id
    if action == "merge":
        return steward.golden_merge_as(user=user, golden_id=record.golden_id, version=version,
                                       other=post.get("other", ""), reason=reason).golden_id
    if action == "override":
        steward.golden_override_as(user=user, golden_id=record.golden_id, version=version,
                                   attribute=post.get("attribute", ""), value=post.get("value", ""), reason=reason)
        return record.golden_id
    if action == "unmerge":
        if selectors.proposal(int(post.get("proposal") or 0), Viewer.of(user)) is None:
            raise NotFound(_("no case %(key)s") % {"key": post.get("proposal", "")})
        revived = steward.unmerge_as(user=user, proposal=int(post.get("proposal") or 0), reason=reason)
        return revived[0].golden_id if revived else record.golden_id
    if action == "undo":
        steward.undo_as(user=user, domain=record.domain, reason=reason)
        return golden_record_resolve(record.golden_id).golden_id
    raise NotFound(_("unknown action"))


def _refuse_unseen(request: HttpRequest, golden_id: str) -> None:
    """A golden ID typed into a form (merge with, split into, link to) is not found when the
    user's departments do not see it, as when it is opened."""
    if golden_id and selectors.golden(golden_id, Viewer.of(request.user)) is None:
        raise NotFound(_("no golden record %(id)s") % {"id": golden_id})


@steward_page
def search(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    q = request.GET.get("q", "")
    return TemplateResponse(request, "stewardship/search.html", {"q": q, "results": selectors.search(request.user, q)})


# --- the match preview (a dry run in the browser) ----------------------------------------------


class PreviewForm(forms.Form):
    domain = forms.ChoiceField(choices=[])
    upper = forms.FloatField(required=False, label=gettext_lazy("Auto-merge threshold (match weight)"),
                             help_text=gettext_lazy("empty: the model's"))
    lower = forms.FloatField(required=False, label=gettext_lazy("Proposal threshold (match weight)"),
                             help_text=gettext_lazy("empty: the model's"))
    sample = forms.IntegerField(required=False, min_value=1, max_value=100,
                                label=gettext_lazy("Examples per kind of change"))

    def __init__(self, *args, domains: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [(name, name) for name in domains]


def match_preview(request: HttpRequest) -> HttpResponse:
    """What a match run would do now, or with other thresholds, before anything is written
    (`manage.py match --dry-run` in the browser): a read-only GET, so a preview can be
    bookmarked and shared. Its examples show record names: only for users who may view the
    domain."""
    allowed = [d for d in all_domains() if can(request.user, Action.VIEW, d)]
    if not allowed:
        return TemplateResponse(request, "stewardship/error.html",
                                {"message": _("You hold no steward or auditor grant.")}, status=403)
    form = PreviewForm(request.GET if "domain" in request.GET else None, initial={"sample": 5}, domains=allowed)
    result = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = match_run(domain=data["domain"], actor=f"web:{request.user.get_username()}", dry_run=True,
                               upper=data["upper"], lower=data["lower"], sample_size=data["sample"] or 5)
        except MdmError as exc:
            form.add_error(None, exc.message)
    context = {
        **admin.site.each_context(request),
        "title": _("Preview a match run"),
        "form": form,
        "result": result,
        "summary": summary_lines(result) if result else [],
        "samples": [(sample_title(kind, result), lines) for kind, lines in result.samples.items() if lines]
        if result else [],
    }
    return TemplateResponse(request, "stewardship/match_preview.html", context)


# --- new master data requests -----------------------------------------------------------------


@steward_page
def request_new(request: HttpRequest) -> HttpResponse:
    """Ask for a new customer, product or supplier: the form of the domain's attributes;
    on submit, the hub standardizes, searches for duplicates and files the request."""
    allowed = [d for d in all_domains() if can(request.user, Action.REQUEST, d)]
    if not allowed:
        raise Forbidden(_("You may not request master data."))
    domain = request.POST.get("domain") or request.GET.get("domain") or allowed[0]
    require(request.user, Action.REQUEST, domain)
    attributes = get_domain(domain).attributes
    values = {name: request.POST.get(name, "").strip() for name in attributes}
    status = 200
    if request.method == "POST":
        try:
            filed = request_submit_as(user=request.user, domain=domain, values=values,
                                      note=request.POST.get("note", ""))
            return HttpResponseRedirect(reverse("steward:request-detail", args=[filed.pk]))
        except MdmError as exc:
            messages.error(request, exc.message)
            status = exc.status
    return TemplateResponse(request, "stewardship/request_new.html", {
        "domains": allowed, "domain": domain, "fields": [(n, a.label, a.required, values[n])
                                                         for n, a in attributes.items()],
        "waiting": selectors.requests(request.user),
    }, status=status)


@steward_page
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filed = selectors.master_data_request(pk)
    if filed is None:
        raise NotFound(_("no request %(pk)s") % {"pk": pk})
    require(request.user, Action.VIEW, filed.domain)
    status = 200
    if request.method == "POST":
        _refuse_unseen(request, request.POST.get("golden_id", ""))
        try:
            filed = steward.request_decide_as(user=request.user, request=filed, action=request.POST.get("action", ""),
                                              golden_id=request.POST.get("golden_id", ""),
                                              reason=request.POST.get("reason", ""))
            messages.success(request, _("Done."))
            if filed.golden:
                return HttpResponseRedirect(reverse("steward:golden", args=[filed.golden.golden_id]))
        except MdmError as exc:
            messages.error(request, exc.message)
            status = exc.status
    view = selectors.request_view(filed, Viewer.of(request.user))
    return TemplateResponse(request, "stewardship/request_detail.html", {
        "filed": filed, "can_decide": can(request.user, Action.DECIDE, filed.domain),
        "rows": view.rows, "candidates": view.candidates,
    }, status=status)
