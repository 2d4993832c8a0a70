"""Network-asserted identity, RFC 3325: assert who authenticated, strip what nobody vouches for.

Within a trust domain (RFC 3325 §2.3: sipwarden and its `trusted_peers`), a proxy that has
authenticated the caller "MUST insert a P-Asserted-Identity header field" naming it (§9.1)
when it forwards the request. A P-Asserted-Identity or P-Preferred-Identity received from an
element outside the trust domain is not to be believed: "the proxy MUST remove" it (§5), so a
caller cannot assert any identity it likes. When forwarding to an element outside the trust
domain and the request asks for `Privacy: id` (RFC 3325 §7), the asserted identity is removed
(§5). These are pure transforms of a `Request`; the server decides trust by source address.
"""

from __future__ import annotations

from sipwarden.sip import Request

ASSERTED = "P-Asserted-Identity"
PREFERRED = "P-Preferred-Identity"


def _quoted(display: str) -> str:
    """A quoted-string (RFC 3261 §25.1): backslash-escape `"` and `\\`, drop CR and LF."""
    clean = display.replace("\r", " ").replace("\n", " ")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def assert_identity(request: Request, user: str, domain: str, display: str | None = None) -> None:
    """Set P-Asserted-Identity to `"display" <sip:user@domain>` (replacing any), and drop the
    P-Preferred-Identity it answers (§9.1: the proxy asserts; the UA's preference is spent)."""
    name = f"{_quoted(display)} " if display else ""
    request.set_header(ASSERTED, f"{name}<sip:{user}@{domain}>")
    request.remove_header(PREFERRED)


def strip_untrusted_identity(request: Request) -> int:
    """Remove P-Asserted-Identity and P-Preferred-Identity from a request received from an
    untrusted source (§5); return how many header lines were removed."""
    return request.remove_header(ASSERTED) + request.remove_header(PREFERRED)


def wants_privacy(request: Request) -> bool:
    """The request carries `Privacy: id` (RFC 3325 §7) or `Privacy: user`/`header` (RFC 3323)."""
    values = {v.strip().lower() for line in request.values("Privacy") for v in line.split(";")}
    return bool(values & {"id", "user", "header"})


def for_untrusted_destination(request: Request) -> int:
    """Before sending to an element outside the trust domain: remove P-Asserted-Identity when
    the caller asked for privacy (§5); return how many lines were removed."""
    return request.remove_header(ASSERTED) if wants_privacy(request) else 0
