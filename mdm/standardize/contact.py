"""Contact details: phone numbers, e-mail addresses and websites.

Phone and e-mail fields often hold several values with names and labels between them;
the first valid one is the value, the other valid ones are kept in the parts.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from mdm.standardize.text import (
    _CACHE_SIZE,
    Standardized,
    _as_list_text,
    _as_text,
    _empty,
    _float_id_problems,
    _quote,
)

MSG_PHONE = "not a valid phone number: {raw}"
MSG_EMAIL = "not a valid e-mail address: {raw}"
MSG_URL = "not a valid url: {raw}"

# Fields holding several phone numbers or e-mail addresses (with names and
# labels between them): only the first pieces are read.
_MAX_PIECES = 24


# ---------------------------------------------------------------------------
# phone
# ---------------------------------------------------------------------------

_PHONE_SPLIT_RE = re.compile(r"[/;,|、]+|\s+(?:or|或|及)\s+")
# "030/1234567", "0160/15725409": a slash after an area code separates it from the number
# (in a list of numbers it follows a whole number, as in "0755-1234567/8").
_PHONE_AREA_SLASH_RE = re.compile(r"(?<![\d+])(\(?0\d{1,4}\)?)\s*/\s*(?=\d)")
_PHONE_EXTENSION_RE = re.compile(r"\s*(?:转|分机|内线|extension|extn|ext|x|#)[\s.:：]*(\d{1,6})$", re.IGNORECASE)
_PHONE_LABEL_RE = re.compile(r"^[^\d+(]+")
# "021-7617 8316-6454", "0595-8448 4787*2": an extension after a dash or a star, taken as one
# only when the number without it is valid (a bare "-8001" may be the number's own digits).
_PHONE_TRAILING_EXTENSION_RE = re.compile(r"\s*[-*]\s*(\d{1,6})\s*$")
_NON_DIGIT_RE = re.compile(r"[^0-9]+")
_PHONE_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed",
}


# The shapes nearly every Chinese number has: a mobile, or a trunk 0, area code and number.
_CN_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_CN_TRUNK_RE = re.compile(r"0[1-9]\d{8,10}")


def _cn_national(number: str, region: str) -> str | None:
    """The national number of a Chinese phone in one of those shapes, else None. Taken
    apart here rather than by phonenumbers.parse, which costs more than the rest of a row's
    phone work; the test holds both to the same result."""
    if number.startswith("+86"):
        number = number[3:]
    elif region != "CN" or number.startswith("+"):
        return None
    if _CN_MOBILE_RE.fullmatch(number):
        return number
    if _CN_TRUNK_RE.fullmatch(number):
        return number[1:]
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_phone(number: str, region: str) -> tuple[str, str] | None:
    """(E.164, kind) of a "+digits" or "digits" string, None when invalid."""
    if (national := _cn_national(number, region)) is not None:
        parsed = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
        number_type = phonenumbers.number_type(parsed)
        if number_type != phonenumbers.PhoneNumberType.UNKNOWN:
            return f"+86{national}", _PHONE_KINDS.get(number_type, "other")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    # number_type is what is_valid_number computes (UNKNOWN = invalid): call it once.
    number_type = phonenumbers.number_type(parsed)
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, _PHONE_KINDS.get(number_type, "other")


def _phone_number(number: str, region: str) -> tuple[str, str] | None:
    """(E.164, kind) of a number as written (digits and separators), None when invalid."""
    digits = _NON_DIGIT_RE.sub("", number)
    if not 5 <= len(digits) <= 20:
        return None
    plus = number.startswith("+") or digits.startswith("00")
    return _parse_phone("+" + digits.removeprefix("00") if plus else digits, region)


_INVALID_DIGITS = 7  # an invalid number this long is kept for comparison; shorter ones are notes


def std_phone(raw: object, *, region: str = "CN") -> Standardized:
    """Phone number(s). value: E.164 of the first valid number; national
    numbers are read in `region`. Handles full-width digits, "(0755)",
    "+86-755-…", "0086…", "86 138…", labels like "Tel:" and extensions
    ("转123", "ext. 123", "x123"; "-8001" or "*8001" after a number that is
    valid without it, never digits a valid number needs).
    Several numbers ("/", ";", ",", "、", "or", new lines) → the first valid
    one; invalid pieces with 5+ digits are reported as problems.
    parts: {"kind": "mobile" | "fixed" | "other" (toll-free, VoIP, or lines
    that may be either, as in the US), "extension": digits or None,
    "others": comma-separated E.164 of the other valid numbers or None}.
    No valid number → the digits of the first piece that has 7 to 15 (kind "invalid",
    still compared: two systems often hold the same mistyped or unassigned number), and a
    problem; nothing of the kind → value None and a problem."""
    text = _as_list_text(raw)
    if text is None:
        return _empty()
    region = region.upper()
    found: list[tuple[str, str, str | None]] = []
    invalid: str | None = None
    problems: list[str] = list(_float_id_problems(raw))
    text = _PHONE_AREA_SLASH_RE.sub(r"\1 ", text) if "/" in text else text
    for piece in _PHONE_SPLIT_RE.split(text, maxsplit=_MAX_PIECES)[:_MAX_PIECES]:
        extension = None
        if (m := _PHONE_EXTENSION_RE.search(piece, max(0, len(piece) - 24))) is not None:
            extension, piece = m.group(1), piece[: m.start()]
        number = _PHONE_LABEL_RE.sub("", piece.strip())
        if len(_NON_DIGIT_RE.sub("", number)) < 5:  # "0755-1234567/8" shorthand, labels, notes
            continue
        parsed = _phone_number(number, region)
        if parsed is None and extension is None and (m := _PHONE_TRAILING_EXTENSION_RE.search(number)):
            parsed = _phone_number(number[: m.start()], region)
            extension = m.group(1) if parsed is not None else None
        if parsed is None:
            problems.append(MSG_PHONE.format(raw=_quote(piece.strip())))
            digits = _NON_DIGIT_RE.sub("", number)
            plausible = _INVALID_DIGITS <= len(digits) <= 15 and len(set(digits)) > 1  # E.164 has 15 at most
            invalid = invalid or (digits if plausible else None)
        elif all(parsed[0] != e164 for e164, _, _ in found):
            found.append((*parsed, extension))
    if not found and invalid is not None:
        return Standardized(invalid, {"kind": "invalid", "extension": extension, "others": None}, tuple(problems))
    if not found:
        return Standardized(None, {}, (MSG_PHONE.format(raw=_quote(text)),))
    (e164, kind, extension), *others = found
    parts: dict[str, str | bool | None] = {
        "kind": kind,
        "extension": extension,
        "others": ",".join(other[0] for other in others) or None,
    }
    return Standardized(e164, parts, tuple(problems))


# ---------------------------------------------------------------------------
# email, url
# ---------------------------------------------------------------------------

_EMAIL_SPLIT_RE = re.compile(r"[\s,;/|、<>]+")  # "<>": "Zhang San <zs@x.com>"
_EMAIL_RE = re.compile(
    r"[\w!#$%&'*+=?^`{}~-]+(?:\.[\w!#$%&'*+=?^`{}~-]+)*"
    r"@((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63})"
)


def std_email(raw: object) -> Standardized:
    """E-mail address(es). value: the first valid address, lower-cased
    ("mailto:" and "Name <…>" wrappers removed; full-width ＠ handled).
    parts: {"domain": the address's domain, "others": comma-separated other
    valid addresses or None}. No valid address → value None and a problem;
    other pieces containing "@" that are invalid are reported too."""
    text = _as_list_text(raw)
    if text is None:
        return _empty()
    lowered = text.lower()
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    for piece in _EMAIL_SPLIT_RE.split(lowered, maxsplit=_MAX_PIECES)[:_MAX_PIECES]:
        address = piece.strip("()[]\"'.:").removeprefix("mailto:")
        m = _EMAIL_RE.fullmatch(address) if len(address) <= 254 else None
        if m is not None:
            if all(address != known for known, _ in found):
                found.append((address, m.group(1)))
        elif "@" in address:
            problems.append(MSG_EMAIL.format(raw=_quote(piece)))
    if not found:
        return Standardized(None, {}, (MSG_EMAIL.format(raw=_quote(text)),))
    (address, domain), *others = found
    return Standardized(address, {"domain": domain, "others": ",".join(o[0] for o in others) or None}, tuple(problems))


_URL_SPLIT_RE = re.compile(r"[\s;,|]+")
_URL_SCHEME_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_URL_HOST_RE = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}|\d{1,3}(?:\.\d{1,3}){3}")
_URL_WWW_RE = re.compile(r"^www\d*\.")
# Second-level labels under a country TLD that are public suffixes
# (com.cn, co.uk, co.jp, com.au ...): the registrable domain has 3 labels.
_SECOND_LEVEL_LABELS = frozenset({"com", "net", "org", "gov", "edu", "co", "ac", "or", "ne", "go", "mil"})


def std_url(raw: object) -> Standardized:
    """Website. value: lower-case host without scheme, user info, port and
    "www.", plus the path (case kept) without query, fragment and trailing
    slash: "https://www.Huawei.com/cn/?x=1" → "huawei.com/cn".
    parts: {"domain": registrable domain: the last two host labels, or three
    under com.cn / co.uk style suffixes}. Invalid host → value None, problem."""
    text = _as_text(raw)
    if text is None:
        return _empty()
    first = next(piece for piece in _URL_SPLIT_RE.split(text) if piece)
    rest = _URL_SCHEME_RE.sub("", first)
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    host, path = rest[:cut], rest[cut:]
    host = host.rpartition("@")[2].partition(":")[0].lower().rstrip(".")
    host = _URL_WWW_RE.sub("", host)
    if not _URL_HOST_RE.fullmatch(host):
        return Standardized(None, {}, (MSG_URL.format(raw=_quote(text)),))
    path = path.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    labels = host.split(".")
    if host.replace(".", "").isdigit():
        domain = host
    elif len(labels) >= 3 and labels[-2] in _SECOND_LEVEL_LABELS and len(labels[-1]) == 2:
        domain = ".".join(labels[-3:])
    else:
        domain = ".".join(labels[-2:])
    return Standardized(host + path, {"domain": domain})
