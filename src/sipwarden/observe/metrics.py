"""Prometheus metrics (prometheus-client) on a registry of our own, with cheap hot-path calls.

How this works: the server calls plain methods (`request("INVITE", "udp")`, `drop("flood")`)
on the hot path. The counters and the processing histogram are plain numbers (`tally`, exported
at scrape time in the same form as prometheus_client's own metrics): a counter call looks up its
series in a dict and adds 1 in place, an observation bisects the bucket bounds; no lock. Labels
that come from the network (method, transport) are folded into a fixed set ("OTHER") so a
hostile peer cannot grow the series without bound; reason codes come from our code but are
still capped. Gauges (transactions, dialogs, registrations, bans) are set from snapshots; the
transport hub's drop counters are read at scrape time through `watch_transports`.

This module is compiled ([tool.sipwarden.compile]): the dispatcher calls `request`,
`response` and `processing` for every message, and these are then native calls bumping the
compiled numbers of counts.py. The `Collector`s it registers live in tally.py (interpreted).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.registry import Collector

from sipwarden.observe.counts import Buckets, Series
from sipwarden.observe.tally import CounterTally, HistogramTally, SnapshotCounter

METHODS = frozenset(
    {
        *("INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "PRACK", "SUBSCRIBE"),
        *("NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE"),
    }
)
TRANSPORTS = frozenset({"udp", "tcp", "tls", "ws", "wss"})
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx")
MAX_REASONS = 64  # distinct reason codes per family; more fold into "other"
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
TransportSnapshot = Callable[[], Mapping[str, Mapping[str, int]]]
_C = TypeVar("_C", bound=Collector)


def status_class(status: int) -> str:
    """`404` -> "4xx"; anything outside 100..699 -> "other"."""
    return STATUS_CLASSES[status // 100 - 1] if 100 <= status < 700 else "other"


class Metrics:
    """Every sipwarden metric family, registered on `self.registry` (not the global one)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        # Registered in this order, which is the exposition's.
        self._requests = self._register(
            CounterTally("sipwarden_requests", "SIP requests received", ["method", "transport"])
        )
        self._responses = self._register(
            CounterTally(
                "sipwarden_responses",
                "SIP responses sent or relayed, by the CSeq method and the status class",
                ["method", "status_class", "transport"],
            )
        )
        self._auth_failures = self._register(
            CounterTally("sipwarden_auth_failures", "Failed digest authentications", ["reason"])
        )
        self._drops = self._register(
            CounterTally("sipwarden_drops", "Messages dropped without a reply", ["reason"])
        )
        self._rejects = self._register(
            CounterTally("sipwarden_rejects", "Requests rejected with an error reply", ["reason"])
        )
        self._bans = self._register(CounterTally("sipwarden_bans", "Bans issued", ["reason"]))
        self._bans_active = Gauge("sipwarden_bans_active", "Addresses banned now", registry=r)
        self._transactions = Gauge(
            "sipwarden_transactions_in_progress",
            "SIP transactions in progress",
            ["role"],
            registry=r,
        )
        self._dialogs = Gauge(
            "sipwarden_dialogs_in_progress", "Calls (INVITE dialogs) in progress", registry=r
        )
        self._registrations = Gauge(
            "sipwarden_registrations", "Registered contact bindings", registry=r
        )
        latency = self._register(
            HistogramTally(
                "sipwarden_processing_seconds",
                "Time to process one received message",
                LATENCY_BUCKETS,
            )
        )
        self._latency: Buckets = latency.buckets
        self._loop_lag = Gauge(
            "sipwarden_event_loop_lag_seconds", "Event-loop lag at the last probe", registry=r
        )
        self._store_up = Gauge(
            "sipwarden_store_up",
            "1 when the store answers, 0 during an outage",
            ["store"],
            registry=r,
        )
        self._gateway_up = Gauge(
            "sipwarden_gateway_up", "1 when the gateway answers its probes", ["gateway"], registry=r
        )
        self._gateway_latency = Gauge(
            "sipwarden_gateway_latency_seconds",
            "Round-trip time of the gateway's last probe",
            ["gateway"],
            registry=r,
        )
        # Raw arguments -> series: the method is folded first, so hostile names add no key.
        self._request_series: dict[tuple[str, str], Series] = {}
        self._response_series: dict[tuple[str, int, str], Series] = {}
        self._reasons: dict[CounterTally, dict[str, Series]] = {}
        self._tx_server = self._transactions.labels("server")
        self._tx_client = self._transactions.labels("client")

    # -- hot path ---------------------------------------------------------------------------

    def request(self, method: str, transport: str) -> None:
        """One request received."""
        key = (method if method in METHODS else "OTHER", transport)
        series = self._request_series.get(key)
        if series is None:
            series = self._request_series[key] = self._requests.series(
                key[0], _transport(transport)
            )
        series.value += 1.0

    def response(self, status: int, transport: str, method: str = "OTHER") -> None:
        """One response sent (ours or relayed); `method` is the CSeq method."""
        key = (method if method in METHODS else "OTHER", status // 100, transport)
        series = self._response_series.get(key)
        if series is None:
            series = self._response_series[key] = self._responses.series(
                key[0], status_class(status), _transport(transport)
            )
        series.value += 1.0

    def auth_failure(self, reason: str) -> None:
        self._reason(self._auth_failures, reason).value += 1.0

    def drop(self, reason: str) -> None:
        self._reason(self._drops, reason).value += 1.0

    def reject(self, reason: str) -> None:
        self._reason(self._rejects, reason).value += 1.0

    def ban(self, reason: str) -> None:
        """A ban was issued (set the active count with `set_bans_active`)."""
        self._reason(self._bans, reason).value += 1.0

    def processing(self, seconds: float) -> None:
        """Time spent on one received message."""
        self._latency.observe(seconds)

    # -- snapshots --------------------------------------------------------------------------

    def set_transactions(self, server: int, client: int) -> None:
        self._tx_server.set(server)
        self._tx_client.set(client)

    def set_dialogs(self, count: int) -> None:
        self._dialogs.set(count)

    def set_registrations(self, count: int) -> None:
        self._registrations.set(count)

    def set_bans_active(self, count: int) -> None:
        self._bans_active.set(count)

    def set_loop_lag(self, seconds: float) -> None:
        self._loop_lag.set(seconds)

    def set_store_up(self, store: str, up: bool) -> None:
        """Whether `store` ("state" or "storage") answered its last probe."""
        self._store_up.labels(store).set(1 if up else 0)

    def gateway(self, name: str, up: bool, latency: float | None = None) -> None:
        """The result of a gateway's health probe."""
        self._gateway_up.labels(name).set(1 if up else 0)
        if latency is not None:
            self._gateway_latency.labels(name).set(latency)

    def watch_transports(self, snapshot: TransportSnapshot) -> None:
        """Expose the transport hub's drop counters (`Transports.snapshot`) at scrape time as
        `sipwarden_transport_drops_total{listener, reason}`."""
        self.registry.register(
            SnapshotCounter(
                "sipwarden_transport_drops",
                "Messages dropped or refused by the transports",
                ("listener", "reason"),
                snapshot,
            )
        )

    # -- reading ----------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The Prometheus text format of every family."""
        return generate_latest(self.registry)

    def totals(self) -> dict[str, dict[str, float]]:
        """Cumulative counts for the rate charts: requests by method, responses by class."""
        return {
            "requests": self._requests.sum_by("method"),
            "responses": self._responses.sum_by("status_class"),
        }

    def _register(self, collector: _C) -> _C:
        self.registry.register(collector)
        return collector

    def _reason(self, family: CounterTally, reason: str) -> Series:
        known = self._reasons.setdefault(family, {})
        series = known.get(reason)
        if series is None:
            if len(known) >= MAX_REASONS or not reason:
                return family.series("other")
            series = known[reason] = family.series(reason)
        return series


def _transport(name: str) -> str:
    lowered = name.lower()
    return lowered if lowered in TRANSPORTS else "other"
