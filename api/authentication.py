"""Source systems authenticate with a token (`Authorization: Token <token>` or `Bearer`);
people with their session (the admin site's login).

A token is checked by one indexed lookup of its hash; the token, its system's user and
that user's grants and departments are then kept in the process for
MDM_API_AUTH_CACHE_SECONDS (5 s), so a system's steady stream of lookups costs one query
each, not four. Expiry is checked on every request; a revocation or a changed grant takes
effect in the revoking process at once and in the others within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.models import ApiToken
from api.services import token_digest, token_revoked
from mdm import access
from mdm.errors import Unauthenticated

MSG_BAD_TOKEN = "the token is not valid: unknown, revoked or expired"
MSG_BAD_HEADER = "the Authorization header is `Token <token>` (or `Bearer <token>`)"
CACHE_SIZE = 10_000


@dataclass(frozen=True)
class _Known:
    token: ApiToken
    until: float  # time.monotonic() when it must be read again


_KNOWN: dict[str, _Known] = {}
_LOCK = threading.Lock()


def _forget(digest: str) -> None:
    with _LOCK:
        _KNOWN.pop(digest, None)


token_revoked.connect(lambda sender, digest, **kwargs: _forget(digest), weak=False)


def _lookup(digest: str) -> ApiToken | None:
    known = _KNOWN.get(digest)
    if known is not None and known.until > time.monotonic():
        return known.token
    token = ApiToken.objects.select_related("system__api_user").filter(digest=digest).first()
    if token is not None and token.system.api_user is not None:
        user = token.system.api_user
        access.domains(user, access.Action.VIEW)  # read the grants and departments now, kept with the user
        access.visible_systems(user)
        ttl = settings.MDM_API_AUTH_CACHE_SECONDS
        if ttl > 0:
            with _LOCK:
                if len(_KNOWN) >= CACHE_SIZE:
                    _KNOWN.clear()
                _KNOWN[digest] = _Known(token, time.monotonic() + ttl)
    return token


class SystemTokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise Unauthenticated(MSG_BAD_HEADER)
        try:
            digest = token_digest(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            raise Unauthenticated(MSG_BAD_TOKEN) from None
        found = _lookup(digest)
        if (found is None or found.revoked_at is not None or found.expires_at <= timezone.now()
                or found.system.api_user is None or not found.system.api_user.is_active):
            raise Unauthenticated(MSG_BAD_TOKEN)
        return found.system.api_user, found

    def authenticate_header(self, request):
        return 'Token realm="api"'


class SystemTokenScheme(OpenApiAuthenticationExtension):
    target_class = SystemTokenAuthentication
    name = "systemToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "a source system's API token"}
