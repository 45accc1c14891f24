"""Source-system profiles: how one system's export maps onto a domain, declared in YAML.

Shipped profiles live in mdm/profiles/; a user copies one, edits it, and passes its name
(if placed in a folder listed in MDM_PROFILE_DIRS) or its path to `ingest --profile`.
See mdm/profiles/generic_csv.yaml for the commented format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from mdm.domains import get_domain
from mdm.errors import DeclarationError, ImportFailed, RowRejected, UnknownProfile
from mdm.standardize import Candidates, Formatted, NameLines

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
_MISSING = object()


@dataclass(frozen=True)
class FieldMap:
    """Where one canonical attribute comes from in a source record: one field, several
    joined, the first valid of several candidates (`candidates`), or a name written over
    several fixed-width columns (`lines`, standardization decides what each line is)."""

    paths: tuple[str, ...]
    join: str = " "
    date_format: str | None = None
    default: Any = None
    mapping: dict[str, Any] | None = None
    mode: str = "join"  # join | candidates | lines
    width: int | None = None  # lines: the columns' width (a first line this long was cut off)
    map_by: str | None = None  # the field whose value picks the map (a region key's country)
    plain: bool = field(init=False)  # one top-level field, taken as it is: most columns of a flat file

    def __post_init__(self) -> None:
        plain = (self.mode == "join" and len(self.paths) == 1 and "." not in self.paths[0]
                 and self.mapping is None and self.date_format is None and self.default is None)
        object.__setattr__(self, "plain", plain)

    @property
    def source(self) -> str:
        """The source field(s), as lineage names them: NAME1 + NAME2, STCD5 or STCD1."""
        return (" or " if self.mode == "candidates" else " + ").join(self.paths) or "(default)"

    def extract(self, record: dict) -> Any:
        if self.plain:
            value = record.get(self.paths[0]) if isinstance(record, dict) else None
            if isinstance(value, str):
                return value.strip() or None
            value = _flatten(value)
            return None if value == "" else value
        if self.mode == "candidates":
            values = [v for v in (_flatten(lookup(record, p)) for p in self.paths) if v not in (None, "")]
            return Candidates(tuple(values)) if values else self.default
        if self.mode == "lines":
            lines = tuple("" if v is None else str(v) for v in (_flatten(lookup(record, p)) for p in self.paths))
            return NameLines(lines, self.width) if any(lines) else self.default
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
            mapping = self.mapping
            if self.map_by:
                mapping = mapping.get(_scalar_text(lookup(record, self.map_by))) or {}
            value = mapping.get(_scalar_text(value), value)
        if self.date_format and value not in (None, ""):
            return Formatted(value, self.date_format)
        return value


@dataclass(frozen=True)
class Deletion:
    """How a source marks a record it no longer uses: a field equal to one of `values`, or
    (`filled`) any value in it, such as a stop date. `flag` keeps the record live and says so
    on it (a forbidden customer still owes money); otherwise the record is a deletion."""

    field: str
    values: tuple[str, ...] = ()
    filled: bool = False
    flag: bool = False

    def applies(self, record: dict) -> bool:
        value = _scalar_text(_flatten(lookup(record, self.field)))
        return value != "" if self.filled else value in self.values

    def describe(self) -> str:
        return f"{self.field} is filled" if self.filled else f"{self.field} = {' or '.join(self.values)}"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    domain: str
    key: tuple[str, ...]
    fields: dict[str, FieldMap]
    records: str | None = None
    csv_delimiter: str | None = None
    deletion: Deletion | None = None
    key_width: int | None = None  # SAP's ALPHA conversion: numeric keys zero-padded to this width
    required: frozenset[str] = frozenset()  # the domain's required attributes
    # JSON records that are arrays (Kingdee's ExecuteBillQuery answers one array per record,
    # its values in the order of the request's FieldKeys): the names of those values
    columns: tuple[str, ...] | None = None
    # The import template the system takes back (mdm.exports): the columns holding the
    # golden ID and the retired golden IDs that now resolve to it
    export_golden_id: str = "golden_id"
    export_retired: str = "retired_golden_ids"
    text: str = field(default="", repr=False, compare=False)  # the declaration as read: history keeps it

    def source_key(self, record: dict) -> str:
        parts = [_scalar_text(lookup(record, path)) for path in self.key]
        if any(p == "" for p in parts):
            raise RowRejected(f"missing source key ({' + '.join(self.key)})")
        if self.key_width:
            parts = [p.zfill(self.key_width) if p.isdigit() else p for p in parts]
        key = "/".join(parts)
        if len(key) > KEY_CHARS:
            raise RowRejected(f"source key of {len(key)} characters (at most {KEY_CHARS}): {key[:40]}...")
        return key

    def columns_read(self) -> set[str]:
        """The columns (top-level fields) this profile reads: key, deletion flag, fields."""
        return {self._column(path) for path in self._paths()}

    def _paths(self) -> list[str]:
        paths = [*self.key, *(p for f in self.fields.values() for p in (*f.paths, *filter(None, [f.map_by])))]
        return [*paths, self.deletion.field] if self.deletion else paths

    def _column(self, path: str) -> str:
        """The column a path reads: itself when it is a declared column (FCOUNTRY.FName is
        one value of an ExecuteBillQuery row), else its first step."""
        return path if self.columns and path in self.columns else _column(path)

    def reads_key_from(self, columns: list[str]) -> bool:
        return all(self._column(path) in columns for path in self.key)

    def record_of(self, values: list) -> dict[str, Any]:
        """An array record as named values (the profile's `columns`), refused when the
        array does not have one value per column (an error answer, another request's rows)."""
        assert self.columns is not None
        if len(values) != len(self.columns):
            raise RowRejected(
                f"the record has {len(values)} value(s), the profile's columns are {len(self.columns)} "
                f"({', '.join(self.columns[:6])}{', ...' if len(self.columns) > 6 else ''})"
            )
        return dict(zip(self.columns, values, strict=True))

    def check_columns(self, columns: list[str], *, found_as: str = "") -> None:
        """Refuse a file whose columns lack the key or a required attribute's source (a
        wrong profile, another system's export, a wrong delimiter or encoding): one error
        naming what was expected and what was found, before any row is read."""
        present = set(columns)
        missing = [path for path in self.key if self._column(path) not in present]
        for name in sorted(self.required):
            field = self.fields.get(name)
            if field and field.paths and field.default is None and not any(
                self._column(p) in present for p in field.paths
            ):
                missing.append(" or ".join(field.paths))
        if not missing:
            return
        shown = ", ".join(columns[:12]) + (f" and {len(columns) - 12} more" if len(columns) > 12 else "")
        raise ImportFailed(
            f"the file does not fit profile {self.name!r}: it has no column {', '.join(missing)} "
            f"(the key and required columns: {', '.join(self.key)}"
            + "".join(f", {' or '.join(self.fields[n].paths)}" for n in sorted(self.required) if n in self.fields)
            + f"); found {len(columns)} column(s): {shown}" + (f" ({found_as})" if found_as else "")
        )

    def is_deleted(self, record: dict) -> bool:
        return self.deletion is not None and not self.deletion.flag and self.deletion.applies(record)

    def status_flag(self, record: dict) -> str | None:
        """What a record flagged as no longer used (and kept live, as the profile declares)
        carries among its issues; None for any other record."""
        if self.deletion is None or not self.deletion.flag or not self.deletion.applies(record):
            return None
        return f"no longer used in the source ({self.deletion.describe()}): kept as a live record"

    def extract(self, record: dict) -> dict[str, Any]:
        return {name: field.extract(record) for name, field in self.fields.items()}


KEY_CHARS = 200  # SourceRecord.source_key
PROFILE_NAME_CHARS = 100  # SourceRecord.profile, ImportRun.profile


def _column(path: str) -> str:
    """The top-level field a path starts at (a dotted path's first step)."""
    return path.split(".", 1)[0]


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


def _field_map(name: str, spec: Any, where: str, folder: Path) -> FieldMap:
    if isinstance(spec, str):
        return FieldMap(paths=(spec,))
    if isinstance(spec, list):
        return FieldMap(paths=tuple(spec))
    if isinstance(spec, dict):
        options = {"field", "fields", "candidates", "lines", "width", "join", "date_format", "default", "map", "map_by"}
        unknown = set(spec) - options
        if unknown:
            raise DeclarationError(f"{where}: field {name!r} has unknown options {sorted(unknown)}")
        modes = [m for m in ("fields", "candidates", "lines", "field") if m in spec]
        if len(modes) > 1:
            raise DeclarationError(f"{where}: field {name!r} takes one of field, fields, candidates, lines")
        paths = spec.get(modes[0]) if modes else []
        paths = [paths] if isinstance(paths, str) else list(paths or [])
        if not paths and "default" not in spec:
            raise DeclarationError(f"{where}: field {name!r} needs field, fields, candidates, lines or default")
        mode = {"candidates": "candidates", "lines": "lines"}.get(modes[0] if modes else "", "join")
        if mode != "join" and ({"map", "date_format"} & set(spec)):
            raise DeclarationError(f"{where}: field {name!r}: map and date_format apply to field or fields")
        mapping = spec.get("map")
        if isinstance(mapping, str):
            mapping = _table(mapping, where, folder)
        if mapping is not None and not isinstance(mapping, dict):
            raise DeclarationError(f"{where}: field {name!r}: map is a mapping or the name of a table")
        if "map_by" in spec and not (mapping and all(isinstance(m, dict) for m in mapping.values())):
            raise DeclarationError(
                f"{where}: field {name!r}: with map_by, map holds one mapping per value of {spec['map_by']}"
            )
        return FieldMap(
            paths=tuple(paths),
            join=spec.get("join", " "),
            date_format=spec.get("date_format"),
            default=spec.get("default"),
            mapping=mapping,
            mode=mode,
            width=spec.get("width"),
            map_by=spec.get("map_by"),
        )
    raise DeclarationError(f"{where}: field {name!r} must be a name, a list or a mapping")


def _table(name: str, where: str, folder: Path) -> dict:
    """A map shared by profiles (`map: sap_regions`): tables/<name>.yaml beside the profile,
    in a folder of MDM_PROFILE_DIRS, or shipped."""
    for base in (folder, *profile_dirs()):
        path = base / "tables" / f"{name}.yaml"
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise DeclarationError(f"{where}: table {path} is not a YAML mapping")
            return {str(k): ({str(a): b for a, b in v.items()} if isinstance(v, dict) else v) for k, v in data.items()}
    raise DeclarationError(
        f"{where}: no table {name!r} (looked for tables/{name}.yaml beside the profile and in the profile folders)"
    )


def _key(spec: Any, where: str) -> tuple[tuple[str, ...], int | None]:
    """`key`: a column, a list of columns (joined with "/"), or {field(s): ..., alpha: N} for
    SAP's ALPHA conversion (numeric keys zero-padded to N digits, as SAP stores them: a key
    a spreadsheet turned into the number 100001 is the same record as 0000100001)."""
    if isinstance(spec, str):
        return (spec,), None
    if isinstance(spec, list) and spec and all(isinstance(p, str) for p in spec):
        return tuple(spec), None
    if isinstance(spec, dict) and set(spec) <= {"field", "fields", "alpha"}:
        paths = spec.get("fields") or ([spec["field"]] if "field" in spec else [])
        width = spec.get("alpha")
        if paths and (width is None or (isinstance(width, int) and 0 < width <= KEY_CHARS)):
            return tuple(paths), width
    raise DeclarationError(f"{where}: key must be a column, a list of columns, or {{field: ..., alpha: N}}")


def _deletion(spec: Any, where: str) -> Deletion | None:
    """`deleted`: {field, equals: a value or a list} or {field, filled: true}; `as: flag`
    keeps such a record live and flags it instead of deleting it."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
        raise DeclarationError(f"{where}: deleted must be a mapping with a field")
    unknown = set(spec) - {"field", "equals", "filled", "as"}
    if unknown:
        raise DeclarationError(f"{where}: deleted has unknown options {sorted(unknown)}")
    if ("equals" in spec) == bool(spec.get("filled")):
        raise DeclarationError(f"{where}: deleted takes one of equals (a value or a list) or filled: true")
    mode = spec.get("as", "deletion")
    if mode not in ("deletion", "flag"):
        raise DeclarationError(f"{where}: deleted: as is deletion or flag, not {mode!r}")
    equals = spec.get("equals")
    values = tuple(_scalar_text(v) for v in (equals if isinstance(equals, list) else [equals]))
    if spec.get("filled"):
        values = ()
    return Deletion(field=spec["field"], values=values, filled=bool(spec.get("filled")), flag=mode == "flag")


def _columns(spec: Any, where: str) -> tuple[str, ...] | None:
    if spec is None:
        return None
    if not (isinstance(spec, list) and spec and all(isinstance(c, str) and c.strip() for c in spec)):
        raise DeclarationError(f"{where}: columns is a list of names (the FieldKeys of the query, in order)")
    duplicates = sorted({c for c in spec if spec.count(c) > 1})
    if duplicates:
        raise DeclarationError(f"{where}: columns names {duplicates} twice")
    return tuple(spec)


def _export(spec: Any, where: str) -> dict[str, str]:
    """`export`: {golden_id: column, retired: column}, the custom fields of the system's
    import template that take the golden ID and the retired IDs resolving to it."""
    if spec is None:
        return {}
    names = {"golden_id": "export_golden_id", "retired": "export_retired"}
    if not isinstance(spec, dict) or set(spec) - set(names) or not all(
        isinstance(v, str) and v.strip() for v in spec.values()
    ):
        raise DeclarationError(f"{where}: export takes golden_id and retired, each a column name")
    return {names[k]: v.strip() for k, v in spec.items()}


def load_profile_file(path: Path) -> Profile:
    where = path.name
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise DeclarationError(f"{where}: cannot read profile ({exc})") from None
    if not isinstance(data, dict):
        raise DeclarationError(f"{where}: a profile is a YAML mapping")
    for required in ("domain", "key", "fields"):
        if required not in data:
            raise DeclarationError(f"{where}: missing {required!r}")
    domain = get_domain(data["domain"])
    fields = {name: _field_map(name, spec, where, path.parent) for name, spec in data["fields"].items()}
    unknown = set(fields) - set(domain.attributes)
    if unknown:
        raise DeclarationError(
            f"{where}: {sorted(unknown)} are not attributes of domain {domain.name!r}"
        )
    missing = {n for n, a in domain.attributes.items() if a.required} - set(fields)
    if missing:
        raise DeclarationError(f"{where}: required attributes {sorted(missing)} are not mapped")
    key, key_width = _key(data["key"], where)
    name = str(data.get("name", path.stem))
    if len(name) > PROFILE_NAME_CHARS:
        raise DeclarationError(f"{where}: a profile's name is at most {PROFILE_NAME_CHARS} characters (name it)")
    profile = Profile(
        text=text,
        name=name,
        description=str(data.get("description", "")).strip(),
        domain=domain.name,
        key=key,
        key_width=key_width,
        required=frozenset(n for n, a in domain.attributes.items() if a.required),
        fields=fields,
        records=data.get("records"),
        csv_delimiter=data.get("csv_delimiter"),
        deletion=_deletion(data.get("deleted"), where),
        columns=_columns(data.get("columns"), where),
        **_export(data.get("export"), where),
    )
    if profile.columns:
        unknown_columns = sorted({p for p in profile._paths() if profile._column(p) not in profile.columns})
        if unknown_columns:
            raise DeclarationError(f"{where}: {unknown_columns} are read but not among the declared columns")
    return profile


DOMAIN_PROFILE = "api"  # SourceRecord.profile of records sent attribute by attribute (the API)
DOMAIN_PROFILE_KEY = "source_key"


def domain_profile(domain: str) -> Profile:
    """The profile of records sent by the domain's own attribute names, the key under
    `source_key` (the REST API's records): derived from the domain declaration, so a new
    domain needs no profile file to be sent through the API."""
    declaration = get_domain(domain)
    return Profile(
        name=DOMAIN_PROFILE,
        description=f"{domain} records by attribute name",
        domain=declaration.name,
        key=(DOMAIN_PROFILE_KEY,),
        fields={name: FieldMap(paths=(name,)) for name in declaration.attributes},
        required=frozenset(n for n, a in declaration.attributes.items() if a.required),
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
    raise UnknownProfile(
        f"unknown profile {name_or_path!r} (available: {', '.join(available_profiles())}; "
        "or give the path of a .yaml file)"
    )
