"""Read source files into rows: CSV (any encoding), XLSX, JSON, JSONL and Parquet.

Readers never stop at a bad row: a row that cannot be decoded or parsed comes out as a
SourceRow with `error` set, so it can be reported while the rest loads. Row numbers are
what a user sees: the spreadsheet row for CSV/XLSX (header = row 1), the line for JSONL,
the position in the record list for JSON.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import charset_normalizer

from mdm.errors import ImportFailed
from mdm.ingest.profiles import Profile, lookup

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet",
}
_SAMPLE_BYTES = 1 << 20
# What surrogateescape decoding leaves for bytes the encoding could not read.
_SURROGATE = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")

csv.field_size_limit(sys.maxsize)  # long fields are rejected by the importer, with a reason


@dataclass
class SourceRow:
    number: int
    data: dict[str, Any] | None
    error: str | None = None


class RowSource:
    """An opened file: its format, encoding, rows, and progress through it (0..total)."""

    def __init__(self, path: Path, profile: Profile, encoding: str | None = None):
        self.path = path
        self.profile = profile
        self.format = FORMATS.get(path.suffix.lower())
        if self.format is None:
            raise ImportFailed(
                f"{path.name}: unsupported file type {path.suffix!r} "
                f"(supported: {', '.join(sorted(FORMATS))})"
            )
        self.encoding = ""
        self.requested_encoding = encoding
        self.total = 1
        self.done = 0

    def rows(self) -> Iterator[SourceRow]:
        return getattr(self, f"_read_{self.format}")()

    # -- CSV -------------------------------------------------------------------------------
    def _read_csv(self) -> Iterator[SourceRow]:
        self.total = self.path.stat().st_size
        with self.path.open("rb") as binary:
            sample = binary.read(_SAMPLE_BYTES)
            self.encoding = self.requested_encoding or detect_encoding(sample)
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ImportFailed(f"unknown encoding {self.encoding!r}") from None
            binary.seek(0)
            # surrogateescape keeps undecodable bytes so the row holding them can be rejected
            text = io.TextIOWrapper(
                binary, encoding=self.encoding, errors="surrogateescape", newline=""
            )
            yield from self._csv_rows(text, sample, binary)

    def _csv_rows(self, text: IO[str], sample: bytes, binary: BinaryIO) -> Iterator[SourceRow]:
        delimiter = self.profile.csv_delimiter or _sniff_delimiter(sample, self.encoding)
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(f"cannot read the CSV header: {exc}") from None
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        header = [h.strip() for h in header]
        if _has_surrogates(header):
            raise ImportFailed(
                f"the header is not valid {self.encoding}: give the right --encoding"
            )
        if len(set(header)) != len(header):
            raise ImportFailed(f"duplicate column names in the header: {header}")
        last_line = reader.line_num
        while True:
            number = last_line + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last_line = reader.line_num
                yield SourceRow(number, None, f"malformed CSV: {exc}")
                continue
            last_line = reader.line_num
            if number % 1000 == 0:
                self.done = binary.tell()
            if not values or values == [""] * len(values):
                continue
            if len(values) != len(header):
                data = {"_fields": [_printable(v) for v in values]}
                yield SourceRow(
                    number, data, f"row has {len(values)} fields, the header has {len(header)}"
                )
                continue
            row = dict(zip(header, values, strict=True))
            bad = _SURROGATE.search("".join(values)) and [k for k, v in row.items() if _has_surrogates(v)]
            if bad:
                shown = {k: _printable(v) for k, v in row.items()}
                yield SourceRow(
                    number, shown, f"bytes not valid {self.encoding} in {', '.join(bad)}"
                )
                continue
            yield SourceRow(number, row)

    # -- XLSX ------------------------------------------------------------------------------
    def _read_xlsx(self) -> Iterator[SourceRow]:
        import openpyxl

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportFailed(f"cannot open the workbook: {exc}") from None
        try:
            sheet = book.worksheets[0]
            self.total = sheet.max_row or 1
            rows = sheet.iter_rows(values_only=True)
            header = None
            for number, values in enumerate(rows, start=1):
                self.done = number
                if header is None:
                    if any(v not in (None, "") for v in values):
                        header = [str(v).strip() if v is not None else "" for v in values]
                    continue
                if all(v in (None, "") for v in values):
                    continue
                yield SourceRow(number, {h: jsonable(v) for h, v in zip(header, values, strict=False) if h})
        finally:
            book.close()

    # -- JSON / JSONL ----------------------------------------------------------------------
    def _read_json(self) -> Iterator[SourceRow]:
        self.encoding = "utf-8"
        try:
            document = json.loads(self.path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ImportFailed(f"a JSON file must be UTF-8: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ImportFailed(f"not valid JSON: {exc}") from None
        records = document
        if self.profile.records:
            records = lookup(document, self.profile.records)
        if not isinstance(records, list):
            where = f"at {self.profile.records!r}" if self.profile.records else "at the top level"
            raise ImportFailed(f"expected a list of records {where} of the JSON document")
        self.total = len(records) or 1
        for number, record in enumerate(records, start=1):
            self.done = number
            if isinstance(record, dict):
                yield SourceRow(number, record)
            else:
                yield SourceRow(number, {"_value": record}, "a record must be a JSON object")

    def _read_jsonl(self) -> Iterator[SourceRow]:
        self.encoding = "utf-8"
        self.total = self.path.stat().st_size
        with self.path.open("rb") as binary:
            for number, line in enumerate(binary, start=1):
                self.done += len(line)
                if not line.strip():
                    continue
                try:
                    record = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
                except UnicodeDecodeError:
                    yield SourceRow(number, {"_line": line.decode("utf-8", "backslashreplace")},
                                    "bytes not valid utf-8")
                    continue
                except json.JSONDecodeError as exc:
                    yield SourceRow(number, {"_line": line.decode("utf-8", "replace")},
                                    f"not valid JSON: {exc}")
                    continue
                if isinstance(record, dict):
                    yield SourceRow(number, record)
                else:
                    yield SourceRow(number, {"_value": record}, "a record must be a JSON object")

    # -- Parquet ---------------------------------------------------------------------------
    def _read_parquet(self) -> Iterator[SourceRow]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            raise ImportFailed(f"cannot open the Parquet file: {exc}") from None
        self.total = parquet.metadata.num_rows or 1
        number = 0
        for batch in parquet.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                self.done = number
                yield SourceRow(number, {k: jsonable(v) for k, v in record.items()})


def detect_encoding(sample: bytes) -> str:
    """BOM first; then UTF-8 unless it clearly is not; then GB18030 (Chinese exports); then a
    statistical guess. A few bad bytes in a UTF-8 file keep it UTF-8: those rows get rejected."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoded = sample.decode("utf-8", errors="surrogateescape")
    bad = len(_SURROGATE.findall(decoded))
    multibyte = len(_NON_ASCII.findall(decoded)) - bad
    # A cut at the end of the sample may split one character: allow a few stray bytes.
    if bad <= 3 or multibyte >= 10 * bad:
        return "utf-8"
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(sample).best()
    return best.encoding if best else "utf-8"


def _sniff_delimiter(sample: bytes, encoding: str) -> str:
    first_line = sample.split(b"\n", 1)[0].decode(encoding, errors="replace")
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _has_surrogates(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return isinstance(value, str) and _SURROGATE.search(value) is not None


def _printable(value: str) -> str:
    """Show undecodable bytes as \\xNN instead of dropping them."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def jsonable(value: Any) -> Any:
    """A value from XLSX/Parquet as a JSON-safe value, keeping what it said."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)
