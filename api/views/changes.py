"""The change feed: `GET /api/v1/changes?after=N`, in sequence order, resumable.

A consumer keeps the `last_sequence` of each page and asks for `after=` it next time: the
feed is append-only and its sequence numbers become visible in order, so nothing is
missed or repeated. Replaying from 0 and keeping, per source record, the golden ID of its
last `golden.remapped` event reproduces the current cross-reference.

Who reads it: auditors and admins every domain; a source system the domains it is granted.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.events import event_json
from api.permissions import require_login, system_of
from mdm import access
from mdm.domains import get_domain
from mdm.errors import Forbidden
from mdm.models import ChangeEvent
from mdm.selectors import change_events

PAGE = 500
MAX_PAGE = 5000


class ChangeQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0)
    domain = serializers.CharField(required=False, max_length=40)
    kind = serializers.MultipleChoiceField(choices=ChangeEvent.Kind.choices, required=False)
    system = serializers.CharField(required=False, max_length=40)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=PAGE)


def readable_domains(request: Request) -> set[str] | None:
    """The domains whose events the caller may read (None: all)."""
    require_login(request)
    if access.can(request.user, access.Action.AUDIT):
        return None
    if system_of(request) is not None:
        allowed = access.domains(request.user, access.Action.VIEW)
        if allowed is access.ALL or allowed:
            return allowed
    raise Forbidden("the change feed is for auditors, admins and source systems")


class Changes(APIView):
    @extend_schema(parameters=[ChangeQuery], responses=s.ChangePageSerializer,
                   summary="Change events after a sequence number, in order")
    def get(self, request: Request) -> Response:
        allowed = readable_domains(request)
        query = ChangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        if q.get("domain"):
            get_domain(q["domain"])
            if allowed is not None and q["domain"] not in allowed:
                raise Forbidden(f"no grant to read {q['domain']} changes")
        events = change_events(after=q["after"], domain=q.get("domain"), kinds=q.get("kind") or (),
                               systems=[q["system"]] if q.get("system") else ())
        if allowed is not None:
            events = events.filter(domain__in=sorted(allowed))
        visible = access.visible_systems(request.user)
        if visible is not None:
            events = events.filter(system_code__in=sorted(visible))
        page = list(events[: q["limit"] + 1])
        more = len(page) > q["limit"]
        page = page[: q["limit"]]
        masks = {d: access.masked_attributes(request.user, d) for d in {e.domain for e in page}}
        return Response({"events": [event_json(e, masks[e.domain]) for e in page],
                         "last_sequence": page[-1].sequence if page else q["after"], "has_more": more})
