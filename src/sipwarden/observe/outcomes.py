"""Structured log lines: one per transaction outcome keyed by Call-ID, as JSON or logfmt.

How this works: the server calls `log_outcome(logger, fields)` when a server transaction ends
(its final response sent, or it timed out); `fields` come from `outcome_fields(...)`. The
fields ride on the LogRecord (`record.fields`) and the two formatters here print them:
`JsonFieldsFormatter` one JSON object per line, `LogfmtFormatter` `key=value` pairs
(https://brandur.org/logfmt). Secrets never reach a line: `scrub` blanks values under secret
keys (password, HA1, tokens, Authorization headers) and cuts a digest `response=`/`nonce=` out
of any text value, so a careless caller cannot leak them either.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "ha1",
        "token",
        "secret",
        "authorization",
        "proxy_authorization",
        "auth_key",
    }
)
_DIGEST = re.compile(r"(?i)\b(Digest|Bearer|Basic)\s+[^\r\n]*")
_PLAIN = re.compile(r"^[A-Za-z0-9_.:@/+\-\[\]]+$")


def outcome_fields(
    call_id: str,
    method: str,
    status: int,
    reason: str,
    source: str,
    duration_ms: float,
    **extra: Any,
) -> dict[str, Any]:
    """The fields of one transaction outcome line (extra keys go through `scrub` too)."""
    fields: dict[str, Any] = {
        "event": "transaction",
        "call_id": call_id,
        "method": method,
        "status": status,
        "reason": reason,
        "source": source,
        "duration_ms": round(duration_ms, 3),
    }
    fields.update(extra)
    return fields


def scrub(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` with secret values replaced by "[redacted]" and credentials cut out of text."""
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if key.lower().replace("-", "_") in SECRET_KEYS:
            clean[key] = REDACTED
        elif isinstance(value, str):
            clean[key] = _DIGEST.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
        else:
            clean[key] = value
    return clean


def log_outcome(logger: logging.Logger, fields: Mapping[str, Any]) -> None:
    """Log one outcome at INFO: message `call_id METHOD status`, fields on the record."""
    safe = scrub(fields)
    message = f"{safe.get('call_id', '-')} {safe.get('method', '-')} {safe.get('status', '-')}"
    logger.info(message, extra={"fields": safe})


def _base(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    fields = getattr(record, "fields", None)
    if isinstance(fields, Mapping):
        entry.update(scrub(fields))
    if record.exc_info:
        entry["exc"] = formatter.formatException(record.exc_info)
    return entry


class JsonFieldsFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_base(record, self), ensure_ascii=False, default=str)


class LogfmtFormatter(logging.Formatter):
    """One logfmt line: `ts=... level=info logger=... msg="..." call_id=... status=200`."""

    def format(self, record: logging.LogRecord) -> str:
        return logfmt(_base(record, self))


def logfmt(pairs: Mapping[str, Any]) -> str:
    """`key=value` pairs; values quoted when they hold spaces, quotes, `=` or are empty."""
    return " ".join(f"{_key(key)}={_value(value)}" for key, value in pairs.items())


def _key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", key) or "_"


def _value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if _PLAIN.match(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'
