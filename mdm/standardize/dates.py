"""Dates and timestamps, as ISO 8601 text.

`std_date` reads the formats exports use without being told which (ISO 8601, Chinese,
SAP, epoch numbers, OData, English month names from data/months.txt) and refuses
ambiguous day/month orders; `parse_date` reads a profile's explicit format.
"""

from __future__ import annotations

import datetime as dt
import re

from mdm.standardize.tables import read_lines
from mdm.standardize.text import Standardized, _as_text, _cache_short, _empty, _quote, _repeating

MSG_DATE = "unparseable date: {raw}"
MSG_DATE_AMBIGUOUS = "ambiguous date {raw}: give the profile a date_format"
MSG_DATE_FORMAT = "date {raw} does not match format {fmt}"
# A date of birth is personal data and a record's issues are shown unmasked: its messages
# never hold the value.
MSG_BIRTH_DATE_UNREAD = "date of birth not read as a date: kept as written"
MSG_BIRTH_DATE_AMBIGUOUS = "ambiguous date of birth, kept as written: give the profile a date_format"
MSG_BIRTH_DATE_FORMAT = "date of birth does not match format {fmt}: kept as written"
MSG_BIRTH_DATE_TOO_LONG = "date of birth not read: text too long for a date, dropped"
MSG_BIRTH_DATE_RANGE = "implausible date of birth: before 1850 or after today"

_TIME = r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)? ?(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?)?"
_DATE_YMD_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME, re.IGNORECASE)
_DATE_CN_RE = re.compile(
    r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?" + _TIME.replace("[T ]+", "[T ]*"), re.IGNORECASE
)
_DATE_DMY_RE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})" + _TIME, re.IGNORECASE)
_DATE_NAMED_DMY_RE = re.compile(r"(\d{1,2})[- ./]*([a-z]{3,9})\.?[- ./,]*(\d{4}|\d{2})" + _TIME, re.IGNORECASE)
_DATE_NAMED_MDY_RE = re.compile(r"([a-z]{3,9})\.? ?(\d{1,2})(?:st|nd|rd|th)?,? ?(\d{4})" + _TIME, re.IGNORECASE)
_DATE_WEEKDAY_RE = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? ?", re.IGNORECASE)
_DATE_ODATA_RE = re.compile(r"\\?/Date\((-?\d{1,15})([+-]\d{4})?\)\\?/")
_DATE_ZERO_CHARS = frozenset("-0/.: T")  # SAP "00000000", MySQL "0000-00-00 00:00:00"


def _read_months() -> dict[str, int]:
    """Month name or abbreviation -> number, from data/months.txt."""
    months: dict[str, int] = {}
    for line in read_lines("months.txt"):
        number, *names = line.split()
        months.update(dict.fromkeys(names, int(number)))
    return months


_MONTHS = _read_months()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TIME_DIRECTIVE_RE = re.compile(r"%[HIMSfzpXcT]")


class _DateError(ValueError):
    """A date that cannot be read; args[0] is the problem message."""


def _format_datetime(value: dt.datetime) -> str:
    """Seconds precision; aware → UTC "+00:00"; naive midnight → date only
    (XLSX and ORMs hand dates over as midnight datetimes)."""
    value = value.replace(microsecond=0)
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(dt.UTC).isoformat()
    if value.time() == dt.time():
        return value.date().isoformat()
    return value.isoformat()


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text.lower() in ("z", "utc", "gmt"):
        return dt.UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return dt.timezone(-offset if text[0] == "-" else offset)


def _build_date(year: int, month: int, day: int, time: tuple[str | None, ...], local: bool = False) -> str:
    """`local`: the calendar date as written, its time and zone left out."""
    hour, minute, second, zone = time
    if hour is None or local:
        return dt.date(year, month, day).isoformat()
    value = dt.datetime(year, month, day, int(hour), int(minute or 0), int(second or 0), tzinfo=_zone(zone))
    return _format_datetime(value)


def _from_epoch(milliseconds: int) -> str:
    return _format_datetime(_EPOCH + dt.timedelta(milliseconds=milliseconds))


def _parse_date_text(text: str, local: bool = False) -> str | None:
    """ISO 8601 value of a date string; raises _DateError. `local`: a timestamp's calendar
    date as written (a date of birth is a day where the person was born, not an instant)."""
    if "0" in text and _DATE_ZERO_CHARS.issuperset(text):
        return None
    if text.isdigit() and text.isascii():
        if len(text) == 8:  # SAP DATS
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        if len(text) == 14:  # SAP timestamp YYYYMMDDhhmmss
            return _format_datetime(dt.datetime.strptime(text, "%Y%m%d%H%M%S"))
        if len(text) == 10:
            return _from_epoch(int(text) * 1000)
        if len(text) == 13:
            return _from_epoch(int(text))
        raise _DateError(MSG_DATE.format(raw=_quote(text)))
    if (m := _DATE_ODATA_RE.fullmatch(text)) is not None:
        # The OData v2 offset is informational: the milliseconds are UTC.
        return _from_epoch(int(m.group(1)))
    if (m := _DATE_YMD_RE.fullmatch(text) or _DATE_CN_RE.fullmatch(text)) is not None:
        return _build_date(int(m[1]), int(m[2]), int(m[3]), m.groups()[3:], local)
    if (m := _DATE_DMY_RE.fullmatch(text)) is not None:
        first, second = int(m[1]), int(m[3])
        # Dotted dates are day-first everywhere they are used (DE, RU, ...).
        if m[2] == "." or first > 12 or first == second:
            day, month = first, second
        elif second > 12:
            day, month = second, first
        else:
            raise _DateError(MSG_DATE_AMBIGUOUS.format(raw=_quote(text)))
        return _build_date(int(m[4]), month, day, m.groups()[4:], local)
    text = _DATE_WEEKDAY_RE.sub("", text)
    if (m := _DATE_NAMED_DMY_RE.fullmatch(text)) is not None and m[2].lower() in _MONTHS:
        year = int(m[3])
        if len(m[3]) == 2:  # Oracle DD-MON-RR
            year += 2000 if year < 50 else 1900
        return _build_date(year, _MONTHS[m[2].lower()], int(m[1]), m.groups()[3:], local)
    if (m := _DATE_NAMED_MDY_RE.fullmatch(text)) is not None and m[1].lower() in _MONTHS:
        return _build_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]), m.groups()[3:], local)
    raise _DateError(MSG_DATE.format(raw=_quote(text)))


def _parse_date_safe(text: str, local: bool = False) -> tuple[str | None, str | None]:
    """(value, problem) so that failures are cached too."""
    try:
        return _parse_date_text(text, local), None
    except _DateError as error:
        return None, error.args[0]
    except (ValueError, OverflowError):  # out-of-range parts: 2023-02-30, 25:00
        return None, MSG_DATE.format(raw=_quote(text))


_parse_date_cached = _cache_short(_parse_date_safe)


def std_date(raw: object) -> Standardized:
    """Date or timestamp. value: "YYYY-MM-DD" for dates; for times
    "YYYY-MM-DDTHH:MM:SS+00:00" converted to UTC when a zone is known, else
    naive "YYYY-MM-DDTHH:MM:SS"; seconds precision; a naive midnight is a
    date. Reads date/datetime objects, ISO 8601 ("2023-05-01T10:00:00.000Z",
    "2023-05-01 10:00:00+08:00"), "2023/5/1", "2023.05.01", "2023年5月1日",
    SAP "20230501" / "20230501103000" ("00000000" is empty), epoch seconds
    (10 digits) and milliseconds (13 digits), OData "/Date(ms[+0800])/",
    day- or month-first dates when unambiguous ("25/12/2023", "01.05.2023"
    is day-first), and English month names ("1 May 2023", "01-MAY-23",
    "May 1, 2023"). Ambiguous ("01/05/2023") or unreadable → fatal. parts: {}."""
    if isinstance(raw, bool):
        return Standardized(None, {}, (MSG_DATE.format(raw=_quote(str(raw))),), fatal=True)
    if isinstance(raw, dt.datetime):
        return _empty() if raw != raw else Standardized(_format_datetime(raw), {})
    if isinstance(raw, dt.date):
        return Standardized(raw.isoformat(), {})
    text = _as_text(raw)
    if text is None:
        return _empty()
    value, problem = _parse_date_cached(text)
    if problem is not None:
        return Standardized(None, {}, (problem,), fatal=True)
    return Standardized(value, {})


_BIRTH_EARLIEST = dt.date(1850, 1, 1)
_BIRTH_KEPT_CHARS = 32  # longer text is no mistyped date: dropped, and flagged


@_repeating
def std_birth_date(raw: object, fmt: str | None = None) -> Standardized:
    """A person's date of birth: read as `std_date`, a timestamp keeping the calendar date
    it was written with (its zone left out, never converted to UTC). value:
    "YYYY-MM-DD". A date of birth is evidence for matching even when mistyped: one that
    cannot be read (19731392, an ambiguous 01/05/1980) is kept as written and flagged,
    never fatal, as an invalid tax id is (text too long for a date is dropped, flagged); one
    before 1850 or after today is flagged. `fmt`: the profile's date_format, read by it
    (parse_date) under the same rules. parts: {}."""
    if isinstance(raw, dt.datetime) and raw == raw:
        raw = raw.date()
    text = _as_text(raw) if isinstance(raw, str) else None
    if fmt is not None:
        result = parse_date(raw, fmt)
    else:
        result = std_date(raw) if text is None else _birth_date_text(text)
    if result.fatal:
        text = _as_text(raw) or ""
        if len(text) > _BIRTH_KEPT_CHARS:
            return Standardized(None, {}, (MSG_BIRTH_DATE_TOO_LONG,))
        return Standardized(text, {}, (_birth_date_unread(text, fmt),))
    if result.value is None:
        return result
    value = result.value[:10]
    if not _BIRTH_EARLIEST.isoformat() <= value <= dt.date.today().isoformat():
        return Standardized(value, {}, (MSG_BIRTH_DATE_RANGE,))
    return Standardized(value, {})


def _birth_date_unread(text: str, fmt: str | None) -> str:
    if fmt is not None:
        return MSG_BIRTH_DATE_FORMAT.format(fmt=_quote(fmt))
    if _parse_date_cached(text)[1] == MSG_DATE_AMBIGUOUS.format(raw=_quote(text)):
        return MSG_BIRTH_DATE_AMBIGUOUS
    return MSG_BIRTH_DATE_UNREAD


def _birth_date_text(text: str) -> Standardized:
    """A date of birth written as text: its calendar date, a timestamp's zone left out
    ('1956-05-01T00:00:00+10:00' is 1 May, not 30 April in UTC)."""
    value, problem = _parse_date_safe(text, local=True)
    if problem is not None:
        return Standardized(None, {}, (problem,), fatal=True)
    return Standardized(value, {})


_ISO_CELL_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?")  # a date cell, read (readers.jsonable)


@_repeating
def parse_date(raw: object, fmt: str) -> Standardized:
    """Date with an explicit strptime format (a profile's date_format).
    Output as `std_date`: a date when `fmt` has no time directive. date and
    datetime objects are taken as they are, and so is the ISO 8601 text a spreadsheet's
    date cell is read as (2021-01-10T00:00:00): the format is the text's, a typed cell
    has none. Any other mismatch is fatal."""
    if isinstance(raw, dt.date):
        return std_date(raw)
    text = _as_text(raw)
    if text is None:
        return _empty()
    try:
        value = dt.datetime.strptime(text, fmt)
    except ValueError:
        if _ISO_CELL_RE.fullmatch(text):
            return parse_date(dt.datetime.fromisoformat(text), fmt)
        problem = MSG_DATE_FORMAT.format(raw=_quote(text), fmt=_quote(fmt))
        return Standardized(None, {}, (problem,), fatal=True)
    if not _TIME_DIRECTIVE_RE.search(fmt):
        return Standardized(value.date().isoformat(), {})
    return Standardized(_format_datetime(value), {})
