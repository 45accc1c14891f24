"""Read source files into rows: CSV (any encoding), XLSX, JSON, JSONL and Parquet.

Readers never stop at a bad row: a row that cannot be decoded or parsed comes out as a
SourceRow with `error` set, so it can be reported while the rest loads. A stray quote in a
CSV costs only the lines it damages: a quoted field that runs across more than
MAX_RECORD_LINES lines or past the field limit, or a multi-line record with the wrong
number of fields, is read again line by line. Before any row, the header is checked
against the profile (its key and required columns), with a hint when a delimiter or an
encoding explains the mismatch. Row numbers are what a user sees: the spreadsheet row for
CSV/XLSX (header = row 1), the line for JSONL, the position in the record list for JSON.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import io
import itertools
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import charset_normalizer
from django.conf import settings

from mdm.errors import ImportFailed, RowRejected
from mdm.ingest.profiles import Profile, lookup

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet",
}
_SAMPLE_BYTES = 1 << 20  # read from the head of a file, and a quarter of it from its middle and tail
MAX_RECORD_LINES = 50  # a quoted field may hold line breaks (an address); across more, a quote is stray
COLUMNS_SAMPLE = 1000  # records of a JSON file whose keys are taken for its columns
ENCODINGS_TRIED = ("utf-8", "gb18030", "big5", "shift_jis", "utf-16", "cp1252")  # for a hint on bad bytes
# What surrogateescape decoding leaves for bytes the encoding could not read.
_SURROGATE = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")

csv.field_size_limit(sys.maxsize)  # long fields are rejected by the importer, with a reason


@dataclass
class SourceRow:
    number: int
    data: dict[str, Any] | None
    error: str | None = None  # the row cannot be loaded: why
    warnings: list[str] | None = None  # the row loads, but a reader noticed this (a formula without a value)


class RowSource:
    """An opened file: its format, encoding, rows, and progress through it (0..total)."""

    def __init__(self, path: Path, profile: Profile, encoding: str | None = None):
        self.path = path
        self.profile = profile
        self.max_chars = settings.MDM_MAX_FIELD_CHARS
        self.columns: list[str] = []  # the header, or the keys the records hold (JSON)
        self.filled: Counter[str] = Counter()  # rows with a value per column
        self.warnings: list[str] = []
        self.complete = True  # False: the file looks cut off (its last record damaged, no final newline)
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

    def _seen(self, data: dict[str, Any]) -> None:
        """Count the columns a row fills (for the warnings about columns no profile reads)."""
        for name, value in data.items():
            if value not in (None, "", [], {}):
                self.filled[name] += 1

    # -- CSV -------------------------------------------------------------------------------
    def _read_csv(self) -> Iterator[SourceRow]:
        self.total = self.path.stat().st_size
        with self.path.open("rb") as binary:
            sample = file_sample(binary, self.total)
            self.encoding = self.requested_encoding or detect_encoding(sample)
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ImportFailed(f"unknown encoding {self.encoding!r}") from None
            binary.seek(0)
            # surrogateescape keeps undecodable bytes so the row holding them can be rejected
            text = io.TextIOWrapper(binary, encoding=self.encoding, errors="surrogateescape", newline="")
            lines = _Lines(text, max_chars=self.max_chars)
            header, delimiter = self._csv_header(lines)
            if header is None:
                return
            self.columns = header
            self.profile.check_columns(header, found_as=self._found_as(header, delimiter))
            reader = csv.reader(lines, delimiter=delimiter)
            for row in _csv_records(reader, lines, header, delimiter, self.encoding):
                if row.number % 1000 == 0:
                    self.done = binary.tell()
                if row.data is not None and not row.error:
                    self._seen(row.data)
                yield row
            self.complete = lines.ends_with_newline or not lines.last_damaged

    def _csv_header(self, lines: _Lines) -> tuple[list[str] | None, str]:
        """The header row and the delimiter: the profile's, unless it reads the header as
        one column where another delimiter reads the key (an export saved with another
        separator); then that one, with a warning."""
        try:
            first = next(lines)
        except StopIteration:
            return None, self.profile.csv_delimiter or ","
        if first.startswith("\ufeff"):
            first = first[1:]
        if _has_surrogates(first):
            raise ImportFailed(f"the header is not valid {self.encoding}: {_encoding_hint(first, self.encoding)}")
        delimiter = self.profile.csv_delimiter or _sniff_delimiter(first)
        header = _split_header(first, delimiter)
        if len(header) == 1 and self.profile.csv_delimiter:
            sniffed = _sniff_delimiter(first)
            other = _split_header(first, sniffed)
            if sniffed != delimiter and self.profile.reads_key_from(other):
                self.warnings.append(
                    f"the profile expects {_delimiter_name(delimiter)}-separated columns, the file is "
                    f"{_delimiter_name(sniffed)}-separated: read as such"
                )
                delimiter, header = sniffed, other
        if len(set(header)) != len(header):
            raise ImportFailed(f"duplicate column names in the header: {header}")
        return header, delimiter

    def _found_as(self, header: list[str], delimiter: str) -> str:
        """What the header looks like when it does not fit the profile: a hint."""
        if len(header) == 1:
            sniffed = _sniff_delimiter(header[0])
            if sniffed != delimiter and len(header[0].split(sniffed)) > 1:
                return f"one column: the file looks {_delimiter_name(sniffed)}-separated"
            if "\x00" in header[0]:
                return "one column with NUL characters: the file looks UTF-16 encoded (give --encoding utf-16)"
        return ""

    # -- XLSX ------------------------------------------------------------------------------
    def _read_xlsx(self) -> Iterator[SourceRow]:
        """Typed cells keep their types (a date cell is a date, not text in the profile's
        date format). A formula without a cached value (a workbook saved by a program that
        does not compute formulas) is reported on its row, not silently read as empty: the
        workbook is read twice in step, for the values and for the formulas."""
        import openpyxl

        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            formulas = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportFailed(f"cannot open the workbook: {exc}") from None
        try:
            sheet = book.worksheets[0]
            self.total = sheet.max_row or 1
            rows = zip(sheet.iter_rows(values_only=True), formulas.worksheets[0].iter_rows(values_only=True),
                       strict=False)
            header: list[str] | None = None
            for number, (values, written) in enumerate(rows, start=1):
                self.done = number
                if header is None:
                    if any(v not in (None, "") for v in values):
                        header = [str(v).strip() if v is not None else "" for v in values]
                        self.columns = [h for h in header if h]
                        self.profile.check_columns(self.columns)
                    continue
                if all(v in (None, "") for v in values) and all(w in (None, "") for w in written):
                    continue
                yield self._xlsx_row(number, header, values, written)
        finally:
            book.close()
            formulas.close()

    def _xlsx_row(self, number: int, header: list[str], values: tuple[Any, ...], written: tuple[Any, ...]
                  ) -> SourceRow:
        row = {h: jsonable(v) for h, v in zip(header, values, strict=False) if h}
        self._seen(row)
        uncached = [h for h, v, w in zip(header, values, written, strict=False)
                    if h and v is None and isinstance(w, str) and w.startswith("=")]
        if uncached:
            return SourceRow(number, row, warnings=[
                f"formula without a computed value in {name} ({written[header.index(name)]}): read as empty; "
                "open and save the workbook in a spreadsheet program to compute it" for name in uncached
            ])
        return SourceRow(number, row)

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
        if isinstance(records, dict):  # one record where a list was declared: a saved webhook callback
            records = [records]
        if not isinstance(records, list):
            where = f"at {self.profile.records!r}" if self.profile.records else "at the top level"
            raise ImportFailed(f"expected a list of records {where} of the JSON document")
        self.total = len(records) or 1
        sample = records[:COLUMNS_SAMPLE]
        if self.profile.columns and any(isinstance(record, list) for record in sample):
            self.columns = list(self.profile.columns)
        else:
            self.columns = sorted({k for record in sample if isinstance(record, dict) for k in record})
        if records:
            self.profile.check_columns(self.columns)
        for number, record in enumerate(records, start=1):
            self.done = number
            yield self._json_row(number, record)

    def _json_row(self, number: int, record: Any) -> SourceRow:
        """A JSON record as a row: an object, or an array named by the profile's columns."""
        if self.profile.columns and isinstance(record, list):
            try:
                record = self.profile.record_of(record)
            except RowRejected as exc:
                return SourceRow(number, {"_value": record}, exc.message)
        if not isinstance(record, dict):
            return SourceRow(number, {"_value": record}, "a record must be a JSON object")
        self._seen(record)
        return SourceRow(number, record)

    def _read_jsonl(self) -> Iterator[SourceRow]:
        """The columns are the keys of the first COLUMNS_SAMPLE records, checked against the
        profile before any row is given out."""
        self.encoding = "utf-8"
        self.total = self.path.stat().st_size
        with self.path.open("rb") as binary:
            rows = self._jsonl_rows(binary)
            first = [row for _, row in zip(range(COLUMNS_SAMPLE), rows, strict=False)]
            self.columns = sorted({key for row in first if not row.error and row.data for key in row.data})
            if self.columns and first:
                self.profile.check_columns(self.columns)
            yield from itertools.chain(first, rows)

    def _jsonl_rows(self, binary: BinaryIO) -> Iterator[SourceRow]:
        line = b""
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
                self.complete = line.endswith(b"\n")  # a last line cut in two: the file was cut off
                yield SourceRow(number, {"_line": line.decode("utf-8", "replace")}, f"not valid JSON: {exc}")
                continue
            yield self._json_row(number, record)

    # -- Parquet ---------------------------------------------------------------------------
    def _read_parquet(self) -> Iterator[SourceRow]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            raise ImportFailed(f"cannot open the Parquet file: {exc}") from None
        self.total = parquet.metadata.num_rows or 1
        self.columns = list(parquet.schema_arrow.names)
        self.profile.check_columns(self.columns)
        number = 0
        for batch in parquet.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                self.done = number
                row = {k: jsonable(v) for k, v in record.items()}
                self._seen(row)
                yield SourceRow(number, row)


class _Lines:
    """The physical lines of a text file, remembering those the current record took, and
    stopping a record that runs across more than MAX_RECORD_LINES lines or `max_chars`."""

    def __init__(self, text: IO[str], *, max_chars: int):
        self.text = text
        self.max_chars = max_chars
        self.number = 0  # the last line read
        self.taken: list[str] = []
        self.chars = 0
        self.ends_with_newline = True
        self.last_damaged = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.text)
        self.number += 1
        self.taken.append(line)
        self.chars += len(line)
        self.ends_with_newline = line.endswith(("\n", "\r"))
        if len(self.taken) > MAX_RECORD_LINES or self.chars > self.max_chars + MAX_RECORD_LINES:
            raise _RunAway
        return line

    def start(self) -> int:
        """Start a record; returns its first line's number."""
        self.taken, self.chars = [], 0
        return self.number + 1


class _RunAway(Exception):
    """A record ran across too many lines or characters: a stray quote."""


def _csv_records(reader: Iterator[list[str]], lines: _Lines, header: list[str], delimiter: str,
                 encoding: str) -> Iterator[SourceRow]:
    """The rows after the header. A record that took several lines and does not have the
    header's number of fields, or that ran away, is read again line by line: each line that
    parses alone, with its quotes balanced, to the header's fields is a row, the others are
    rejected as damaged, so a stray quote costs only the lines it damages."""
    while True:
        first = lines.start()
        try:
            values: list[str] | None = next(reader)
        except StopIteration:
            return
        except (_RunAway, csv.Error):
            values = None
        taken = lines.taken
        if values is not None and (len(taken) == 1 or len(values) == len(header)):
            lines.last_damaged = len(values) != len(header)
            if values and values != [""] * len(values):
                row = _csv_row(first, values, header, encoding)
                if len(taken) == 1 and taken[0].count('"') % 2 and not row.error:
                    row.warnings = ["unbalanced quote in this line: read as the values shown"]
                yield row
            continue
        for offset, line in enumerate(taken):
            row = _line_alone(first + offset, line, header, delimiter, encoding)
            lines.last_damaged = row is not None and row.error is not None
            if row is not None:
                yield row


def _line_alone(number: int, line: str, header: list[str], delimiter: str, encoding: str) -> SourceRow | None:
    if not line.strip():
        return None
    if line.count('"') % 2:
        return SourceRow(number, {"_line": _printable(line.rstrip("\r\n"))},
                         "unbalanced quote: this line is rejected, the lines after it are read on their own")
    try:
        values = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        return SourceRow(number, {"_line": _printable(line.rstrip("\r\n"))}, f"malformed CSV: {exc}")
    return _csv_row(number, values, header, encoding)


def _csv_row(number: int, values: list[str], header: list[str], encoding: str) -> SourceRow:
    if len(values) != len(header):
        data = {"_fields": [_printable(v) for v in values]}
        return SourceRow(number, data, f"row has {len(values)} fields, the header has {len(header)}")
    row = dict(zip(header, values, strict=True))
    if _SURROGATE.search("".join(values)):
        bad = [k for k, v in row.items() if _has_surrogates(v)]
        shown = {k: _printable(v) for k, v in row.items()}
        hint = _encoding_hint(row[bad[0]], encoding)
        return SourceRow(number, shown, f"bytes not valid {encoding} in {', '.join(bad)}: {hint}")
    return SourceRow(number, row)


def _split_header(line: str, delimiter: str) -> list[str]:
    values = next(csv.reader([line], delimiter=delimiter), [])
    return [v.strip() for v in values]


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, repr(delimiter))


def _encoding_hint(text: str, encoding: str) -> str:
    """Which encoding reads the undecodable bytes of `text` (read as `encoding` with
    surrogateescape), for the message: give that one with --encoding."""
    raw = text.encode(encoding, "surrogateescape") if encoding.lower() not in ("utf-16",) else b""
    for candidate in ENCODINGS_TRIED:
        if candidate.replace("-", "") == encoding.replace("-", "").lower():
            continue
        try:
            shown = raw.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _NON_ASCII.search(shown) or "\x00" in shown:
            continue
        return f"they read as {candidate} ({shown.strip()[:30]!r}): give --encoding {candidate}"
    return "give the file's encoding with --encoding"


def file_sample(binary: BinaryIO, size: int) -> bytes:
    """A sample to detect the encoding from: the head of the file and, in a larger file,
    pieces of its middle and its tail (an export whose first megabyte is ASCII may hold
    Chinese further on)."""
    binary.seek(0)
    head = binary.read(_SAMPLE_BYTES)
    if size <= _SAMPLE_BYTES:
        return head
    pieces = [head]
    for start in (size // 2, max(size - _SAMPLE_BYTES // 4, _SAMPLE_BYTES)):
        binary.seek(start)
        piece = binary.read(_SAMPLE_BYTES // 4)
        pieces.append(piece[piece.find(b"\n") + 1 :])  # from a line start: no character cut in two
    return b"\n".join(pieces)


def detect_encoding(sample: bytes) -> str:
    """BOM first; then UTF-8 unless it clearly is not; then GB18030 (Chinese exports); then a
    statistical guess. A few bad bytes in a UTF-8 file keep it UTF-8: those rows get rejected."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample[:4096]:  # UTF-16 without a byte order mark: a NUL beside each ASCII byte
        head = sample[:4096]
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if odd > 0.3 * len(head) / 2 > 10 * even:
            return "utf-16-le"
        if even > 0.3 * len(head) / 2 > 10 * odd:
            return "utf-16-be"
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
