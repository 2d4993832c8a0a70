"""Structured outcome lines (observe/outcomes.py): JSON and logfmt, never a secret."""

from __future__ import annotations

import json
import logging

import pytest

from sipwarden.observe.outcomes import (
    JsonFieldsFormatter,
    LogfmtFormatter,
    log_outcome,
    logfmt,
    outcome_fields,
    scrub,
)

AUTH = 'Digest username="alice", realm="example.com", nonce="abc", response="0123456789abcdef"'


def record(fields: dict[str, object]) -> logging.LogRecord:
    logger = logging.getLogger("sipwarden.test.outcomes")
    made = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "c1 INVITE 200", (), None)
    made.fields = fields
    made.created, made.msecs = 0.0, 0.0
    return made


def test_outcome_fields_are_keyed_by_call_id() -> None:
    fields = outcome_fields("c1", "INVITE", 200, "OK", "udp:192.0.2.7:5062", 12.34567, branch=2)
    assert fields == {
        "event": "transaction",
        "call_id": "c1",
        "method": "INVITE",
        "status": 200,
        "reason": "OK",
        "source": "udp:192.0.2.7:5062",
        "duration_ms": 12.346,
        "branch": 2,
    }


def test_scrub_blanks_secret_keys_and_credentials_in_text() -> None:
    clean = scrub(
        {
            "password": "hunter2",
            "HA1": "5f4dcc3b",
            "Proxy-Authorization": AUTH,
            "detail": f"Authorization: {AUTH}",
            "status": 401,
        }
    )
    assert clean["password"] == clean["HA1"] == clean["Proxy-Authorization"] == "[redacted]"
    assert clean["detail"] == "Authorization: Digest [redacted]"
    assert clean["status"] == 401
    assert "0123456789abcdef" not in json.dumps(clean)


def test_json_line_merges_the_fields() -> None:
    line = JsonFieldsFormatter().format(record({"call_id": "c1", "status": 200, "ha1": "x"}))
    assert json.loads(line) == {
        "ts": "1970-01-01T00:00:00.000Z",
        "level": "info",
        "logger": "sipwarden.test.outcomes",
        "msg": "c1 INVITE 200",
        "call_id": "c1",
        "status": 200,
        "ha1": "[redacted]",
    }


def test_logfmt_line() -> None:
    line = LogfmtFormatter().format(record({"call_id": "a84b@pc33", "reason": "Busy Here"}))
    assert line == (
        "ts=1970-01-01T00:00:00.000Z level=info logger=sipwarden.test.outcomes"
        ' msg="c1 INVITE 200" call_id=a84b@pc33 reason="Busy Here"'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("", '""'),
        (None, '""'),
        (True, "true"),
        (3.5, "3.5"),
        ('say "hi"\n', '"say \\"hi\\"\\n"'),
        ("a=b", '"a=b"'),
    ],
)
def test_logfmt_values(value: object, text: str) -> None:
    assert logfmt({"k": value}) == f"k={text}"


def test_log_outcome_puts_scrubbed_fields_on_the_record(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("sipwarden.test.outcomes")
    with caplog.at_level(logging.INFO, logger=logger.name):
        log_outcome(logger, {"call_id": "c9", "method": "BYE", "status": 200, "token": "t"})
    (entry,) = caplog.records
    assert entry.getMessage() == "c9 BYE 200"
    assert entry.fields == {"call_id": "c9", "method": "BYE", "status": 200, "token": "[redacted]"}
