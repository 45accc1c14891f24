"""Source-system profiles: how one system's export maps onto a domain, declared in YAML.

Shipped profiles live in mdm/profiles/; a user copies one, edits it, and passes its name
(if placed in a folder listed in MDM_PROFILE_DIRS) or its path to `ingest --profile`.
See mdm/profiles/generic_csv.yaml for the commented format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from mdm.domains import get_domain
from mdm.errors import DeclarationError, RowRejected
from mdm.standardize import parse_date

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
_MISSING = object()


@dataclass(frozen=True)
class FieldMap:
    """Where one canonical attribute comes from in a source record."""

    paths: tuple[str, ...]
    join: str = " "
    date_format: str | None = None
    default: Any = None
    mapping: dict[str, Any] | None = None

    def extract(self, record: dict) -> Any:
        if len(self.paths) == 1:
            value = _flatten(lookup(record, self.paths[0]))
            if value == "":
                value = None
        else:
            values = [v for v in (_flatten(lookup(record, p)) for p in self.paths) if v not in (None, "")]
            value = self.join.join(str(v) for v in values) if values else None
        if value is None:
            value = self.default
        if self.mapping and value is not None:
            value = self.mapping.get(str(value).strip(), value)
        if self.date_format and value not in (None, ""):
            return parse_date(value, self.date_format)
        return value


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    domain: str
    key: tuple[str, ...]
    fields: dict[str, FieldMap]
    records: str | None = None
    csv_delimiter: str | None = None
    deleted_field: str | None = None
    deleted_value: Any = None

    def source_key(self, record: dict) -> str:
        parts = [_scalar_text(lookup(record, path)) for path in self.key]
        if any(p == "" for p in parts):
            raise RowRejected(f"missing source key ({' + '.join(self.key)})")
        return "/".join(parts)

    def is_deleted(self, record: dict) -> bool:
        if self.deleted_field is None:
            return False
        return _scalar_text(lookup(record, self.deleted_field)) == _scalar_text(self.deleted_value)

    def extract(self, record: dict) -> dict[str, Any]:
        return {name: field.extract(record) for name, field in self.fields.items()}


def lookup(record: Any, path: str) -> Any:
    """Value at a dotted path (`a.b.0.c`); a key that itself contains dots is tried first."""
    if isinstance(record, dict) and path in record:
        return record[path]
    current = record
    for step in path.split("."):
        if isinstance(current, dict):
            current = current.get(step, _MISSING)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
        if current is _MISSING:
            return None
    return current


def _flatten(value: Any) -> Any:
    """Widget objects and lists (an address {province, city, detail}) become one text."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return " ".join(str(v) for v in (_flatten(x) for x in value) if v not in (None, ""))
    return value


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _field_map(name: str, spec: Any, where: str) -> FieldMap:
    if isinstance(spec, str):
        return FieldMap(paths=(spec,))
    if isinstance(spec, list):
        return FieldMap(paths=tuple(spec))
    if isinstance(spec, dict):
        unknown = set(spec) - {"field", "fields", "join", "date_format", "default", "map"}
        if unknown:
            raise DeclarationError(f"{where}: field {name!r} has unknown options {sorted(unknown)}")
        paths = spec.get("fields") or ([spec["field"]] if "field" in spec else [])
        if not paths and "default" not in spec:
            raise DeclarationError(f"{where}: field {name!r} needs field, fields or default")
        return FieldMap(
            paths=tuple(paths),
            join=spec.get("join", " "),
            date_format=spec.get("date_format"),
            default=spec.get("default"),
            mapping=spec.get("map"),
        )
    raise DeclarationError(f"{where}: field {name!r} must be a name, a list or a mapping")


def load_profile_file(path: Path) -> Profile:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeclarationError(f"{where}: cannot read profile ({exc})") from None
    if not isinstance(data, dict):
        raise DeclarationError(f"{where}: a profile is a YAML mapping")
    for required in ("domain", "key", "fields"):
        if required not in data:
            raise DeclarationError(f"{where}: missing {required!r}")
    domain = get_domain(data["domain"])
    fields = {name: _field_map(name, spec, where) for name, spec in data["fields"].items()}
    unknown = set(fields) - set(domain.attributes)
    if unknown:
        raise DeclarationError(
            f"{where}: {sorted(unknown)} are not attributes of domain {domain.name!r}"
        )
    missing = {n for n, a in domain.attributes.items() if a.required} - set(fields)
    if missing:
        raise DeclarationError(f"{where}: required attributes {sorted(missing)} are not mapped")
    deleted = data.get("deleted") or {}
    key = data["key"]
    return Profile(
        name=data.get("name", path.stem),
        description=str(data.get("description", "")).strip(),
        domain=domain.name,
        key=tuple(key) if isinstance(key, list) else (key,),
        fields=fields,
        records=data.get("records"),
        csv_delimiter=data.get("csv_delimiter"),
        deleted_field=deleted.get("field"),
        deleted_value=deleted.get("equals"),
    )


def profile_dirs() -> list[Path]:
    return [*settings.MDM_PROFILE_DIRS, PROFILE_DIR]


def available_profiles() -> list[str]:
    return sorted({p.stem for d in profile_dirs() for p in d.glob("*.yaml")})


def get_profile(name_or_path: str) -> Profile:
    """A profile by name (searched in MDM_PROFILE_DIRS, then the shipped ones) or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return load_profile_file(candidate)
    for folder in profile_dirs():
        path = folder / f"{name_or_path}.yaml"
        if path.exists():
            return load_profile_file(path)
    raise DeclarationError(
        f"unknown profile {name_or_path!r} (available: {', '.join(available_profiles())}; "
        "or give the path of a .yaml file)"
    )
