"""Transaction keys: which transaction a message belongs to (RFC 3261 §17.1.3, §17.2.3, §9.2).

How this works: a key is a small immutable value computed once from a message, so matching is a dict
lookup. A response matches a client transaction by the branch of its top Via and its CSeq method
(§17.1.3). A request matches a server transaction by branch, sent-by and method, an ACK counting
as INVITE (§17.2.3); when the branch lacks the magic cookie (an RFC 2543 client) the key is made
of the Request-URI, To tag, From tag, Call-ID, CSeq and top Via instead, and an ACK is keyed by
the To tag of the response it acknowledges (`legacy_ack_key`). A CANCEL is a transaction of its
own; `cancel_target_key` names the INVITE server transaction it cancels (§9.2).

Comparisons follow §7.3.1: parameter values (branch, tags), hosts and tokens are
case-insensitive, Call-ID is compared byte for byte (§20.8). The Request-URI is compared as
written: a retransmission repeats it exactly.
"""

from __future__ import annotations

from typing import ClassVar, Final

from sipwarden.errors import LocalError
from sipwarden.sip import Request, Response, Via
from sipwarden.value import Value

# The keys are `Value`s (sipwarden/value.py) with their own equality and hash: every message
# builds one and looks it up in the table's dict, which hashes it and, on a hit, compares it with
# the stored key. Comparing the fields one by one, instead of through `Value`'s tuples of them,
# is what makes that lookup cheap. `!=` (used by nothing on the hot path) stays `Value`'s.


class ClientKey(Value):
    """§17.1.3: the branch of the top Via of the request, and the method it was sent with."""

    __slots__ = ("branch", "method")
    _names: ClassVar[tuple[str, ...]] = ("branch", "method")

    def __init__(self, branch: str, method: str) -> None:
        self.branch: Final = branch
        self.method: Final = method

    def _fields(self) -> tuple[object, ...]:
        return (self.branch, self.method)

    def __eq__(self, other: object) -> bool:
        if type(other) is not ClientKey:
            return NotImplemented
        return self.branch == other.branch and self.method == other.method

    def __hash__(self) -> int:
        return hash((self.branch, self.method))


class ServerKey(Value):
    """§17.2.3 for a branch that starts with the magic cookie z9hG4bK."""

    __slots__ = ("branch", "method", "sent_by")
    _names: ClassVar[tuple[str, ...]] = ("branch", "sent_by", "method")

    def __init__(self, branch: str, sent_by: str, method: str) -> None:
        self.branch: Final = branch
        self.sent_by: Final = sent_by
        self.method: Final = method

    def _fields(self) -> tuple[object, ...]:
        return (self.branch, self.sent_by, self.method)

    def __eq__(self, other: object) -> bool:
        if type(other) is not ServerKey:
            return NotImplemented
        return (
            self.branch == other.branch
            and self.sent_by == other.sent_by
            and self.method == other.method
        )

    def __hash__(self) -> int:
        return hash((self.branch, self.sent_by, self.method))


class LegacyServerKey(Value):
    """§17.2.3's fallback for requests from RFC 2543 elements (no magic cookie)."""

    __slots__ = ("call_id", "cseq", "from_tag", "method", "request_uri", "to_tag", "top_via")
    _names: ClassVar[tuple[str, ...]] = (
        "request_uri",
        "to_tag",
        "from_tag",
        "call_id",
        "cseq",
        "method",
        "top_via",
    )

    def __init__(
        self,
        request_uri: str,
        to_tag: str | None,
        from_tag: str | None,
        call_id: str,
        cseq: int,
        method: str,
        top_via: tuple[object, ...],
    ) -> None:
        self.request_uri: Final = request_uri
        self.to_tag: Final = to_tag
        self.from_tag: Final = from_tag
        self.call_id: Final = call_id
        self.cseq: Final = cseq
        self.method: Final = method
        self.top_via: Final = top_via

    def _fields(self) -> tuple[object, ...]:
        return (
            self.request_uri,
            self.to_tag,
            self.from_tag,
            self.call_id,
            self.cseq,
            self.method,
            self.top_via,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not LegacyServerKey:
            return NotImplemented
        return (  # the fields most likely to differ first
            self.call_id == other.call_id
            and self.cseq == other.cseq
            and self.method == other.method
            and self.from_tag == other.from_tag
            and self.to_tag == other.to_tag
            and self.request_uri == other.request_uri
            and self.top_via == other.top_via
        )

    def __hash__(self) -> int:
        return hash(self._fields())


TransactionKey = ClientKey | ServerKey | LegacyServerKey


def client_key(request: Request) -> ClientKey:
    """The key of the client transaction that sends `request`.

    §8.1.1.7 and §16.6 step 8: whoever sends a request statefully puts an RFC 3261 branch on it;
    a request without one is our bug (LocalError).
    """
    via = request.top_via
    if not via.has_rfc3261_branch or via.branch is None:
        raise LocalError("a client transaction needs a top Via branch starting with z9hG4bK")
    return ClientKey(via.branch.lower(), request.method)


def response_key(response: Response) -> ClientKey | None:
    """The key of the client transaction a response belongs to, or None when it has no branch."""
    branch = response.top_via.branch
    if branch is None:
        return None
    return ClientKey(branch.lower(), response.cseq.method)


def server_key(request: Request) -> ServerKey | LegacyServerKey:
    """The key of the server transaction `request` creates or belongs to (§17.2.3).

    ParseError if the headers the key is made of are malformed.
    """
    via = request.top_via
    if via.has_rfc3261_branch and via.branch is not None:
        method = "INVITE" if request.method == "ACK" else request.method
        return ServerKey(via.branch.lower(), _sent_by(via), method)
    return _legacy_key(request, request.method, _tag(request.to.tag))


def cancel_target_key(cancel: Request) -> ServerKey | LegacyServerKey:
    """The key of the INVITE server transaction a CANCEL refers to (§9.2).

    §9.2: take the CANCEL, assume its method is not CANCEL (here: INVITE, the only request a
    CANCEL should be sent for, §9.1) and apply §17.2.3.
    """
    if cancel.method != "CANCEL":
        raise LocalError("cancel_target_key needs a CANCEL request")
    via = cancel.top_via
    if via.has_rfc3261_branch and via.branch is not None:
        return ServerKey(via.branch.lower(), _sent_by(via), "INVITE")
    return _legacy_key(cancel, "INVITE", _tag(cancel.to.tag))


def legacy_ack_key(invite: Request, to_tag: str | None) -> LegacyServerKey:
    """The key an RFC 2543 ACK has when it acknowledges a response to `invite` whose To tag is
    `to_tag` (§17.2.3: Request-URI, From tag, Call-ID, CSeq number and top Via of the INVITE,
    and the To tag of the response)."""
    return _legacy_key(invite, "ACK", _tag(to_tag))


def _legacy_key(request: Request, method: str, to_tag: str | None) -> LegacyServerKey:
    return LegacyServerKey(
        request.uri_text,
        to_tag,
        _tag(request.from_.tag),
        request.call_id,
        request.cseq.seq,
        method,
        _via_identity(request.top_via),
    )


def _tag(tag: str | None) -> str | None:
    return None if tag is None else tag.lower()


def _sent_by(via: Via) -> str:
    host = via.host.lower()
    return host if via.port is None else f"{host}:{via.port}"


def _via_identity(via: Via) -> tuple[object, ...]:
    """A Via as §20.42 compares it: protocol, transport, sent-by and parameters, caseless."""
    params = tuple((name.lower(), None if v is None else v.lower()) for name, v in via.params)
    return (via.protocol.upper(), via.transport, _sent_by(via), params)
