"""`Idempotency-Key` on POST and PUT: the same key with the same body gets the first reply
again (header `Idempotent-Replayed: true`) without doing the work twice; the same key with
another body is refused (422, idempotency_key_reused). Replies are kept per principal."""

from __future__ import annotations

import functools
import json

from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.services import idempotent_reply, idempotent_reply_keep, request_digest
from mdm.errors import InvalidInput

HEADER = "Idempotency-Key"
KEY_CHARS = 200


def idempotent(method):
    @functools.wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if not key or not request.user.is_authenticated:
            return method(view, request, *args, **kwargs)
        if len(key) > KEY_CHARS:
            raise InvalidInput(f"an {HEADER} is at most {KEY_CHARS} characters")
        digest = request_digest(request.method, request.path, request.body)  # before the body is parsed
        kept = idempotent_reply(principal_id=request.user.pk, key=key, digest=digest)
        if kept is not None:
            return Response(kept.body, status=kept.status, headers={"Idempotent-Replayed": "true"})
        response = method(view, request, *args, **kwargs)
        if 200 <= response.status_code < 300:
            idempotent_reply_keep(principal_id=request.user.pk, key=key, digest=digest,
                                  status=response.status_code,
                                  body=json.loads(JSONRenderer().render(response.data)))
        return response

    return wrapper
