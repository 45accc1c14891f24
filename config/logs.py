"""Logging filters."""

import logging


class NoClientErrorTracebacks(logging.Filter):
    """A request refused for the client's reason (403, 404...) is logged in one line: the
    traceback Django attaches belongs to server errors only."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
