"""A refused request is logged in one line; a server error keeps its traceback."""

import logging
import sys

from django.conf import settings

from config.logs import NoClientErrorTracebacks


def _record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden", None, sys.exc_info())
    record.status_code = status
    return record


def test_it_drops_the_traceback_of_client_errors_only():
    assert "no_client_tracebacks" in settings.LOGGING["handlers"]["console"]["filters"]
    forbidden, failed = _record(403), _record(500)
    assert NoClientErrorTracebacks().filter(forbidden) and NoClientErrorTracebacks().filter(failed)
    assert forbidden.exc_info is None and failed.exc_info is not None
    assert "Traceback" not in logging.Formatter().format(forbidden)
