"""The canonical address-of-record: the key of the location service (RFC 3261 §10.3 step 5).

Step 5: "all URI parameters MUST be removed (including the user-param), and any escaped
characters MUST be converted to their unescaped form. The result serves as an index into the
list of bindings." Choices, so that URIs equal under §19.1.4 give the same key:

- the scheme is kept: "A SIP and SIPS URI are never equivalent" (§19.1.4), so sips:bob@x and
  sip:bob@x are two AoRs;
- the user part is case-sensitive (§19.1.4) and kept as is; escapes are resolved and the
  result re-escaped minimally (`sip:%61lice@x` is `sip:alice@x`), which is the same one-to-one
  index as the unescaped text but stays a valid URI;
- the host is lower-cased (§19.1.4: compared case-insensitively);
- the password, port, parameters and headers are dropped: an AoR names a user in a domain,
  the port says how to reach a server, not who the user is.
"""

from __future__ import annotations

import re

from sipwarden.errors import ParseError
from sipwarden.sip.uri import SipUri, Uri

# A user part that `SipUri` writes back unescaped: alphanumerics and RFC 3261 §25.1 "mark"
# (`quote` keeps them whatever its safe set). Nearly every AoR's user is one of these.
_PLAIN_USER_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")


def aor_of(uri: Uri) -> str:
    """The canonical AoR of `uri`, e.g. "sip:alice@example.com".

    ParseError (400) for a URI that is not SIP or SIPS: an address-of-record is one (§10.2:
    the To header "contains the address of record ... a SIP or SIPS URI").
    """
    if not isinstance(uri, SipUri):
        raise ParseError("address-of-record must be a SIP or SIPS URI")
    user, host = uri.user, uri.host.lower()
    if user is not None and _PLAIN_USER_RE.fullmatch(user) is not None:
        # What the SipUri below renders, without its render-and-parse-back check: the scheme
        # and host come from a parsed URI and the user needs no escaping.
        return f"{uri.scheme}:{user}@{host}"
    return str(SipUri(scheme=uri.scheme, user=user, host=host))
