"""Source systems authenticate with a token (`Authorization: Token <token>` or `Bearer`);
people with their session (the admin site's login)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.models import ApiToken
from api.services import token_digest
from mdm.errors import Unauthenticated

MSG_BAD_TOKEN = "the token is not valid: unknown, revoked or expired"
MSG_BAD_HEADER = "the Authorization header is `Token <token>` (or `Bearer <token>`)"


class SystemTokenAuthentication(BaseAuthentication):
    """One indexed lookup of the token's digest, with its system and the system's user."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise Unauthenticated(MSG_BAD_HEADER)
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise Unauthenticated(MSG_BAD_TOKEN) from None
        found = (ApiToken.objects.select_related("system__api_user")
                 .filter(digest=token_digest(token)).first())
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
