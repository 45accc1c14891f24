"""The API, version 1: every path under /api/v1/ (config.urls)."""

from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.exception_handlers import error_body
from api.views import cases, changes, golden, golden_actions, history, inbound, records, requests, webhooks, xref
from mdm.errors import NotFound

app_name = "api"


@csrf_exempt  # it changes nothing, whatever the method
def no_such_endpoint(request, rest):
    """A path under /api/v1/ that names no endpoint: the API's error shape, not a page."""
    return JsonResponse(error_body(NotFound.code, f"no endpoint {request.path}"), status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("xref/<str:domain>/lookup", xref.XrefLookup.as_view(), name="xref-lookup"),
    path("xref/<str:domain>/golden/<str:golden_id>", xref.GoldenKeys.as_view(), name="xref-golden"),
    path("xref/<str:domain>/<str:system>/<path:source_key>", xref.XrefDetail.as_view(), name="xref"),
    path("golden/<str:domain>", golden.GoldenList.as_view(), name="golden-list"),
    path("golden/<str:domain>/<str:golden_id>", golden.GoldenDetail.as_view(), name="golden"),
    path("golden/<str:domain>/<str:golden_id>/merge", golden_actions.GoldenMerge.as_view(), name="golden-merge"),
    path("golden/<str:domain>/<str:golden_id>/split", golden_actions.GoldenSplit.as_view(), name="golden-split"),
    path("golden/<str:domain>/<str:golden_id>/override", golden_actions.GoldenOverride.as_view(),
         name="golden-override"),
    path("decisions/<str:domain>/undo", golden_actions.DecisionUndo.as_view(), name="decision-undo"),
    path("decisions/<str:domain>/<int:proposal>/unmerge", golden_actions.DecisionUnmerge.as_view(),
         name="decision-unmerge"),
    path("records/<str:domain>", records.RecordBatch.as_view(), name="records"),
    path("records/<str:domain>/<path:source_key>", records.RecordDetail.as_view(), name="record"),
    path("search/<str:domain>", records.Search.as_view(), name="search"),
    path("changes", changes.Changes.as_view(), name="changes"),
    path("webhooks", webhooks.Subscriptions.as_view(), name="webhooks"),
    path("webhooks/<int:pk>", webhooks.Subscription.as_view(), name="webhook"),
    path("webhooks/<int:pk>/deliveries", webhooks.Deliveries.as_view(), name="webhook-deliveries"),
    path("cases/<str:domain>", cases.Cases.as_view(), name="cases"),
    path("cases/<str:domain>/<int:key>", cases.CaseDetail.as_view(), name="case"),
    path("cases/<str:domain>/<int:key>/decision", cases.CaseDecision.as_view(), name="case-decision"),
    path("cases/<str:domain>/<int:key>/claim", cases.CaseClaim.as_view(), name="case-claim"),
    path("cases/<str:domain>/<int:key>/release", cases.CaseRelease.as_view(), name="case-release"),
    path("cases/<str:domain>/<int:key>/comments", cases.CaseComments.as_view(), name="case-comments"),
    path("requests/<str:domain>", requests.Requests.as_view(), name="requests"),
    path("requests/<str:domain>/<int:pk>", requests.RequestDetail.as_view(), name="request"),
    path("requests/<str:domain>/<int:pk>/decision", requests.RequestDecision.as_view(), name="request-decision"),
    path("history/golden/<str:domain>/<str:golden_id>", history.GoldenHistory.as_view(), name="history-golden"),
    path("history/records/<str:domain>/<str:system>/<path:source_key>", history.SourceHistory.as_view(),
         name="history-record"),
    path("inbound/jiandaoyun/<str:system>", inbound.Jiandaoyun.as_view(), name="inbound-jiandaoyun"),
    re_path(r"^(?P<rest>[\s\S]*)$", no_such_endpoint),
]
