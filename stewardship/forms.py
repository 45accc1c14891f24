"""The login form every login page uses (the steward app's and the admin's), throttled."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MSG_THROTTLED = _("Too many failed logins for this user: try again in %(minutes)d minutes.")


class ThrottledLoginForm(AuthenticationForm):
    """After MDM_LOGIN_MAX_FAILURES wrong passwords for one user name, every login of that
    name is refused, the right password too, for MDM_LOGIN_LOCK_MINUTES (counted in the
    cache: one per process with the default cache, a shared one in production)."""

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        key = f"mdm-login-failures:{username}"
        if cache.get(key, 0) >= settings.MDM_LOGIN_MAX_FAILURES:
            raise ValidationError(MSG_THROTTLED, code="throttled",
                                  params={"minutes": settings.MDM_LOGIN_LOCK_MINUTES})
        try:
            return super().clean()
        except ValidationError:
            cache.add(key, 0, timeout=settings.MDM_LOGIN_LOCK_MINUTES * 60)
            cache.incr(key)
            raise
