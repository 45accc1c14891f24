"""One error shape for every 4xx the API answers:

    {"code": "golden_not_found", "message": "no golden record 'CUS-0000001'", "errors": {...}}

`code` comes from the one hierarchy in mdm/errors.py (docs/errors.md); `errors`, present
for invalid input, maps each field (a dotted path into the body, or a record's position in
a batch) to its problems. DRF's own exceptions (validation, authentication, permissions,
throttling, parsing) are mapped onto the same codes, so a client matches on `code` alone.
Anything else is a bug: the default 500, logged.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

from mdm import errors

_DRF_ERRORS: list[tuple[type[Exception], type[errors.MdmError]]] = [
    (drf.ValidationError, errors.InvalidInput),
    (drf.ParseError, errors.InvalidInput),
    (drf.NotAuthenticated, errors.Unauthenticated),
    (drf.AuthenticationFailed, errors.Unauthenticated),
    (drf.PermissionDenied, errors.Forbidden),
    (drf.NotFound, errors.NotFound),
    (drf.MethodNotAllowed, errors.MethodNotAllowed),
    (drf.NotAcceptable, errors.NotAcceptable),
    (drf.UnsupportedMediaType, errors.UnsupportedMediaType),
    (drf.Throttled, errors.Throttled),
]


def error_body(code: str, message: str, field_errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field_errors:
        body["errors"] = field_errors
    return body


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub.0": ["problem", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
    elif isinstance(detail, list) and detail and all(isinstance(v, str) for v in detail):
        out[prefix or "non_field_errors"] = [str(v) for v in detail]
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, errors.MdmError):
        field_errors = {str(k): [v] for k, v in getattr(exc, "errors", {}).items()} or None
        return Response(error_body(exc.code, exc.message, field_errors), status=exc.status)
    if isinstance(exc, Http404):
        return Response(error_body(errors.NotFound.code, "not found"), status=404)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(errors.PayloadTooLarge.code, str(exc)), status=413)
    response = exception_handler(exc, context)
    if response is None:
        return None
    error = next((e for cls, e in _DRF_ERRORS if isinstance(exc, cls)),
                 errors.InvalidInput if response.status_code < 500 else None)
    if error is None:
        return response
    if isinstance(exc, drf.ValidationError):
        body = error_body(error.code, "the request is not valid: see errors", _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, drf.APIException) else str(exc)
        body = error_body(error.code, str(detail))
    response.data = body
    return response
