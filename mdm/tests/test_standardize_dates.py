"""mdm.standardize.dates: dates with and without an explicit format; table-driven, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from mdm.standardize import (
    MSG_BIRTH_DATE_AMBIGUOUS,
    MSG_BIRTH_DATE_RANGE,
    MSG_BIRTH_DATE_UNREAD,
    Standardized,
    parse_date,
    standardize,
)

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2023-05-01", "2023-05-01"),
        ("2023-5-1", "2023-05-01"),
        ("2023-05-01T10:00:00Z", "2023-05-01T10:00:00+00:00"),
        ("2023-05-01T10:00:00.000Z", "2023-05-01T10:00:00+00:00"),
        ("2023-05-01T10:00:00.123456789Z", "2023-05-01T10:00:00+00:00"),
        ("2023-05-01 10:00:00+08:00", "2023-05-01T02:00:00+00:00"),
        ("2023-05-01T01:00:00+0800", "2023-04-30T17:00:00+00:00"),
        ("2023-05-01T10:00", "2023-05-01T10:00:00"),
        ("2023-05-01T10:00:00", "2023-05-01T10:00:00"),
        ("2023-05-01 00:00:00", "2023-05-01"),
        ("20230501", "2023-05-01"),
        ("20230501103000", "2023-05-01T10:30:00"),
        ("2023/5/1", "2023-05-01"),
        ("2023.05.01", "2023-05-01"),
        ("2023年5月1日", "2023-05-01"),
        ("2023 年 05 月 01 日", "2023-05-01"),
        ("2023年5月1日 10:30", "2023-05-01T10:30:00"),
        ("２０２３－０５－０１", "2023-05-01"),
        ("1682899200000", "2023-05-01T00:00:00+00:00"),
        ("1682899200", "2023-05-01T00:00:00+00:00"),
        (1682899200000, "2023-05-01T00:00:00+00:00"),
        (1682899200, "2023-05-01T00:00:00+00:00"),
        (1682899200000.0, "2023-05-01T00:00:00+00:00"),
        (20230501, "2023-05-01"),
        ("/Date(1682899200000)/", "2023-05-01T00:00:00+00:00"),
        ("/Date(1682899200000+0800)/", "2023-05-01T00:00:00+00:00"),
        ("\\/Date(1682899200000)\\/", "2023-05-01T00:00:00+00:00"),
        ("/Date(-86400000)/", "1969-12-31T00:00:00+00:00"),
        ("25/12/2023", "2023-12-25"),
        ("12/25/2023", "2023-12-25"),
        ("05/05/2023", "2023-05-05"),
        ("01.05.2023", "2023-05-01"),
        ("1 May 2023", "2023-05-01"),
        ("01-MAY-23", "2023-05-01"),
        ("01-Jan-99", "1999-01-01"),
        ("May 1, 2023", "2023-05-01"),
        ("September 30th, 2023", "2023-09-30"),
        ("Mon, 01 May 2023 10:00:00 GMT", "2023-05-01T10:00:00+00:00"),
        ("99991231", "9999-12-31"),
        (dt.date(2023, 5, 1), "2023-05-01"),
        (dt.datetime(2023, 5, 1), "2023-05-01"),
        (dt.datetime(2023, 5, 1, 10, 30, 15, 999), "2023-05-01T10:30:15"),
        (dt.datetime(2023, 5, 1, 10, 0, tzinfo=BEIJING), "2023-05-01T02:00:00+00:00"),
        (dt.datetime(2023, 5, 1, 0, 0, tzinfo=dt.UTC), "2023-05-01T00:00:00+00:00"),
    ],
)
def test_it_parses_dates(raw: object, value: str) -> None:
    assert standardize("date", raw) == Standardized(value, {})


@pytest.mark.parametrize("raw", ["00000000", "0000-00-00", "0000-00-00 00:00:00", "00.00.0000", "0"])
def test_it_reads_zero_dates_as_empty(raw: str) -> None:
    assert standardize("date", raw) == Standardized(None, {})


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("01/05/2023", "ambiguous date '01/05/2023': give the profile a date_format"),
        ("1-5-2023", "ambiguous date '1-5-2023': give the profile a date_format"),
        ("2023-02-30", "unparseable date: '2023-02-30'"),
        ("2023-13-01", "unparseable date: '2023-13-01'"),
        ("2023-05-01T25:00:00", "unparseable date: '2023-05-01T25:00:00'"),
        ("20231301", "unparseable date: '20231301'"),
        ("garbage", "unparseable date: 'garbage'"),
        ("2023-05", "unparseable date: '2023-05'"),
        ("01/05/23", "unparseable date: '01/05/23'"),
        ("1 Foo 2023", "unparseable date: '1 Foo 2023'"),
        ("123456", "unparseable date: '123456'"),
        (45047, "unparseable date: '45047'"),
        (True, "unparseable date: 'True'"),
        (1.5, "unparseable date: '1.5'"),
    ],
)
def test_it_rejects_unreadable_dates_as_fatal(raw: object, problem: str) -> None:
    assert standardize("date", raw) == Standardized(None, {}, (problem,), fatal=True)


@pytest.mark.parametrize(
    ("raw", "fmt", "value"),
    [
        ("01/05/2023", "%d/%m/%Y", "2023-05-01"),
        ("01/05/2023", "%m/%d/%Y", "2023-01-05"),
        ("01/05/2023 10:30", "%d/%m/%Y %H:%M", "2023-05-01T10:30:00"),
        ("01/05/2023 10:30 +0800", "%d/%m/%Y %H:%M %z", "2023-05-01T02:30:00+00:00"),
        ("2023-05-01 00:00", "%Y-%m-%d %H:%M", "2023-05-01"),
        (dt.date(2023, 5, 1), "%d/%m/%Y", "2023-05-01"),
    ],
)
def test_it_parses_dates_with_an_explicit_format(raw: object, fmt: str, value: str) -> None:
    assert parse_date(raw, fmt) == Standardized(value, {})


def test_it_rejects_dates_that_do_not_match_the_format() -> None:
    problem = "date '2023-05-01' does not match format '%d/%m/%Y'"
    assert parse_date("2023-05-01", "%d/%m/%Y") == Standardized(None, {}, (problem,), fatal=True)
    assert parse_date("  ", "%d/%m/%Y") == Standardized(None, {})


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("19671023", "1967-10-23"),
        ("1967-10-23T00:00:00", "1967-10-23"),
        ("1980-05-01T10:00:00Z", "1980-05-01"),
        ("23 October 1967", "1967-10-23"),
        ("1967年10月23日", "1967-10-23"),
        (dt.date(1967, 10, 23), "1967-10-23"),
    ],
)
def test_it_reads_a_birth_date_in_the_formats_exports_use(raw: object, value: str) -> None:
    assert standardize("birth_date", raw) == Standardized(value, {})


@pytest.mark.parametrize(
    "raw",
    [
        "1971-08-03T00:00:00+10:00",
        "1971-08-03 23:30:00-05:00",
        "03.08.1971 00:00 +09:30",
        dt.datetime(1971, 8, 3, tzinfo=dt.timezone(dt.timedelta(hours=10))),
    ],
)
def test_a_birth_date_keeps_the_calendar_date_it_was_written_with(raw: object) -> None:
    # an offset says where the day was, not another day: never converted to UTC
    assert standardize("birth_date", raw) == Standardized("1971-08-03", {})


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("19731392", MSG_BIRTH_DATE_UNREAD),
        ("01/05/1980", MSG_BIRTH_DATE_AMBIGUOUS),
    ],
)
def test_it_keeps_a_birth_date_it_cannot_read_as_written_and_flags_it(raw: str, problem: str) -> None:
    # a mistyped date of birth is still evidence for matching: never a rejected row
    result = standardize("birth_date", raw)
    assert result == Standardized(raw, {}, (problem,))


def test_it_flags_an_implausible_birth_date() -> None:
    assert standardize("birth_date", "1700-01-01").problems == (MSG_BIRTH_DATE_RANGE,)
    assert standardize("birth_date", "2999-01-01").value == "2999-01-01"
    assert standardize("birth_date", "  ") == Standardized(None, {})


def test_it_drops_text_too_long_for_a_mistyped_birth_date() -> None:
    result = standardize("birth_date", "born in the spring of the year the war ended")
    assert result.value is None and not result.fatal and result.problems
