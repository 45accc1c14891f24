"""Golden records: the list of a domain (filters, cursor pages) and one with its surviving
values, their lineage and its members. A retired golden ID answers with its successor
(`requested_id`, `retired`: see api.views.xref)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.filtersets import GoldenRecordFilter
from api.pagination import GoldenCursor
from api.permissions import require, visible_golden
from mdm import access
from mdm.domains import get_domain
from mdm.models import GoldenRecord, SourceRecord
from mdm.selectors import golden_record_values, golden_records
from mdm.visibility import Viewer


def golden_summary(golden: GoldenRecord, viewer: Viewer) -> dict:
    """Its attributes as the viewer sees them: sensitive ones masked, and those that came
    from a system outside the viewer's departments."""
    return {"golden_id": golden.golden_id, "domain": golden.domain, "status": golden.status,
            "version": golden.version,
            "attributes": viewer.golden_attributes(golden.domain, golden.attributes, golden.lineage),
            "updated_at": golden.updated_at}


class GoldenList(ListAPIView):
    serializer_class = s.GoldenSummarySerializer
    pagination_class = GoldenCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = GoldenRecordFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator's call
            return GoldenRecord.objects.none()
        domain = self.kwargs["domain"]
        get_domain(domain)
        require(self.request, access.Action.VIEW, domain)
        query = golden_records(domain=domain, status=None)
        visible = access.visible_systems(self.request.user)
        if visible is not None:
            query = query.filter(pk__in=SourceRecord.objects.filter(domain=domain, system__code__in=visible)
                                 .values("golden_id"))
        return query

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        viewer = Viewer.of(request.user)
        return self.get_paginated_response([golden_summary(g, viewer) for g in page])

    @extend_schema(summary="Golden records of a domain, by golden ID, in cursor pages")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GoldenDetail(APIView):
    @extend_schema(responses=s.GoldenDetailSerializer,
                   summary="One golden record: surviving values with lineage, and members")
    def get(self, request: Request, domain: str, golden_id: str) -> Response:
        get_domain(domain)
        require(request, access.Action.VIEW, domain)
        golden = visible_golden(request, domain, golden_id)
        viewer = Viewer.of(request.user)
        members = [m for m in golden_records(domain=domain, status=None).get(pk=golden.pk).live_members
                   if viewer.sees_system(m.system.code)]
        values = []
        for v in golden_record_values(golden):
            hidden = viewer.hides(domain, v.name, v.system)
            values.append({"name": v.name, "label": v.label, "value": access.MASK if hidden else v.value,
                           "masked": hidden, "system": v.system, "source_key": None if hidden else v.source_key,
                           "field": v.field, "override": v.override is not None})
        return Response({
            **golden_summary(golden, viewer), "requested_id": golden_id, "retired": golden.golden_id != golden_id,
            "successor": golden.successor.golden_id if golden.successor_id else None,
            "values": values, "created_at": golden.created_at,
            "members": [{"system": m.system.code, "source_key": m.source_key, "version": m.version,
                         "received_at": m.received_at, "updated_at": m.updated_at} for m in members],
        })
