"""Identifiers with their real check digits: Chinese unified social credit codes and the
organisation codes inside them, EU VAT numbers, ABN, EIN, Japanese corporate numbers,
IBAN, CNAPS bank codes and GTIN-13.

Every generator takes a random.Random so a seed fixes the output; every check-digit
scheme has a validator so the generator can be checked (``python -m bench.heldout.ids``).
"""

from __future__ import annotations

import random
import string

# -- China ------------------------------------------------------------------------------
# GB 32100-2015: 18 characters from this 31-character alphabet (no I, O, S, V, Z).
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997 organisation code: 8 body characters and a check character.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body: str) -> str:
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip(ORG_WEIGHTS, body, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def make_org_body(rng: random.Random, post2015: bool) -> str:
    """8 characters. Codes given out with a USCC after the 2015 reform start with MA;
    older ones are mostly digits (a few regions used letters)."""
    if post2015:
        tail = "".join(rng.choice(USCC_CHARS[:10] * 3 + USCC_CHARS[10:]) for _ in range(6))
        return "MA" + tail
    if rng.random() < 0.9:
        return "".join(rng.choice(string.digits) for _ in range(8))
    return "".join(rng.choice(USCC_CHARS) for _ in range(8))


def uscc_check(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    c = 31 - total % 31
    return USCC_CHARS[0 if c == 31 else c]


def make_uscc(rng: random.Random, admin_code: str, kind: str = "91", post2015: bool = False) -> tuple[str, str]:
    """(USCC, organisation code 'XXXXXXXX-X'). The org code is USCC positions 9-17."""
    while True:
        body = make_org_body(rng, post2015)
        check = org_code_check(body)
        if check in USCC_CHARS:  # always true: X and digits are in the alphabet
            break
    first17 = kind + admin_code + body + check
    return first17 + uscc_check(first17), f"{body}-{check}"


def valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    return uscc_check(code[:17]) == code[17] and org_code_check(code[8:16]) == code[16]


def valid_org_code(code: str) -> bool:
    body, _, check = code.partition("-")
    return len(body) == 8 and org_code_check(body) == check


def cnaps_code(rng: random.Random, bank3: str, city4: str) -> str:
    """12-digit CNAPS (联行号): bank, city, branch, check digit (shown, not verified)."""
    return bank3 + city4 + f"{rng.randrange(10000):04d}" + str(rng.randrange(10))


# -- EU VAT and other national ids -------------------------------------------------------
def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if _luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


def de_vat(rng: random.Random) -> str:
    """DE + 9 digits, ISO 7064 MOD 11,10 check."""
    body = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
    return "DE" + body + _de_check(body)


def _de_check(body: str) -> str:
    product = 10
    for c in body:
        s = (int(c) + product) % 10 or 10
        product = (2 * s) % 11
    check = 11 - product
    return "0" if check == 10 else str(check % 10)


def fr_siren(rng: random.Random) -> str:
    return _luhn_complete(str(rng.randint(3, 9)) + "".join(rng.choice(string.digits) for _ in range(7)))


def fr_siret(rng: random.Random, siren: str) -> str:
    return _luhn_complete(siren + f"{rng.randint(1, 99):04d}")


def fr_vat(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def nl_vat(rng: random.Random) -> str:
    while True:
        body = "".join(rng.choice(string.digits) for _ in range(8))
        check = sum(int(c) * w for c, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10 and body[0] != "0":
            return f"NL{body}{check}B{rng.choice(['01', '01', '01', '02', '03'])}"


def gb_vat(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(6))
    total = sum(int(c) * w for c, w in zip(body, range(8, 1, -1), strict=True))
    check = (-total) % 97
    return f"GB{body}{check:02d}"


def it_vat(rng: random.Random) -> str:
    body = f"{rng.randrange(10**7):07d}" + rng.choice(["015", "017", "037", "080", "001", "097", "100", "063"])
    total = 0
    for i, c in enumerate(body):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return "IT" + body + str((10 - total % 10) % 10)


def es_cif(rng: random.Random, letter: str = "B") -> str:
    digits = rng.choice(["28", "08", "46", "41", "48", "50", "86", "64", "65"]) + f"{rng.randrange(10**5):05d}"
    even = sum(int(digits[i]) for i in (1, 3, 5))
    odd = sum(sum(divmod(int(digits[i]) * 2, 10)) for i in (0, 2, 4, 6))
    return letter + digits + str((10 - (even + odd) % 10) % 10)


def se_orgnr(rng: random.Random) -> str:
    return _luhn_complete("556" + "".join(rng.choice(string.digits) for _ in range(6)))


def us_ein(rng: random.Random) -> str:
    prefix = rng.choice(
        ["13", "20", "26", "27", "36", "38", "46", "47", "52", "56", "61", "75", "81", "84", "94", "95"]
    )
    return f"{prefix}-{rng.randrange(10**7):07d}"


def au_abn(rng: random.Random) -> str:
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    rest = [rng.randrange(10) for _ in range(9)]
    partial = sum(d * w for d, w in zip(rest, weights[2:], strict=True))
    v = (-partial) % 89
    d1, d2 = v // 10 + 1, v % 10
    return "".join(str(d) for d in [d1, d2, *rest])


def valid_abn(abn: str) -> bool:
    digits = [int(c) for c in abn if c.isdigit()]
    if len(digits) != 11:
        return False
    digits[0] -= 1
    return sum(d * w for d, w in zip(digits, (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19), strict=True)) % 89 == 0


def jp_corporate_number(rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits) for _ in range(12))
    total = sum(int(c) * (1 if n % 2 else 2) for n, c in enumerate(reversed(body), start=1))
    return str(9 - total % 9) + body


def gb_company_number(rng: random.Random, scotland: bool) -> str:
    return ("SC" + f"{rng.randrange(10**6):06d}") if scotland else f"{rng.randrange(10**8):08d}"


# -- Banks -----------------------------------------------------------------------------
IBAN_BBAN = {  # country: pattern of the BBAN: n = digit, a = upper letter, c = alnum
    "DE": "nnnnnnnnnnnnnnnnnn",
    "FR": "nnnnnnnnnnnnnnnnnnnnnnn",
    "NL": "aaaannnnnnnnnn",
    "GB": "aaaannnnnnnnnnnnnn",
    "IT": "annnnnnnnnnnnnnnnnnnnnn",
    "ES": "nnnnnnnnnnnnnnnnnnnn",
    "SE": "nnnnnnnnnnnnnnnnnnnn",
}


def iban(rng: random.Random, country: str, bank: str = "") -> str:
    pattern = IBAN_BBAN[country]
    bban = list(bank)
    for ch in pattern[len(bank) :]:
        bban.append(rng.choice(string.digits if ch == "n" else string.ascii_uppercase))
    bban = "".join(bban)
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def valid_iban(value: str) -> bool:
    value = value.replace(" ", "")
    rearranged = value[4:] + value[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def group4(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


# -- Products --------------------------------------------------------------------------
def gtin13(rng: random.Random, prefix: str) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(12 - len(prefix)))
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def valid_gtin(code: str) -> bool:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(code[:-1]))
    return (10 - total % 10) % 10 == int(code[-1])


if __name__ == "__main__":  # self-check of the check-digit schemes
    r = random.Random(1)
    for _ in range(2000):
        u, o = make_uscc(r, "370102", post2015=r.random() < 0.5)
        assert valid_uscc(u) and valid_org_code(o) and u[8:17] == o.replace("-", ""), (u, o)
        assert valid_abn(au_abn(r))
        assert valid_iban(iban(r, r.choice(list(IBAN_BBAN))))
        assert valid_gtin(gtin13(r, "690"))
        assert _luhn_ok(fr_siren(r)) and _luhn_ok(se_orgnr(r))
    # published examples
    assert valid_uscc("91350100M000100Y43") and valid_abn("51824753556")
    assert _de_check("13669597") == "6" and fr_vat("404833048") == "FR83404833048"
    assert valid_iban("GB82WEST12345698765432") and valid_iban("DE89370400440532013000")
    print("ok")
