"""Who may call what: the API asks the one permission model (mdm.access) and adds what only
a token says: which source system is calling.

Every view checks in the same order: authenticated (401), the domain exists (404), the
principal may act in it (403).
"""

from __future__ import annotations

from rest_framework.request import Request

from api.models import ApiToken
from mdm import access
from mdm.errors import Forbidden, GoldenRecordNotFound, Unauthenticated
from mdm.models import GoldenRecord, SourceRecord, SourceSystem
from mdm.selectors import golden_record_resolve

MSG_LOGIN = "log in (session) or send a source system's token: Authorization: Token <token>"
MSG_SYSTEMS_ONLY = "only a source system's token sends and reads its own records"


def system_of(request: Request) -> SourceSystem | None:
    """The source system a request's token belongs to (None: a person, or anonymous)."""
    return request.auth.system if isinstance(request.auth, ApiToken) else None


def require_login(request: Request) -> None:
    if not request.user.is_authenticated:
        raise Unauthenticated(MSG_LOGIN)


def require(request: Request, action: str, domain: str | None = None) -> None:
    require_login(request)
    access.require(request.user, action, domain)


def require_system(request: Request, action: str, domain: str) -> SourceSystem:
    """The calling source system, which must hold `action` in `domain`."""
    require_login(request)
    system = system_of(request)
    if system is None:
        raise Forbidden(MSG_SYSTEMS_ONLY)
    access.require(request.user, action, domain)
    return system


def visible_golden(request: Request, domain: str, golden_id: str) -> GoldenRecord:
    """The golden record a golden ID stands for now (a retired one's successor), if it is of
    `domain` and the caller's departments see one of its members (else not found: a
    department does not learn what other departments hold)."""
    golden = golden_record_resolve(golden_id)
    if golden.domain != domain:
        raise GoldenRecordNotFound(f"no {domain} golden record {golden_id!r}")
    visible = access.visible_systems(request.user)
    if visible is not None and not SourceRecord.objects.filter(golden=golden, system__code__in=visible).exists():
        raise GoldenRecordNotFound(f"no {domain} golden record {golden_id!r}")
    return golden
