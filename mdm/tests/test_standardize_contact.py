"""mdm.standardize.contact: phone numbers, e-mail addresses and websites; table-driven, no database."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from mdm.standardize import MSG_EMAIL, MSG_PHONE, MSG_URL, Standardized, standardize
from mdm.standardize.contact import _PHONE_KINDS, _parse_phone
from mdm.standardize.text import _as_text

# --- phone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "kind", "extension", "others"),
    [
        ("0755-28780808", "+8675528780808", "fixed", None, None),
        ("(0755)28780808", "+8675528780808", "fixed", None, None),
        ("（０７５５）２８７８０８０８", "+8675528780808", "fixed", None, None),
        ("+86-755-28780808", "+8675528780808", "fixed", None, None),
        ("+86 (0) 755 2878 0808", "+8675528780808", "fixed", None, None),
        ("0086 755 28780808", "+8675528780808", "fixed", None, None),
        ("13800138000", "+8613800138000", "mobile", None, None),
        ("86 138 0013 8000", "+8613800138000", "mobile", None, None),
        ("１３８ ００１３ ８０００", "+8613800138000", "mobile", None, None),
        ("Tel: 138-0013-8000", "+8613800138000", "mobile", None, None),
        ("手机：13800138000", "+8613800138000", "mobile", None, None),
        (13800138000, "+8613800138000", "mobile", None, None),
        (13800138000.0, "+8613800138000", "mobile", None, None),
        ("0755-28780808转123", "+8675528780808", "fixed", "123", None),
        ("0755-28780808 分机 8001", "+8675528780808", "fixed", "8001", None),
        ("+86 755 2878 0808 ext. 123", "+8675528780808", "fixed", "123", None),
        ("0755-28780808-8001", "+8675528780808", "fixed", "8001", None),  # valid without "-8001"
        ("010-12345678 / 13800138000", "+861012345678", "fixed", None, "+8613800138000"),
        ("13800138000；13900139000、13700137000", "+8613800138000", "mobile", None, "+8613900139000,+8613700137000"),
        ("13800138000\n13800138000", "+8613800138000", "mobile", None, None),
        ("0755-28780808/9", "+8675528780808", "fixed", None, None),
        ("400-820-8820", "+864008208820", "other", None, None),
        ("+1 650 253 0000", "+16502530000", "other", None, None),
        ("+49 30 1234567", "+49301234567", "fixed", None, None),
    ],
)
def test_it_parses_phone_numbers(
    raw: object, value: str | None, kind: str | None, extension: str | None, others: str | None
) -> None:
    result = standardize("phone", raw)
    assert result.value == value
    if value is None:
        assert result.parts == {}
        assert result.problems
    else:
        assert result.parts == {"kind": kind, "extension": extension, "others": others}


@pytest.mark.parametrize("raw", ["123", "abc", "12345678901234567890123", "0000000", True])
def test_it_rejects_invalid_phone_numbers(raw: object) -> None:
    result = standardize("phone", raw)
    assert result == Standardized(None, {}, (MSG_PHONE.format(raw=f"'{_as_text(raw)}'"),))


def test_it_keeps_the_digits_of_an_invalid_number_for_comparison_and_flags_it() -> None:
    result = standardize("phone", "Tel: 010-1234-567")
    assert result.value == "0101234567" and result.parts["kind"] == "invalid"
    assert result.problems == ("not a valid phone number: 'Tel: 010-1234-567'",)


def test_it_reports_invalid_pieces_beside_a_valid_number() -> None:
    result = standardize("phone", "12345 / 13800138000")
    assert result.value == "+8613800138000"
    assert result.problems == ("not a valid phone number: '12345'",)


def test_it_reads_national_numbers_in_the_given_region() -> None:
    assert standardize("phone", "030 1234567", phone_region="DE").value == "+49301234567"
    assert standardize("phone", "(650) 253-0000", phone_region="us").value == "+16502530000"
    assert standardize("phone", "+86 138 0013 8000", phone_region="DE").value == "+8613800138000"


# --- email, url -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "domain", "others"),
    [
        ("Zhang@Huawei.com", "zhang@huawei.com", "huawei.com", None),
        (" zhang＠huawei．com ", "zhang@huawei.com", "huawei.com", None),
        ("mailto:a.b+tag@sub.example.com.cn", "a.b+tag@sub.example.com.cn", "sub.example.com.cn", None),
        ("a@b.com; c@d.org, e@f.net", "a@b.com", "b.com", "c@d.org,e@f.net"),
        ("a@b.com / a@b.com", "a@b.com", "b.com", None),
        ("Zhang San <zs@x.com>", "zs@x.com", "x.com", None),
        ("a@b.com, Zhang<z@x.com>", "a@b.com", "b.com", "z@x.com"),
        ("张三 <zs@x.com>；李四 <ls@x.com>", "zs@x.com", "x.com", "ls@x.com"),
        ("\u200binfo@example.de.", "info@example.de", "example.de", None),
        ("用户@例子.中国", "用户@例子.中国", "例子.中国", None),
    ],
)
def test_it_parses_email_addresses(raw: str, value: str, domain: str, others: str | None) -> None:
    assert standardize("email", raw) == Standardized(value, {"domain": domain, "others": others})


@pytest.mark.parametrize("raw", ["bad@", "a@b", "x y", "a@@b.com", "@b.com", "a@b..com", "a@-b.com", "a@b.c"])
def test_it_rejects_invalid_email_addresses(raw: str) -> None:
    result = standardize("email", raw)
    assert result.value is None and result.parts == {}
    assert MSG_EMAIL.format(raw=f"'{raw}'") in result.problems


@pytest.mark.parametrize(
    ("raw", "value", "domain"),
    [
        ("https://www.Huawei.com/cn/", "huawei.com/cn", "huawei.com"),
        ("HTTP://WWW.HUAWEI.COM", "huawei.com", "huawei.com"),
        ("huawei.com", "huawei.com", "huawei.com"),
        ("www.huawei.com/", "huawei.com", "huawei.com"),
        ("http://www.example.com.cn/a/B?b=1#c", "example.com.cn/a/B", "example.com.cn"),
        ("https://user:pw@shop.bbc.co.uk:8080/news/", "shop.bbc.co.uk/news", "bbc.co.uk"),
        ("//cdn.example.org/x", "cdn.example.org/x", "example.org"),
        ("ｗｗｗ．ｔｅｎｃｅｎｔ．ｃｏｍ", "tencent.com", "tencent.com"),
        ("www.a.com; www.b.com", "a.com", "a.com"),
        ("http://192.168.1.1/admin", "192.168.1.1/admin", "192.168.1.1"),
    ],
)
def test_it_normalises_urls(raw: str, value: str, domain: str) -> None:
    assert standardize("url", raw) == Standardized(value, {"domain": domain})


@pytest.mark.parametrize("raw", ["foo", "http://", "见官网", "localhost"])
def test_it_rejects_invalid_urls(raw: str) -> None:
    assert standardize("url", raw) == Standardized(None, {}, (MSG_URL.format(raw=f"'{raw}'"),))


def test_the_quick_reading_of_chinese_numbers_agrees_with_phonenumbers() -> None:
    """_parse_phone takes the common Chinese shapes apart itself; on any digits, in any
    region, it must give what phonenumbers.parse gives."""

    def by_phonenumbers(number: str, region: str) -> tuple[str, str] | None:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            return None
        kind = phonenumbers.number_type(parsed)
        if kind == phonenumbers.PhoneNumberType.UNKNOWN:
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), _PHONE_KINDS.get(kind, "other")

    rng = random.Random(7)
    heads = ["1", "13", "15", "18", "179", "0", "01", "010", "021", "0755", "0086", "+86", "+860", "+8610", "86", "+49"]
    numbers = {rng.choice(heads) + "".join(rng.choices("0123456789", k=rng.randint(4, 12))) for _ in range(20_000)}
    for number in sorted(numbers):
        for region in ("CN", "DE", "US"):
            assert _parse_phone.__wrapped__(number, region) == by_phonenumbers(number, region), (number, region)


@pytest.mark.parametrize(
    ("raw", "value", "extension"),
    [
        ("(029)58095010-5278", "+862958095010", "5278"),
        ("021 76178316-6454", "+862176178316", "6454"),
        ("0595-8448 4787*2", "+8659584484787", "2"),
        ("0086-23-41767715-5918", "+862341767715", "5918"),
        ("+86(931)3578797*2058", "+869313578797", "2058"),
        ("010-12345678-8001", "+861012345678", "8001"),
        ("0755-2878080-8", "+8675528780808", None),  # valid with the last digits: they are the number's
    ],
)
def test_an_extension_after_a_dash_or_star_is_read_when_the_number_is_valid_without_it(raw, value, extension):
    result = standardize("phone", raw)
    assert (result.value, result.parts["extension"], result.problems) == (value, extension, ())


@pytest.mark.parametrize(
    ("raw", "region", "value", "others"),
    [
        ("030/1234567", "DE", "+49301234567", None),  # a slash after an area code
        ("0160/15725409", "DE", "+4916015725409", None),
        ("06/47535970", "IT", "+390647535970", None),
        ("0755-28780808/13800138000", "CN", "+8675528780808", "+8613800138000"),  # a slash between numbers
    ],
)
def test_a_slash_after_an_area_code_does_not_split_the_number(raw, region, value, others):
    result = standardize("phone", raw, phone_region=region)
    assert (result.value, result.parts["others"], result.problems) == (value, others, ())
