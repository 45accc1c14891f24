"""Which standardization produced a stored record's attributes: a fingerprint, and the
profile a stored record is read again with.

A record's content hash covers what its source said, so an unchanged row is skipped before
standardization. Its attributes are what the standardizers of that day made of it: when
the standardizers, their tables, the domain's attribute types or the profile's mapping
change, the stored values no longer are what the hub would make of the same row today.
Each record keeps the fingerprint of the standardization that produced it
(SourceRecord.standardized_by); a record whose fingerprint is not its profile's current
one is stale and is read again from its `raw` (services.restandardize, and ingest when
the same row comes again).

The fingerprint is computed from the code and data, not bumped by hand: a constant that
someone must remember to bump is forgotten exactly when it matters (a fix to one regex),
and then stored values stay wrong with nothing to show it. The price of computing it is
false alarms: any edit of the fingerprinted code (an error message, a refactoring) makes
every record stale, and the next re-standardization reads them all again, writing only
the records whose values actually change. Comments, docstrings and layout are not part
of it (the code is fingerprinted as its syntax tree without docstrings).
"""

from __future__ import annotations

import ast
import hashlib
import unicodedata
from dataclasses import replace
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings

import mdm.domains
import mdm.ingest.profiles
import mdm.standardize
from mdm.domains import get_domain
from mdm.errors import DeclarationError
from mdm.ingest.profiles import DOMAIN_PROFILE, Profile, domain_profile, get_profile

REQUEST_PROFILE = "request"  # SourceRecord.profile of approved master data requests: attribute names
FINGERPRINT_CHARS = 32  # SourceRecord.standardized_by
# what the standardizers compute with, beyond the standard library
THIRD_PARTY = ("phonenumbers", "python-stdnum", "PyYAML")


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _code_files() -> list[Path]:
    """The standardizers and their tables, and the code that maps a row onto attributes
    (profiles' extraction, the domain's standardize)."""
    package = Path(mdm.standardize.__file__).parent
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted({*files, Path(mdm.domains.__file__), Path(mdm.ingest.profiles.__file__)})


@cache
def code_fingerprint() -> str:
    """The fingerprint of the standardization code, its data tables and the libraries and
    Unicode tables it reads with."""
    digest = hashlib.blake2b(digest_size=16)
    for name in THIRD_PARTY:
        try:
            digest.update(f"{name} {version(name)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{name} -\0".encode())
    digest.update(f"unicode {unicodedata.unidata_version}\0".encode())
    for path in _code_files():
        content = path.read_bytes()
        if path.suffix == ".py":
            content = ast.dump(_without_docstrings(ast.parse(content))).encode()
        digest.update(path.name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def standardization_fingerprint(profile: Profile) -> str:
    """The fingerprint of the standardization a record read by `profile` gets now: the code
    (code_fingerprint), the domain's attributes and their types, the profile's mapping and
    the default phone region (MDM_PHONE_REGION)."""
    digest = hashlib.blake2b(digest_size=FINGERPRINT_CHARS // 2)
    attributes = sorted((a.name, a.type, a.required) for a in get_domain(profile.domain).attributes.values())
    for part in (code_fingerprint(), repr(attributes), repr(sorted(profile.fields.items())),
                 settings.MDM_PHONE_REGION):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def stored_profile(domain: str, name: str) -> Profile:
    """The profile stored records of `domain` name (SourceRecord.profile) are read again
    with: a declared profile by its name, or the profile derived from the domain for
    records sent by attribute name (the API's, approved requests'). Raises UnknownProfile
    when no profile has that name any more, DeclarationError when it maps another domain."""
    if name == DOMAIN_PROFILE:
        return domain_profile(domain)
    if name == REQUEST_PROFILE:
        return replace(domain_profile(domain), name=REQUEST_PROFILE)
    profile = get_profile(name)
    if profile.domain != domain:
        raise DeclarationError(f"profile {name!r} now maps the {profile.domain!r} domain, not {domain!r}")
    return profile
