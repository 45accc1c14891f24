"""Files the hub writes for people to open (reject reports, exports): formula-safe cells,
private file modes.

A value a source sent is stored as received, even one a spreadsheet would run as a formula
(`=HYPERLINK(...)`, `-2+3+cmd|' /C calc'!A0`, and their full-width forms): real names start
with `@` or `-` too. Every file the hub writes neutralises such a cell instead, so opening
an export never runs what a source sent. Reports and exports hold master data: they are
written readable by their owner only.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# What a spreadsheet may read as the start of a formula or a DDE link: = + - @, a tab or a
# carriage return, and the full-width forms an input method types (＝ ＋ － ＠).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FILE_MODE = 0o600
DIR_MODE = 0o700


# What is flagged as a data-quality problem on ingest: an "=" start, or a +, - or @ start
# with a function call or a DDE link later (-2+3+cmd|' /C calc'!A0); a phone number such as
# "+49 30 1234567" is neutralised on export like any + start, but not flagged.
_FORMULA_RE = re.compile(r"\s*(?:[=\uff1d]|[+\-@\uff0b\uff0d\uff20].*[A-Za-z].*[(|!])", re.DOTALL)


def formula_like(value: Any) -> bool:
    """Whether a spreadsheet could take the value for a formula: neutralised in every file
    the hub writes."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def looks_like_formula(value: str) -> bool:
    """Whether a source value looks written to run as a formula (flagged on ingest)."""
    return _FORMULA_RE.match(value) is not None


def safe_cell(value: Any) -> Any:
    """The value as a cell no spreadsheet runs: a formula-looking text gets a leading
    apostrophe, which spreadsheets read as "text follows" and do not show."""
    return f"'{value}" if formula_like(value) else value


def private_dir(path: Path) -> Path:
    """Make a folder (and its parents) that only its owner can read."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


@contextmanager
def csv_file(path: Path, header: list[str]) -> Iterator[Any]:
    """A CSV writer to `path`, created readable by its owner only, UTF-8 with a BOM (so a
    spreadsheet reads Chinese right), every cell made safe."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.chmod(path, FILE_MODE)  # an existing file keeps its mode through O_CREAT
    with open(fd, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        yield _SafeWriter(writer)


class _SafeWriter:
    def __init__(self, writer: Any):
        self.writer = writer

    def writerow(self, row: list[Any]) -> None:
        self.writer.writerow([safe_cell(v) for v in row])

