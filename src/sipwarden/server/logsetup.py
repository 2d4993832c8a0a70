"""Logging for `sipwarden run`: one line per event, as text, JSON objects or logfmt.

`[log] format`: "text" for people, "json" (one object per line) or "logfmt" (`key=value`) for
log pipelines; structured fields of a record (a transaction outcome's call_id, status, ...)
become keys of the JSON object or logfmt line (sipwarden.observe.outcomes). No secret is ever
printed: passwords, HA1 and Authorization values are scrubbed from every field.
"""

from __future__ import annotations

import logging
import sys

from sipwarden.observe.outcomes import JsonFieldsFormatter, LogfmtFormatter

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str, fmt: str) -> None:
    """Send sipwarden's log to stderr at `level` in `fmt` ("text", "json" or "logfmt")."""
    handler = logging.StreamHandler(sys.stderr)
    formatters = {"json": JsonFieldsFormatter(), "logfmt": LogfmtFormatter()}
    handler.setFormatter(formatters.get(fmt, logging.Formatter(TEXT)))
    root = logging.getLogger("sipwarden")
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    root.propagate = False
