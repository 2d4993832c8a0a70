"""TLS contexts for SIP over TLS (RFC 3261 §26.2.1) and WSS (RFC 7118 §5), and the self-signed
certificate a server makes for itself when none is configured.

Only TLS 1.2 and 1.3 are offered (RFC 8996 deprecates 1.0 and 1.1; RFC 7525 §3.1.1). A server
may require client certificates signed by a given CA (mutual TLS, RFC 5923 §4 and RFC 5922 §7.3).
When no certificate is configured, `ensure_self_signed` writes an ECDSA P-256 pair to the data
directory the first time and reuses it afterwards; its SHA-256 fingerprint (RFC 8122 §5 style,
colon-separated hex) lets a peer pin it.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sipwarden.errors import LocalError

log = logging.getLogger(__name__)
CERT_FILE = "tls-self-signed.crt"
KEY_FILE = "tls-self-signed.key"
VALIDITY = datetime.timedelta(days=825)


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """TLS configuration for listeners (TLS, WSS) and outbound TLS connections.

    `cert`/`key`: the server certificate chain and key (PEM); both None means self-signed in
    the data directory. `ca`: CA bundle used to check client certificates (with
    `verify_client`) and server certificates of outbound connections (system roots when None).
    `verify_server`: check outbound peers' certificates and host names (RFC 5922 §7.2).
    """

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    verify_client: bool = False
    verify_server: bool = True


def server_context(
    cert: Path | str, key: Path | str, ca: Path | str | None = None, verify_client: bool = False
) -> ssl.SSLContext:
    """A server context: TLS 1.2 or 1.3, this cert and key; with `verify_client`, a client
    certificate signed by `ca` is required and the handshake fails without one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if verify_client:
        if ca is None:
            raise LocalError("TLS client verification needs a CA file (tls ca)")
        context.load_verify_locations(cafile=str(ca))
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(
    ca: Path | str | None = None,
    cert: Path | str | None = None,
    key: Path | str | None = None,
    verify: bool = True,
) -> ssl.SSLContext:
    """A client context: TLS 1.2 or 1.3; with `verify`, the server certificate must chain to
    `ca` (system roots when None) and match the host name or IP; `cert`/`key` are presented
    when a server asks for a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify:
        if ca is None:
            context.load_default_certs()
        else:
            context.load_verify_locations(cafile=str(ca))
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


def fingerprint(cert_pem: bytes) -> str:
    """SHA-256 fingerprint of a PEM certificate as upper-case hex pairs joined by colons."""
    certificate = x509.load_pem_x509_certificate(cert_pem)
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def ensure_self_signed(data_dir: Path | str, hosts: list[str]) -> tuple[Path, Path, str]:
    """The self-signed pair in `data_dir`, created on first use with `hosts` as its names.

    Returns (cert path, key path, SHA-256 fingerprint). An existing pair is reused as is, so
    peers that pinned the fingerprint keep working across restarts.
    """
    directory = Path(data_dir)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if not (cert_path.exists() and key_path.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        cert_pem, key_pem = _self_signed(hosts or ["localhost"])
        _write(key_path, key_pem, 0o600)
        _write(cert_path, cert_pem, 0o644)
    return cert_path, key_path, fingerprint(cert_path.read_bytes())


def _self_signed(hosts: list[str]) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return x509.DNSName(host)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a key."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    temporary.replace(path)


def listener_context(
    settings: TlsSettings, data_dir: Path | str, hosts: list[str]
) -> ssl.SSLContext:
    """The server context for TLS and WSS listeners: the configured pair, else the self-signed
    one from `data_dir` (`ensure_self_signed`), whose fingerprint is logged at WARNING so an
    operator can hand it to peers that pin it."""
    if (settings.cert is None) != (settings.key is None):
        raise LocalError("TLS needs both a certificate and a key, or neither (self-signed)")
    cert, key = settings.cert, settings.key
    if cert is None or key is None:
        cert, key, digest = ensure_self_signed(data_dir, hosts)
        log.warning("TLS: no certificate configured, using self-signed %s sha256=%s", cert, digest)
    return server_context(cert, key, settings.ca, settings.verify_client)


def outbound_context(settings: TlsSettings) -> ssl.SSLContext:
    """The client context for outbound TLS/WSS: our certificate (when configured) is offered to
    peers that ask for one (mutual TLS between proxies, RFC 5923 §4)."""
    return client_context(settings.ca, settings.cert, settings.key, settings.verify_server)


def peer_certificate_names(ssl_object: object) -> tuple[str, ...]:
    """What identifies the TLS peer's certificate, for trusted peers (docs/routing.md): its
    subject CN, its subjectAltName DNS names and `sha256:HEX` of the certificate; () when the
    peer sent none (a client is asked for one only with `[tls] verify_client = true`)."""
    getpeercert = getattr(ssl_object, "getpeercert", None)
    der = getpeercert(binary_form=True) if getpeercert is not None else None
    if not der:
        return ()
    certificate = x509.load_der_x509_certificate(der)
    names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += alternative.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    names.append("sha256:" + certificate.fingerprint(hashes.SHA256()).hex().upper())
    return tuple(names)
