"""File writers: CSV in any encoding and delimiter, XLSX, JSON envelopes; the manifest
and the ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import yaml

FIXED_TIME = dt.datetime(2025, 6, 1, 8, 0, 0)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_csv(
    path: Path,
    columns: list[str],
    rows: list[dict],
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
    lineterminator: str = "\r\n",
) -> None:
    buf = io.StringIO()
    if delimiter == "\t":
        # SAP text downloads are not quoted: no tabs or line breaks inside values
        buf.write("\t".join(columns) + lineterminator)
        for r in rows:
            values = [_cell(r.get(c)).replace("\t", " ").replace("\r", " ").replace("\n", " ") for c in columns]
            buf.write("\t".join(values) + lineterminator)
    else:
        w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
    data = buf.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def write_xlsx(path: Path, columns: list[str], rows: list[dict], sheet: str = "Sheet1") -> None:
    wb = openpyxl.Workbook(write_only=True)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "bench.heldout"
    ws = wb.create_sheet(sheet)
    ws.append(columns)
    for r in rows:
        ws.append([r.get(c) if r.get(c) != "" else None for c in columns])
    raw = io.BytesIO()
    wb.save(raw)
    _fix_zip_times(raw.getvalue(), path)


def _fix_zip_times(data: bytes, path: Path) -> None:
    """Same seed, same bytes: rewrite the workbook's zip with fixed entry times and a fixed
    document modification time."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-06-01T08:00:00Z", content)
                content = re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>2025-06-01T08:00:00Z", content)
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 6, 1, 8, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, content)


def write_json(path: Path, envelope: dict) -> None:
    path.write_text(json.dumps(envelope, ensure_ascii=False, indent=1), encoding="utf-8")


def write_ground_truth(path: Path, rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["domain", "system", "source_key", "entity_id", "deleted"])
        w.writerows(rows)


def write_manifest(path: Path, meta: dict, files: list[dict]) -> None:
    text = "# Written by bench.heldout.generate. Paths (files and own profiles) are relative to this folder.\n"
    text += yaml.safe_dump({**meta, "files": files}, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(text, encoding="utf-8")
