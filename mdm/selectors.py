"""Reads of the core tables."""

from mdm.errors import MdmError
from mdm.models import GoldenRecord, SourceRecord, SourceSystem


class GoldenRecordNotFound(MdmError):
    code = "golden_not_found"


def golden_record_resolve(golden_id: str) -> GoldenRecord:
    """The record a golden ID stands for now: retirements are followed to the successor, so
    the result is active, or deleted when every source record of the entity was deleted."""
    try:
        record = GoldenRecord.objects.get(golden_id=golden_id)
    except GoldenRecord.DoesNotExist:
        raise GoldenRecordNotFound(f"no golden record {golden_id!r}") from None
    seen = {record.pk}
    while record.status == GoldenRecord.Status.RETIRED:
        record = record.successor
        if record.pk in seen:
            raise MdmError(f"golden record {golden_id!r} has a successor cycle")
        seen.add(record.pk)
    return record


def source_record_hashes(*, domain: str, system: SourceSystem, keys: list[str]) -> dict[str, str]:
    """Stored content hash per source key, for the given keys that exist."""
    return dict(
        SourceRecord.objects.filter(domain=domain, system=system, source_key__in=keys).values_list(
            "source_key", "content_hash"
        )
    )
