"""The steward web app's views (inside the admin site: its login, staff only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from matching.describe import sample_title, summary_lines
from matching.runs import match_run
from mdm.domains import all_domains
from mdm.errors import MdmError


class PreviewForm(forms.Form):
    domain = forms.ChoiceField(choices=[])
    upper = forms.FloatField(required=False, label="Auto-merge threshold (match weight)",
                             help_text="empty: the model's")
    lower = forms.FloatField(required=False, label="Proposal threshold (match weight)",
                             help_text="empty: the model's")
    sample = forms.IntegerField(required=False, min_value=1, max_value=100, label="Examples per kind of change")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [(name, name) for name in all_domains()]


def match_preview(request: HttpRequest) -> HttpResponse:
    """What a match run would do now, or with other thresholds, before anything is written
    (`manage.py match --dry-run` in the browser): a read-only GET, so a preview can be
    bookmarked and shared."""
    form = PreviewForm(request.GET if "domain" in request.GET else None, initial={"sample": 5})
    result = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = match_run(
                domain=data["domain"],
                actor=f"web:{request.user.get_username()}",
                dry_run=True,
                upper=data["upper"],
                lower=data["lower"],
                sample_size=data["sample"] or 5,
            )
        except MdmError as exc:
            form.add_error(None, exc.message)
    context = {
        **admin.site.each_context(request),
        "title": "Preview a match run",
        "form": form,
        "result": result,
        "summary": summary_lines(result) if result else [],
        "samples": [(sample_title(kind, result), lines) for kind, lines in result.samples.items() if lines]
        if result else [],
    }
    return TemplateResponse(request, "stewardship/match_preview.html", context)
