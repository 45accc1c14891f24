"""The auditors' pages: the history log with filters and exports, one record's versions
(the diff between any two, any golden record as of a moment) and the decision log. Read
only: every page asks for the audit action (auditors, admins), and shows what the user's
departments and grants let them see (mdm.visibility): an auditor without the sensitive
grant reads that a tax id changed, not from what to what; an auditor of a department reads
the history of its systems' records, and another department's record is not found."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from mdm.access import Action, require
from mdm.domains import all_domains
from mdm.errors import InvalidInput, NotFound
from mdm.history_log import (
    ACTIONS,
    DECISION_KINDS,
    KINDS,
    Filters,
    declarations_of,
    history_export,
    history_log,
    record_versions,
    version_diff,
)
from mdm.models import DeclarationVersion, GoldenRecord
from mdm.selectors import GoldenState, golden_record_as_of
from mdm.visibility import Viewer
from stewardship.views import steward_page

PAGE = 50
KIND_LABELS = {"golden": _("golden record"), "source": _("source record"), "proposal": _("proposal"),
               "ruling": _("ruling"), "model": _("match model"), "system": _("source system"),
               "grant": _("access grant"), "request": _("master data request"), "department": _("department"),
               "member": _("department member"), "token": _("API token"), "webhook": _("webhook subscription"),
               "inbound": _("inbound endpoint")}
ACTION_LABELS = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}


def _labelled(entries):
    for entry in entries:
        entry.kind_label, entry.action_label = KIND_LABELS.get(entry.kind, entry.kind), ACTION_LABELS[entry.action]
    return entries


class LogFilters(forms.Form):
    kind = forms.ChoiceField(required=False, label=_("Kind"))
    domain = forms.ChoiceField(required=False, label=_("Domain"))
    record = forms.CharField(required=False, label=_("Record"), help_text=_("golden ID, system:key"))
    actor = forms.CharField(required=False, label=_("Actor"))
    system = forms.CharField(required=False, label=_("Source system"))
    action = forms.ChoiceField(required=False, label=_("Action"))
    attribute = forms.CharField(required=False, label=_("Changed attribute"))
    operation = forms.UUIDField(required=False, label=_("Operation"))
    since = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("every kind")), *((k, KIND_LABELS.get(k, k)) for k in KINDS)]
        self.fields["domain"].choices = [("", _("every domain")), *((d, d) for d in all_domains())]
        self.fields["action"].choices = [("", _("every action")), *((a, ACTION_LABELS[a]) for a in ACTIONS.values())]

    def filters(self, **preset) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        day = lambda d: datetime.combine(d, time(), tzinfo=UTC) if d else None  # noqa: E731
        until = data.get("until")
        return Filters(
            kinds=(data["kind"],) if data.get("kind") else preset.get("kinds", tuple(KINDS)),
            domain=data.get("domain") or None, record=data.get("record") or None,
            actor=data.get("actor") or preset.get("actor"), system=data.get("system") or None,
            action=data.get("action") or None, attribute=data.get("attribute") or None,
            operation=data.get("operation"), since=day(data.get("since")),
            until=day(until + timedelta(days=1)) if until else None,
        )


def _offset(request: HttpRequest) -> int:
    value = request.GET.get("offset", "0")
    return int(value) if value.isdigit() else 0


def _log_page(request: HttpRequest, title: str, **preset) -> HttpResponse:
    require(request.user, Action.AUDIT)
    form = LogFilters(request.GET or None)
    offset = _offset(request)
    entries = history_log(form.filters(**preset), limit=PAGE + 1, offset=offset, viewer=Viewer.of(request.user))
    query = request.GET.copy()
    query.pop("offset", None)
    return TemplateResponse(request, "stewardship/audit/log.html", {
        "title": title, "form": form, "entries": _labelled(entries[:PAGE]), "offset": offset,
        "next": offset + PAGE if len(entries) > PAGE else None, "previous": max(offset - PAGE, 0) if offset else None,
        "query": query.urlencode(), "decisions": bool(preset),
        "declarations": declarations_of(form.cleaned_data["operation"]) if form.is_valid()
        and form.cleaned_data.get("operation") else [],
    })


@steward_page
def log(request: HttpRequest) -> HttpResponse:
    return _log_page(request, _("History"))


@steward_page
def decisions(request: HttpRequest) -> HttpResponse:
    """What people decided: merges, splits, unmerges, overrides, approvals, rejections,
    rulings and grants, each with the evidence seen then."""
    return _log_page(request, _("Decision log"), kinds=DECISION_KINDS, actor="user:")


@steward_page
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Action.AUDIT)
    form = LogFilters(request.GET or None)
    preset = {"kinds": DECISION_KINDS, "actor": "user:"} if request.GET.get("decisions") else {}
    try:
        name, content = history_export(form.filters(**preset), fmt, actor=f"user:{request.user.get_username()}",
                                       viewer=Viewer.of(request.user))
    except InvalidInput as exc:
        return TemplateResponse(request, "stewardship/error.html", {"message": exc.message}, status=400)
    types = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "application/zip"}
    response = HttpResponse(content, content_type=types[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@steward_page
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    """One version of a domain or profile declaration, as it was in force."""
    require(request.user, Action.AUDIT)
    version = DeclarationVersion.objects.filter(pk=pk).first()
    if version is None:
        raise NotFound(f"no declaration version {pk}")
    return TemplateResponse(request, "stewardship/audit/declaration.html", {"version": version})


@steward_page
def record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One record's versions, oldest first; ?left=&right= the diff of two; ?as_of= a golden
    record as it stood then."""
    require(request.user, Action.AUDIT)
    if kind not in KINDS:
        raise NotFound(f"no kind of record {kind!r}")
    viewer = Viewer.of(request.user)
    versions = _labelled(record_versions(kind, pk, viewer=viewer))
    if not versions:  # none, or another department's
        raise NotFound(f"{kind} {pk} has no history")
    left, right = request.GET.get("left", ""), request.GET.get("right", "")
    diff = version_diff(kind, pk, int(left), int(right), viewer=viewer) if left.isdigit() and right.isdigit() else None
    as_of, state, as_of_error = request.GET.get("as_of", ""), None, ""
    if kind == "golden" and as_of:
        try:
            moment = datetime.fromisoformat(as_of)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            golden = GoldenRecord.objects.get(pk=pk)
            state = _as_seen(golden_record_as_of(golden.golden_id, moment), viewer, golden.domain)
            as_of_error = "" if state else _("It did not exist yet then.")
        except ValueError:
            as_of_error = _("A moment is YYYY-MM-DDTHH:MM.")
    return TemplateResponse(request, "stewardship/audit/record.html", {
        "kind": kind, "kind_label": KIND_LABELS.get(kind, kind), "pk": pk, "label": versions[-1].record,
        "versions": versions, "diff": diff, "left": left, "right": right,
        "as_of": as_of, "state": state, "as_of_error": as_of_error,
    })


def _as_seen(state: GoldenState | None, viewer: Viewer, domain: str) -> GoldenState | None:
    """A golden record as of a moment as the viewer may see it: the members then of visible
    systems, values masked as on the record's page."""
    if state is None:
        return None
    return replace(state, attributes=viewer.golden_attributes(domain, state.attributes, state.lineage),
                   member_keys=frozenset(k for k in state.member_keys if viewer.sees_system(k.split(":", 1)[0])))
