"""Test data: source records written through the services, standardized like an import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from mdm.domains import get_domain
from mdm.history import Change
from mdm.ingest.run import import_file
from mdm.models import SourceRecord, SourceSystem
from mdm.services import IncomingRecord, content_hash, source_records_upsert, source_system_register

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "samples"
MANIFEST = yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))["samples"]
PROFILE = "test"  # not a profile file: lineage then names the attribute itself as the field


def incoming(domain: str, key: str, *, deleted: bool = False, **values: Any) -> IncomingRecord:
    attributes, issues = get_domain(domain).standardize(values, phone_region="CN")
    return IncomingRecord(
        source_key=key,
        profile=PROFILE,
        raw=values,
        content_hash=content_hash(PROFILE, values, deleted),
        attributes=attributes,
        issues=issues,
        deleted=deleted,
    )


def upsert(
    system: SourceSystem,
    domain: str,
    rows: dict[str, dict[str, Any]],
    *,
    deleted: bool = False,
    change: Change | None = None,
) -> dict[str, SourceRecord]:
    """Write {key: values} for one system; returns the stored records by key."""
    change = change or Change.by_system(system.code, "test data")
    source_records_upsert(
        domain=domain,
        system=system,
        change=change,
        records=[incoming(domain, key, deleted=deleted, **values) for key, values in rows.items()],
    )
    stored = SourceRecord.objects.filter(domain=domain, system=system, source_key__in=list(rows))
    return {r.source_key: r for r in stored}


def system(code: str, trust: dict[str, Any] | None = None) -> SourceSystem:
    return source_system_register(
        code=code, name=code.upper(), trust=trust, change=Change(actor="test", reason="setup")
    )


def load_samples(domain: str, trust: dict[str, dict[str, Any]] | None = None) -> None:
    """Import every sample export of a domain (one file per profile), as the demo does."""
    seen = set()
    for sample in MANIFEST:
        if sample["domain"] != domain or sample["profile"] in seen:
            continue
        seen.add(sample["profile"])
        source_system_register(
            code=sample["system"],
            name=sample["system_name"],
            trust=(trust or {}).get(sample["system"], {}),
            change=Change(actor="test", reason="setup"),
        )
        run = import_file(
            path=SAMPLES / sample["file"],
            system_code=sample["system"],
            profile_name=sample["profile"],
            encoding=sample.get("encoding"),
        )
        assert run.status == "completed", run.error
