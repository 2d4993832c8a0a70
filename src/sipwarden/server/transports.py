"""Bind the configured listeners: the `[server] listen`, `[transport]` and `[tls]` settings
turned into the transport hub's configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sipwarden.config.model import Config
from sipwarden.transport.address import Address, Destination, Received
from sipwarden.transport.connections import ConnectionLimits
from sipwarden.transport.hub import TransportConfig, Transports
from sipwarden.transport.inbound import Limits
from sipwarden.transport.tls import TlsSettings


def transport_config(config: Config) -> TransportConfig:
    """The hub's settings from the config file (and the flags that override it)."""
    section, tls = config.transport, config.tls
    return TransportConfig(
        limits=Limits(max_size=section.max_message_size),
        connection=ConnectionLimits(
            max_per_ip=section.max_connections_per_ip, idle_timeout=section.idle_timeout
        ),
        tls=TlsSettings(
            cert=Path(tls.cert) if tls.cert else None,
            key=Path(tls.key) if tls.key else None,
            ca=Path(tls.ca) if tls.ca else None,
            verify_client=tls.verify_client,
        ),
        data_dir=Path(config.server.data_dir),
        mtu_limit=section.udp_mtu_limit,
    )


async def start_transports(
    config: Config,
    on_message: Callable[[Received], None],
    on_send_failed: Callable[[bytes], None],
    workers: int = 1,
    streams: bool = True,
) -> Transports:
    """Bind every `[server] listen` spec; OSError or ListenSpecError when one cannot be.
    `on_send_failed` gets the bytes of every message the transports could not deliver.
    With several `workers` UDP ports are shared (SO_REUSEPORT); `streams` False leaves the
    stream listeners to worker 0 (docs/workers.md)."""

    def send_error(destination: Destination, reason: str, data: bytes) -> None:
        on_send_failed(data)

    specs = config.server.listen
    return await Transports.start(
        specs, on_message, transport_config(config), send_error, workers > 1, streams
    )


def peer_names(transports: Transports, connection: int | None) -> tuple[str, ...]:
    """The TLS client certificate names of the connection a request came over (trusted peers
    by certificate, docs/routing.md); () for UDP, TCP, or no certificate."""
    found = None if connection is None else transports.table.get(connection)
    names = getattr(found, "peer_names", None)
    return tuple(names()) if callable(names) else ()


def bound_addresses(transports: Transports) -> list[Address]:
    """Where each listener is really bound (the system's port for port 0)."""
    return [info.local for info in transports.listeners]
