"""The benchmark's baseline: a minimal Django JSON view doing the same single indexed
lookup as the API's cross-reference endpoint, without authentication, permissions,
throttling or DRF."""

from django.http import JsonResponse

from mdm.models import SourceRecord


def xref_plain(request, domain: str, system: str, source_key: str):
    row = (SourceRecord.objects.filter(domain=domain, system__code=system, source_key=source_key)
           .values("source_key", "version", "golden__golden_id", "golden__status").first())
    if row is None:
        return JsonResponse({"code": "source_record_not_found"}, status=404)
    return JsonResponse({"domain": domain, "system": system, "source_key": row["source_key"],
                         "record_version": row["version"], "golden_id": row["golden__golden_id"],
                         "golden_status": row["golden__status"]})
