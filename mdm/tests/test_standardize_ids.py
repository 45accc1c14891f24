"""mdm.standardize.ids: tax ids, bank accounts and GTINs against independent checks; no database."""

from __future__ import annotations

import random

import pytest

from mdm.domains import get_domain
from mdm.standardize import (
    MSG_NATIONAL_ID_CHECK,
    MSG_NATIONAL_ID_FLOAT,
    MSG_NATIONAL_ID_PLACEHOLDER,
    MSG_USCC_CHECK,
    Standardized,
    standardize,
)
from mdm.standardize.ids import registration_core, registration_number, registration_space, std_tax_id

# --- tax_id -------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def independent_uscc_check(body: str) -> str:
    """GB 32100-2015 written differently: the weights are 3**i mod 31."""
    total = sum(USCC_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def random_uscc_bodies(count: int) -> list[str]:
    rng = random.Random(32100)
    bodies = []
    for _ in range(count):
        area = "".join(rng.choice("0123456789") for _ in range(6))
        org = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        bodies.append(rng.choice("159Y") + rng.choice("123") + area + org)
    return bodies


# Published codes (check characters verified with independent_uscc_check).
REAL_USCC = {
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91440300100012316L": "中国平安保险（集团）股份有限公司",
}


@pytest.mark.parametrize("code", sorted(REAL_USCC))
def test_it_accepts_real_unified_social_credit_codes(code: str) -> None:
    assert independent_uscc_check(code[:17]) == code[17]
    assert standardize("tax_id", code) == Standardized(code, {"kind": "uscc", "valid": True})
    assert standardize("tax_id", f" {code[:4]}-{code[4:10]} {code[10:].lower()} ").value == code


def test_it_validates_generated_codes_against_an_independent_checksum() -> None:
    for body in random_uscc_bodies(300):
        code = body + independent_uscc_check(body)
        assert standardize("tax_id", code).parts == {"kind": "uscc", "valid": True}, code
        wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[17]) + 1) % 31]
        result = standardize("tax_id", body + wrong)
        assert result.value == body + wrong
        assert result.problems == (MSG_USCC_CHECK.format(expected=code[17], got=wrong),)


@pytest.mark.parametrize(
    ("raw", "value", "kind", "valid", "problems"),
    [
        (
            "91440300708461136X",
            "91440300708461136X",
            "uscc",
            False,
            ("invalid unified social credit code check character: expected T, got X",),
        ),
        (
            "9144030070846113OT",
            "9144030070846113OT",
            "uscc",
            False,
            ("invalid characters in unified social credit code: O",),
        ),
        ("９１４４０３００１９２２０３８２１６", "914403001922038216", "uscc", True, ()),
        ("440301103097413", "440301103097413", "cn_old_licence", None, ()),
        ("11010519491231002X", "11010519491231002X", "cn_resident_id", True, ()),
        ("DE 811 569 869", "DE811569869", "vat", True, ()),  # checked for what it claims to be
        ("DE 123 456 789", "DE123456789", "vat", False, ("invalid VAT number check digits: 'DE123456789'",)),
        ("GB980.7806.84", "GB980780684", "vat", True, ()),
        ("ATU13585627", "ATU13585627", "vat", True, ()),
        ("04-2103594", "042103594", "us_ein", True, ()),
        ("07-2103594", "072103594", "us_ein", False,
         ("not an employer identification number the IRS assigns (prefix 07): '07-2103594'",)),
        ("5835678256246", "5835678256246", "jp_corporate_number", True, ()),
        ("1234567890123", "1234567890123", "other", None, ()),  # 13 digits failing the check: anything
        ("70846113-6", "708461136", "cn_org_code", True, ()),  # a pre-2015 organisation code
        ("70846113-5", "708461135", "cn_org_code", False, ()),
        (440301103097413, "440301103097413", "cn_old_licence", None, ()),
    ],
)
def test_it_classifies_tax_ids(
    raw: object, value: str, kind: str, valid: bool | None, problems: tuple[str, ...]
) -> None:
    assert standardize("tax_id", raw) == Standardized(value, {"kind": kind, "valid": valid}, problems)


def test_it_flags_tax_ids_that_went_through_a_float() -> None:
    result = standardize("tax_id", 9.14403001922038e17)
    assert "floating-point" in result.problems[0]


# --- bank_account, gtin -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "iban_valid", "problems"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", True, ()),
        ("gb82-west-1234-5698-7654-32", "GB82WEST12345698765432", True, ()),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606", True, ()),
        ("NL91ABNA0417164300", "NL91ABNA0417164300", True, ()),
        (
            "DE89370400440532013001",
            "DE89370400440532013001",
            False,
            ("invalid IBAN check digits: 'DE89370400440532013001'",),
        ),
        ("6222 0212 3456 7890 123", "6222021234567890123", None, ()),
        ("６２２２－０２１２", "62220212", None, ()),
        (6222021234567890, "6222021234567890", None, ()),
    ],
)
def test_it_normalises_bank_accounts(
    raw: object, value: str, iban_valid: bool | None, problems: tuple[str, ...]
) -> None:
    assert standardize("bank_account", raw) == Standardized(value, {"iban_valid": iban_valid}, problems)


def test_it_flags_bank_accounts_that_went_through_a_float() -> None:
    result = standardize("bank_account", 6.222021234567891e18)
    assert result.parts == {"iban_valid": None}
    assert "floating-point" in result.problems[0]


def independent_gs1_check(body: str) -> str:
    weights = [3 if i % 2 == 0 else 1 for i in range(len(body))][::-1]  # 3 on the digit next to the check
    return str((10 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 10) % 10)


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        ("4006381333931", "04006381333931", True),
        ("9780306406157", "09780306406157", True),
        ("036000291452", "00036000291452", True),
        ("96385074", "00000096385074", True),
        ("10614141000415", "10614141000415", True),
        ("4006-3813-3393-1", "04006381333931", True),
        ("４００６３８１３３３９３１", "04006381333931", True),
        (4006381333931, "04006381333931", True),
        (36000291452, "00036000291452", True),  # UPC-A whose leading zero a spreadsheet dropped
        (4006381333931.0, "04006381333931", True),
    ],
)
def test_it_validates_gtins(raw: object, value: str, valid: bool) -> None:
    assert standardize("gtin", raw) == Standardized(value, {"valid": valid})


def test_it_agrees_with_an_independent_gs1_check() -> None:
    rng = random.Random(1)
    for length in (8, 12, 13, 14):
        for _ in range(100):
            body = "".join(rng.choice("0123456789") for _ in range(length - 1))
            good = body + independent_gs1_check(body)
            assert standardize("gtin", good) == Standardized(good.zfill(14), {"valid": True})
            bad = body + str((int(good[-1]) + 1) % 10)
            assert standardize("gtin", bad).parts == {"valid": False}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("4006381333932", "invalid GTIN check digit: expected 1, got 2"),
        ("36000291452", "not a GTIN (8, 12, 13 or 14 digits): '36000291452'"),
        ("abc123", "not a GTIN (8, 12, 13 or 14 digits): 'abc123'"),
        ("123456789012345", "not a GTIN (8, 12, 13 or 14 digits): '123456789012345'"),
    ],
)
def test_it_flags_invalid_gtins(raw: str, problem: str) -> None:
    result = standardize("gtin", raw)
    assert result.parts == {"valid": False}
    assert result.problems == (problem,)
    assert result.value == raw


@pytest.mark.parametrize(
    "first, second, country",
    [
        ("53340817-2", "914301105334081728", "CN"),  # a pre-2015 organisation code inside its USCC
        ("FR85498259795", "49825979500090", "FR"),  # SIREN inside the VAT id and the SIRET
        ("DE187355255", "187355255", "DE"),  # a VAT id and its national number
        ("ESA86559911", "A86559911", "ES"),
        ("T5835678256246", "5835678256246", "JP"),  # a qualified invoice number: T and the corporate number
        ("SE556036079301", "556036-0793", "SE"),  # a Swedish VAT id: the organisation number and 01
        ("91430110533408172", "914301105334081728", "CN"),  # a USCC that lost its check character
    ],
)
def test_two_ids_of_one_registration_share_it(first, second, country):
    cores = {registration_core(s.value, s.parts["kind"], country) for s in (std_tax_id(first), std_tax_id(second))}
    assert len(cores) == 1 and None not in cores


def test_ids_of_two_registrations_do_not():
    a, b = std_tax_id("914301105334081728"), std_tax_id("914301107483378850")
    assert registration_core(a.value, a.parts["kind"]) != registration_core(b.value, b.parts["kind"])
    assert registration_core("187355255", "other", "AT") != registration_core("DE187355255", "vat", "DE")


@pytest.mark.parametrize(
    "first, second, country",
    [
        ("53340817-2", "9143011058073021X8", "CN"),  # an organisation code and a USCC
        ("440301533408172", "9143011058073021X8", "CN"),  # a 15-character tax registration and a USCC
        ("49825979500090", "FR85498259795", "FR"),  # a SIRET and a VAT id
        ("DE187355255", "DE136695976", "DE"),
    ],
)
def test_ids_of_one_numbering_share_a_space(first, second, country):
    spaces = {registration_space(s.value, s.parts["kind"], country) for s in (std_tax_id(first), std_tax_id(second))}
    assert len(spaces) == 1 and None not in spaces


@pytest.mark.parametrize(
    "first, second, country",
    [
        ("DE187355255", "143/815/08155", "DE"),  # a VAT id and a Steuernummer
        ("GB980780684", "SC123456", "GB"),  # a VAT number and a company number
        ("NL004495445B01", "34183466", "NL"),  # a VAT id and a KvK number
    ],
)
def test_ids_of_two_numberings_do_not(first, second, country):
    a, b = std_tax_id(first), std_tax_id(second)
    first_space = registration_space(a.value, a.parts["kind"], country)
    assert first_space != registration_space(b.value, b.parts["kind"], country)
    assert registration_space(None, None, country) is None


@pytest.mark.parametrize(
    "tax_id, country, number",
    [
        ("DE715215267", "DE", "715215267"),
        ("715215267", None, "715215267"),  # no country: read as an organisation code, the number as written
        ("ESB64024300", "ES", "B64024300"),
        ("B64024300", None, "B64024300"),
        ("FR36624976755", "FR", "624976755"),  # the SIREN
        ("914301105334081728", "CN", "533408172"),  # the organisation code a USCC embeds
        ("T5835678256246", "JP", "5835678256246"),
    ],
)
def test_the_registration_number_leaves_the_country_prefix_out(tax_id, country, number):
    s = std_tax_id(tax_id)
    assert registration_number(s.value, s.parts["kind"], country) == number


@pytest.mark.parametrize(
    ("raw", "value", "valid"),
    [
        ("123-45-6789", "123456789", None),  # a US social security number
        (" 5550417 ", "5550417", None),
        ("AB 12 34 56 C", "AB123456C", None),  # a British national insurance number
        ("E1234567/8", "E12345678", None),
        ("11010519491231002x", "11010519491231002X", True),  # a PRC resident identity number
    ],
)
def test_it_normalises_national_ids(raw: str, value: str, valid: bool | None) -> None:
    assert standardize("national_id", raw) == Standardized(value, {"valid": valid})


def test_it_flags_a_resident_identity_number_whose_check_fails_and_keeps_it() -> None:
    result = standardize("national_id", "110105194912310021")
    assert result.value == "110105194912310021"
    assert result.parts == {"valid": False}
    assert result.problems == (MSG_NATIONAL_ID_CHECK,)


def test_it_reads_a_national_id_of_one_repeated_character_as_missing() -> None:
    assert standardize("national_id", "000-00-0000") == Standardized(
        None, {}, (MSG_NATIONAL_ID_PLACEHOLDER,))


@pytest.mark.parametrize("raw", ["UNKNOWN", "unknown", "NA", "N/A", "NONE", "TBD", "-", "n.a."])
def test_it_reads_a_national_id_without_a_digit_as_missing(raw: str) -> None:
    result = standardize("national_id", raw)
    assert result.value is None
    assert not result.fatal


@pytest.mark.parametrize(
    ("attribute", "raw"),
    [
        ("national_id", "110105194912310021"),  # check character wrong
        ("national_id", 9.123456789012345e17),  # a spreadsheet number, digits lost
        ("birth_date", "19731392"),
        ("birth_date", "04/07/1973"),  # ambiguous
        ("birth_date", "1712-07-04"),  # implausible
    ],
)
def test_the_issues_of_a_personal_attribute_never_hold_its_value(attribute, raw):
    # a record's issues are shown to whoever may see the record, unmasked
    attributes, issues = get_domain("customer").standardize({"name": "Ann Lee", attribute: raw}, phone_region="AU")
    assert issues[attribute]
    shown = " ".join(issues[attribute])
    for text in {str(raw), str(attributes.get(attribute)), "1973", "1712", "912345678901", "1949"} - {"None"}:
        assert text not in shown


@pytest.mark.parametrize("raw", ["5550417.0", "5.550417E6", "5.550417e+06", 5550417.0])
def test_it_reads_a_national_id_a_spreadsheet_made_a_number_of_and_flags_it(raw: object) -> None:
    assert standardize("national_id", raw) == Standardized("5550417", {"valid": None}, (MSG_NATIONAL_ID_FLOAT,))
