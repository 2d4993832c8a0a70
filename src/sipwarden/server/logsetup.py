"""Logging for `sipwarden run`: one line per event, as text, JSON objects or logfmt.

`[log] format`: "text" for people, "json" (one object per line) or "logfmt" (`key=value`) for
log pipelines; structured fields of a record (a transaction outcome's call_id, status, ...)
become keys of the JSON object or logfmt line (sipwarden.observe.outcomes). No secret is ever
printed: passwords, HA1 and Authorization values are scrubbed from every field. A worker of
`--workers N` marks its lines with its index: `[w1]` in text, a `worker` key otherwise.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from sipwarden.observe.outcomes import JsonFieldsFormatter, LogfmtFormatter

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str, fmt: str, worker: int | None = None) -> None:
    """Send sipwarden's log to stderr at `level` in `fmt` ("text", "json" or "logfmt")."""
    handler = logging.StreamHandler(sys.stderr)
    text = TEXT if worker is None else TEXT.replace(" %(name)s", f" [w{worker}] %(name)s")
    formatters = {"json": JsonFieldsFormatter(), "logfmt": LogfmtFormatter()}
    handler.setFormatter(formatters.get(fmt, logging.Formatter(text)))
    if worker is not None and fmt in formatters:
        handler.addFilter(_WorkerField(worker))
    root = logging.getLogger("sipwarden")
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    root.propagate = False


class _WorkerField(logging.Filter):
    """Adds `worker` to the structured fields of every record (JSON and logfmt)."""

    def __init__(self, worker: int) -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        fields = getattr(record, "fields", None)
        base = dict(fields) if isinstance(fields, Mapping) else {}
        record.fields = {**base, "worker": self.worker}
        return True
