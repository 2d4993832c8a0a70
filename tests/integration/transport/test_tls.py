"""TLS adapter on loopback with a throwaway CA (RFC 3261 §26.2.1; TLS 1.2/1.3 only, RFC 8996)."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from sipwarden.errors import LocalError
from sipwarden.transport.address import Destination
from sipwarden.transport.connections import ConnectionLimits
from sipwarden.transport.hub import TransportConfig, Transports
from sipwarden.transport.tls import (
    TlsSettings,
    client_context,
    ensure_self_signed,
    fingerprint,
    listener_context,
    server_context,
)
from tests.integration.transport.certs import Pki, make_pki
from tests.integration.transport.test_tcp import (
    Client,
    Responder,
    options,
    responder,
    run_on,
    spec,
    until,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


def settings(pki: Pki, verify_client: bool = False) -> TlsSettings:
    return TlsSettings(pki.server_cert, pki.server_key, pki.ca, verify_client)


async def tls_client(server: Responder, context: ssl.SSLContext, host: str) -> Client:
    return await Client.open(server.local("tls"), context, host)


async def round_trip(host: str, pki: Pki) -> None:
    async with responder([spec("tls", host)], tls=settings(pki)) as server:
        client = await tls_client(server, client_context(pki.ca), host)
        assert client.writer.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        reply = await client.ask(options("TLS", host, client.port, "t1"))
        assert reply.status == 200 and reply.top_via.received == host
        client.writer.write(b"\r\n\r\n")
        async with asyncio.timeout(3):
            assert await client.reader.readexactly(2) == b"\r\n"
        await client.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_options_over_tls(loopback: str, pki: Pki, loop: str) -> None:
    run_on(loop, round_trip(loopback, pki))


async def client_certificates(host: str, pki: Pki) -> None:
    async with responder([spec("tls", host)], tls=settings(pki, verify_client=True)) as server:
        trusted = client_context(pki.ca, pki.client_cert, pki.client_key)
        good = await tls_client(server, trusted, host)
        assert (await good.ask(options("TLS", host, good.port, "v1"))).status == 200
        for context in (
            client_context(pki.ca, pki.rogue_cert, pki.rogue_key),  # untrusted issuer
            client_context(pki.ca),  # no certificate at all
        ):
            await refused(server, context, host)
        assert server.counts("tls")["tls_handshake_failed"] == 2
        assert (await good.ask(options("TLS", host, good.port, "v2"))).status == 200
        await good.close()


async def refused(server: Responder, context: ssl.SSLContext, host: str) -> None:
    """The handshake fails, or (TLS 1.3: the client's certificate is checked after the client
    finished) the connection is closed before any SIP gets through."""
    try:
        client = await tls_client(server, context, host)
    except (ssl.SSLError, ConnectionError):
        return
    client.writer.write(options("TLS", host, client.port, "r1"))
    assert await client.closed_by_peer()
    await client.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_bad_client_certificate_is_rejected(loopback: str, pki: Pki, loop: str) -> None:
    run_on(loop, client_certificates(loopback, pki))


async def old_tls(host: str, pki: Pki) -> None:
    async with responder([spec("tls", host)], tls=settings(pki)) as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await tls_client(server, context, host)
        await asyncio.sleep(0.05)
        assert server.counts("tls")["tls_handshake_failed"] == 1
        good = await tls_client(server, client_context(pki.ca), host)
        assert (await good.ask(options("TLS", host, good.port, "o1"))).status == 200
        await good.close()


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_1_1_client_is_refused(loopback: str, pki: Pki) -> None:
    run_on("asyncio", old_tls(loopback, pki))


async def self_signed(data_dir: Path, caplog: pytest.LogCaptureFixture) -> str:
    with caplog.at_level(logging.WARNING, "sipwarden.transport.tls"):
        async with responder(["tls:127.0.0.1:0"], data_dir=data_dir) as server:
            certificate = (data_dir / "tls-self-signed.crt").read_bytes()
            digest = fingerprint(certificate)
            assert digest in caplog.text
            pinned = ssl.create_default_context(cadata=certificate.decode())
            client = await tls_client(server, pinned, "127.0.0.1")
            assert (await client.ask(options("TLS", "127.0.0.1", client.port, "s1"))).status == 200
            await client.close()
    return digest


def test_self_signed_pair_is_created_logged_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = run_on("asyncio", self_signed(tmp_path / "data", caplog))
    assert run_on("asyncio", self_signed(tmp_path / "data", caplog)) == first
    assert (tmp_path / "data" / "tls-self-signed.key").stat().st_mode & 0o077 == 0


async def hub_to_hub(host: str, pki: Pki) -> None:
    mutual = TlsSettings(pki.server_cert, pki.server_key, pki.ca, verify_client=True)
    async with (
        responder([spec("tls", host)], tls=mutual) as callee,
        responder([spec("tls", host)], tls=mutual) as caller,
    ):
        assert caller.hub is not None
        target = callee.local("tls")
        for n in range(2):
            request = options("TLS", host, caller.local("tls").port, f"h{n}")
            caller.hub.send(request, Destination(target))
            await until(lambda: len(caller.received) == n + 1)  # noqa: B023 (awaited at once)
        assert [e.message.call_id for e in caller.received] == ["h0", "h1"]
        assert {e.source.port for e in callee.received} == {callee.received[0].source.port}
        assert callee.received[0].source.transport == "TLS"
        assert caller.hub.snapshot()["tls:outbound"] == {}


def test_hub_to_hub_mutual_tls_reuses_the_connection(loopback: str, pki: Pki) -> None:
    run_on("asyncio", hub_to_hub(loopback, pki))


async def untrusted_server(host: str, pki: Pki, tmp_path: Path) -> None:
    async with (
        responder([spec("tls", host)], data_dir=tmp_path) as callee,  # self-signed
        responder([spec("tcp", host)], tls=settings(pki)) as caller,
    ):
        assert caller.hub is not None
        target = callee.local("tls")
        data = options("TLS", host, 5061, "u1")
        caller.hub.send(data, Destination(target))
        await until(lambda: len(caller.failures) == 1)
        assert caller.failures[0] == (Destination(target), "connect_failed", data)
        assert (
            callee.received == [] and caller.hub.snapshot()["tls:outbound"]["connect_failed"] == 1
        )


def test_outbound_tls_to_an_untrusted_server_fails(loopback: str, pki: Pki, tmp_path: Path) -> None:
    run_on("asyncio", untrusted_server(loopback, pki, tmp_path))


def test_contexts_offer_tls_1_2_and_up_only(pki: Pki) -> None:
    server = server_context(pki.server_cert, pki.server_key, pki.ca, verify_client=True)
    client = client_context(pki.ca, pki.client_cert, pki.client_key)
    for context in (server, client):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert server.verify_mode == ssl.CERT_REQUIRED and client.check_hostname
    unverified = client_context(verify=False)
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname


def test_misconfigured_tls_is_a_local_error(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(LocalError, match="CA"):
        server_context(pki.server_cert, pki.server_key, verify_client=True)
    with pytest.raises(LocalError, match="both"):
        listener_context(TlsSettings(cert=pki.server_cert), tmp_path, ["127.0.0.1"])


def test_self_signed_names_and_fingerprint(tmp_path: Path) -> None:
    cert, key, digest = ensure_self_signed(tmp_path / "d", ["127.0.0.1", "::1", "sip.example"])
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert names.get_values_for_type(x509.DNSName) == ["sip.example"]
    assert len(digest.split(":")) == 32 and digest == fingerprint(cert.read_bytes())
    assert ensure_self_signed(tmp_path / "d", ["other"]) == (cert, key, digest)


async def aliased(host: str, pki: Pki) -> None:
    mutual = TlsSettings(pki.server_cert, pki.server_key, pki.ca, verify_client=True)
    async with (
        responder([spec("tls", host)], tls=mutual) as callee,
        responder([spec("tls", host)], tls=mutual) as caller,
    ):
        assert caller.hub is not None and callee.hub is not None
        back = caller.local("tls")
        offer = options("TLS", host, back.port, "x1").replace(b";rport;", b";rport;alias;")
        caller.hub.send(offer, Destination(callee.local("tls")))
        await until(lambda: len(caller.received) == 1)
        callee.hub.send(options("TLS", host, callee.local("tls").port, "x2"), Destination(back))
        await until(lambda: len(caller.received) == 2)
        request = caller.received[1]
        assert request.message.call_id == "x2"
        assert request.connection == caller.received[0].connection  # RFC 5923: reused
        assert len(caller.hub.table) == 1 and len(callee.hub.table) == 1


def test_rfc5923_alias_reuses_the_tls_connection_backwards(loopback: str, pki: Pki) -> None:
    run_on("asyncio", aliased(loopback, pki))


async def close_before_handshake(host: str, pki: Pki, proto: str, rounds: int = 20) -> None:
    """A client that connects and never handshakes, the listener closed at once: depending on
    how far the loop got, the accept has not happened, the handshake task is cancelled before
    its first step, or during the handshake; no socket may be left to the GC. WSS accepts the
    same way (accept.py), so it is checked here too."""
    for i in range(rounds):
        hub = await Transports.start([spec(proto, host)], print, TransportConfig(tls=settings(pki)))
        client = socket.create_connection((host, hub.listeners[0].local.port))  # at once
        for _ in range(i % 4):
            await asyncio.sleep(0)
        await hub.close()
        client.close()


@pytest.mark.parametrize("proto", ["tls", "wss"])
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_closing_a_tls_or_wss_listener_mid_accept_leaks_no_socket(
    loopback: str, pki: Pki, loop: str, proto: str
) -> None:
    run_on(loop, close_before_handshake(loopback, pki, proto))
    gc.collect()  # an unclosed socket warns when collected, and warnings are errors


async def capped_before_handshake(host: str, pki: Pki) -> None:
    limits = ConnectionLimits(max_per_ip=1, connect_timeout=2.0)
    async with responder([spec("tls", host)], limits, tls=settings(pki)) as server:
        good = await tls_client(server, client_context(pki.ca), host)
        reader, writer = await asyncio.open_connection(host, server.local("tls").port)
        async with asyncio.timeout(3):
            assert await reader.read() == b""  # closed before any handshake byte
        writer.close()
        assert server.counts("tls") == {"connection_cap": 1}
        assert (await good.ask(options("TLS", host, good.port, "k1"))).status == 200
        await good.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_tls_cap_is_checked_before_the_handshake(loopback: str, pki: Pki, loop: str) -> None:
    run_on(loop, capped_before_handshake(loopback, pki))
