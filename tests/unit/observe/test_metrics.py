"""Metrics: each family shows up in the exposition text with the labels the server gave."""

from __future__ import annotations

import re
import time

from prometheus_client import REGISTRY

from sipwarden.observe.metrics import MAX_REASONS, Metrics, status_class


def _text(metrics: Metrics) -> str:
    return metrics.exposition().decode()


def test_requests_and_responses_by_method_status_class_and_transport() -> None:
    metrics = Metrics()
    metrics.request("INVITE", "udp")
    metrics.request("INVITE", "udp")
    metrics.response(180, "udp", "INVITE")
    metrics.response(486, "tls", "INVITE")
    text = _text(metrics)
    assert 'sipwarden_requests_total{method="INVITE",transport="udp"} 2.0' in text
    assert (
        'sipwarden_responses_total{method="INVITE",status_class="1xx",transport="udp"} 1.0' in text
    )
    assert (
        'sipwarden_responses_total{method="INVITE",status_class="4xx",transport="tls"} 1.0' in text
    )


def test_hostile_labels_are_folded() -> None:
    metrics = Metrics()
    for n in range(100):
        metrics.request(f"X{n}", "udp")
    metrics.request("INVITE", "carrier-pigeon")
    metrics.response(999, "udp")
    text = _text(metrics)
    assert 'sipwarden_requests_total{method="OTHER",transport="udp"} 100.0' in text
    assert 'method="INVITE",transport="other"' in text
    assert 'status_class="other"' in text
    assert text.count("sipwarden_requests_total{") == 2


def test_reasons_counters() -> None:
    metrics = Metrics()
    metrics.auth_failure("wrong_password")
    metrics.drop("flood")
    metrics.drop("flood")
    metrics.reject("scanner")
    metrics.ban("flood")
    text = _text(metrics)
    assert 'sipwarden_auth_failures_total{reason="wrong_password"} 1.0' in text
    assert 'sipwarden_drops_total{reason="flood"} 2.0' in text
    assert 'sipwarden_rejects_total{reason="scanner"} 1.0' in text
    assert 'sipwarden_bans_total{reason="flood"} 1.0' in text


def test_reason_codes_are_capped() -> None:
    metrics = Metrics()
    for n in range(MAX_REASONS + 10):
        metrics.drop(f"r{n}")
    text = _text(metrics)
    assert 'sipwarden_drops_total{reason="other"} 10.0' in text
    assert text.count("sipwarden_drops_total{") == MAX_REASONS + 1


def test_gauges_from_snapshots() -> None:
    metrics = Metrics()
    metrics.set_transactions(server=3, client=2)
    metrics.set_dialogs(4)
    metrics.set_registrations(12)
    metrics.set_bans_active(1)
    metrics.set_loop_lag(0.002)
    metrics.gateway("carrier", up=True, latency=0.025)
    metrics.gateway("backup", up=False)
    text = _text(metrics)
    assert 'sipwarden_transactions_in_progress{role="server"} 3.0' in text
    assert 'sipwarden_transactions_in_progress{role="client"} 2.0' in text
    assert "sipwarden_dialogs_in_progress 4.0" in text
    assert "sipwarden_registrations 12.0" in text
    assert "sipwarden_bans_active 1.0" in text
    assert "sipwarden_event_loop_lag_seconds 0.002" in text
    assert 'sipwarden_gateway_up{gateway="carrier"} 1.0' in text
    assert 'sipwarden_gateway_up{gateway="backup"} 0.0' in text
    assert 'sipwarden_gateway_latency_seconds{gateway="carrier"} 0.025' in text


def test_processing_histogram() -> None:
    metrics = Metrics()
    metrics.processing(0.0003)
    text = _text(metrics)
    assert 'sipwarden_processing_seconds_bucket{le="0.0005"} 1.0' in text
    assert "sipwarden_processing_seconds_count 1.0" in text


# The whole text of `test_the_exposition_text_in_full`, `_created` values replaced by "<t>": the
# form prometheus_client's own Counter, Gauge and Histogram give (what dashboards and alerts
# were written against).
EXPOSITION = [
    "# HELP sipwarden_requests_total SIP requests received",
    "# TYPE sipwarden_requests_total counter",
    'sipwarden_requests_total{method="INVITE",transport="udp"} 2.0',
    'sipwarden_requests_total{method="OTHER",transport="tcp"} 1.0',
    "# HELP sipwarden_requests_created SIP requests received",
    "# TYPE sipwarden_requests_created gauge",
    'sipwarden_requests_created{method="INVITE",transport="udp"} <t>',
    'sipwarden_requests_created{method="OTHER",transport="tcp"} <t>',
    "# HELP sipwarden_responses_total"
    " SIP responses sent or relayed, by the CSeq method and the status class",
    "# TYPE sipwarden_responses_total counter",
    'sipwarden_responses_total{method="INVITE",status_class="1xx",transport="udp"} 1.0',
    'sipwarden_responses_total{method="INVITE",status_class="2xx",transport="udp"} 1.0',
    "# HELP sipwarden_responses_created"
    " SIP responses sent or relayed, by the CSeq method and the status class",
    "# TYPE sipwarden_responses_created gauge",
    'sipwarden_responses_created{method="INVITE",status_class="1xx",transport="udp"} <t>',
    'sipwarden_responses_created{method="INVITE",status_class="2xx",transport="udp"} <t>',
    "# HELP sipwarden_auth_failures_total Failed digest authentications",
    "# TYPE sipwarden_auth_failures_total counter",
    "# HELP sipwarden_drops_total Messages dropped without a reply",
    "# TYPE sipwarden_drops_total counter",
    'sipwarden_drops_total{reason="flood"} 1.0',
    "# HELP sipwarden_drops_created Messages dropped without a reply",
    "# TYPE sipwarden_drops_created gauge",
    'sipwarden_drops_created{reason="flood"} <t>',
    "# HELP sipwarden_rejects_total Requests rejected with an error reply",
    "# TYPE sipwarden_rejects_total counter",
    "# HELP sipwarden_bans_total Bans issued",
    "# TYPE sipwarden_bans_total counter",
    "# HELP sipwarden_bans_active Addresses banned now",
    "# TYPE sipwarden_bans_active gauge",
    "sipwarden_bans_active 0.0",
    "# HELP sipwarden_transactions_in_progress SIP transactions in progress",
    "# TYPE sipwarden_transactions_in_progress gauge",
    'sipwarden_transactions_in_progress{role="server"} 0.0',
    'sipwarden_transactions_in_progress{role="client"} 0.0',
    "# HELP sipwarden_dialogs_in_progress Calls (INVITE dialogs) in progress",
    "# TYPE sipwarden_dialogs_in_progress gauge",
    "sipwarden_dialogs_in_progress 0.0",
    "# HELP sipwarden_registrations Registered contact bindings",
    "# TYPE sipwarden_registrations gauge",
    "sipwarden_registrations 0.0",
    "# HELP sipwarden_processing_seconds Time to process one received message",
    "# TYPE sipwarden_processing_seconds histogram",
    'sipwarden_processing_seconds_bucket{le="0.0001"} 1.0',
    'sipwarden_processing_seconds_bucket{le="0.00025"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.0005"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.001"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.0025"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.005"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.01"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.025"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.05"} 2.0',
    'sipwarden_processing_seconds_bucket{le="0.1"} 3.0',
    'sipwarden_processing_seconds_bucket{le="0.5"} 4.0',
    'sipwarden_processing_seconds_bucket{le="+Inf"} 5.0',
    "sipwarden_processing_seconds_count 5.0",
    "sipwarden_processing_seconds_sum 1.31280517578125",
    "# HELP sipwarden_processing_seconds_created Time to process one received message",
    "# TYPE sipwarden_processing_seconds_created gauge",
    "sipwarden_processing_seconds_created <t>",
    "# HELP sipwarden_event_loop_lag_seconds Event-loop lag at the last probe",
    "# TYPE sipwarden_event_loop_lag_seconds gauge",
    "sipwarden_event_loop_lag_seconds 0.0",
    "# HELP sipwarden_store_up 1 when the store answers, 0 during an outage",
    "# TYPE sipwarden_store_up gauge",
    "# HELP sipwarden_gateway_up 1 when the gateway answers its probes",
    "# TYPE sipwarden_gateway_up gauge",
    "# HELP sipwarden_gateway_latency_seconds Round-trip time of the gateway's last probe",
    "# TYPE sipwarden_gateway_latency_seconds gauge",
]
CREATED = re.compile(r"^([^#]\S*_created(?:\{[^}]*\})?) (\S+)$")


def test_the_exposition_text_in_full() -> None:
    before = time.time()
    metrics = Metrics()
    metrics.request("INVITE", "udp")
    metrics.request("INVITE", "udp")
    metrics.request("X-SCAN", "tcp")
    metrics.response(180, "udp", "INVITE")
    metrics.response(200, "udp", "INVITE")
    metrics.drop("flood")
    # Sums of powers of two print exactly; 0.0001 and 0.5 sit on bounds (le is inclusive).
    for seconds in (2**-14, 2**-12, 0.5, 0.75, 0.0625):
        metrics.processing(seconds)
    after = time.time()
    lines, created = [], []
    for line in _text(metrics).splitlines():
        if found := CREATED.match(line):
            created.append(float(found.group(2)))
            line = f"{found.group(1)} <t>"
        lines.append(line)
    assert lines == EXPOSITION
    assert len(created) == 6
    assert all(before <= at <= after for at in created)


def test_a_series_is_created_when_first_used() -> None:
    metrics = Metrics()
    metrics.drop("flood")
    time.sleep(0.01)
    metrics.drop("scanner")
    metrics.drop("flood")
    flood = metrics.registry.get_sample_value("sipwarden_drops_created", {"reason": "flood"})
    scanner = metrics.registry.get_sample_value("sipwarden_drops_created", {"reason": "scanner"})
    assert flood is not None and scanner is not None and scanner - flood >= 0.01


def test_transport_drops_are_read_at_scrape_time() -> None:
    counts = {"udp:127.0.0.1:5060": {"too_large": 1}}
    metrics = Metrics()
    metrics.watch_transports(lambda: counts)
    assert (
        'sipwarden_transport_drops_total{listener="udp:127.0.0.1:5060",reason="too_large"} 1.0'
        in _text(metrics)
    )
    counts["udp:127.0.0.1:5060"]["too_large"] = 5
    assert 'reason="too_large"} 5.0' in _text(metrics)


def test_totals_for_the_rate_charts() -> None:
    metrics = Metrics()
    metrics.request("REGISTER", "udp")
    metrics.request("REGISTER", "tcp")
    metrics.response(200, "udp", "REGISTER")
    assert metrics.totals() == {"requests": {"REGISTER": 2.0}, "responses": {"2xx": 1.0}}


def test_own_registry_leaves_the_global_one_alone() -> None:
    before = set(REGISTRY._names_to_collectors)
    Metrics()
    Metrics()  # twice: no "duplicated timeseries"
    assert set(REGISTRY._names_to_collectors) == before


def test_status_class() -> None:
    assert [status_class(s) for s in (100, 200, 302, 404, 503, 603)] == [
        "1xx",
        "2xx",
        "3xx",
        "4xx",
        "5xx",
        "6xx",
    ]
    assert status_class(99) == status_class(700) == "other"
