"""The registrar (RFC 3261 §10.3 steps 6 to 8, RFC 3327 §5.3): pure, sans-IO.

How this works: the server has already done steps 1 to 5 (the domain is ours, the request is
well formed, the sender is authenticated and allowed to register the AoR taken from To). It then
runs `Registrar.apply` inside `LocationStore.update`, which hands it the AoR's current bindings
and stores whatever set it returns, atomically. `apply` either accepts the whole REGISTER (200
listing every binding, step 8) or refuses it and returns the bindings unchanged: "The binding
updates MUST be committed ... if and only if all binding updates and additions succeed"
(step 7).
"""

from __future__ import annotations

from collections.abc import Callable

from sipwarden.errors import LocalError, RemoteError
from sipwarden.location.binding import Binding
from sipwarden.registrar.config import RegistrarConfig
from sipwarden.registrar.contacts import WantedContact, is_star_request, wanted_contacts
from sipwarden.registrar.result import Refusal, RegisterResult, accepted, http_date, refused
from sipwarden.sip.message import Request
from sipwarden.sip.uri import Uri, parse_uri


class _Origin:
    """What every binding set by one REGISTER records about it (one per REGISTER: a plain
    slotted class, read-only by convention, cheaper to make than a frozen dataclass)."""

    __slots__ = ("aor", "call_id", "cseq", "now", "path", "source", "user_agent")

    def __init__(
        self,
        aor: str,
        call_id: str,
        cseq: int,
        path: tuple[str, ...],
        source: str | None,
        user_agent: str | None,
        now: float,
    ) -> None:
        self.aor = aor
        self.call_id = call_id
        self.cseq = cseq
        self.path = path
        self.source = source
        self.user_agent = user_agent
        self.now = now


class Registrar:
    """Applies REGISTER requests to the bindings of one AoR.

    `is_self(uri)` says whether a Contact URI points at this proxy; such a Contact is refused
    (403) so a lookup can never route a request back to us in a loop.
    """

    def __init__(self, config: RegistrarConfig, is_self: Callable[[Uri], bool]) -> None:
        self.config = config
        self.is_self = is_self
        self._date = (-1, "")  # the last Date value: (whole second, text)

    def apply(
        self,
        request: Request,
        aor: str,
        current: list[Binding],
        *,
        source: str | None,
        now: float,
    ) -> tuple[RegisterResult, list[Binding]]:
        """The answer to `request` and the AoR's bindings afterwards (unchanged when refused).

        `current` are the AoR's bindings (expired ones are ignored); `source` is where the
        request came from (`str(Address)`); `now` is wall-clock seconds.
        """
        if request.method != "REGISTER":
            raise LocalError(f"the registrar handles REGISTER, not {request.method}")
        live = [b for b in current if not b.expired(now)]
        try:
            new = self._bindings_after(request, aor, live, source, now)
            return accepted(request, new, now, self._http_date(now)), new
        except RemoteError as error:
            return refused(error), live

    def _http_date(self, now: float) -> str:
        """`http_date(now)`, worked out once per second (every 200 carries one)."""
        second = int(now)
        if self._date[0] != second:
            self._date = (second, http_date(now))
        return self._date[1]

    def _bindings_after(
        self, request: Request, aor: str, live: list[Binding], source: str | None, now: float
    ) -> list[Binding]:
        """§10.3 steps 6 and 7; a Refusal or ParseError when the request fails."""
        contacts = request.contacts
        expires = request.expires
        origin = self._origin(request, aor, source, now)
        if not contacts:  # step 6: "If not, it skips to the last step" (a query)
            return live
        if is_star_request(contacts, expires):
            return remove_all(live, origin)
        wanted = wanted_contacts(contacts, expires, self.config, self.is_self, len(live))
        new = merge(live, wanted, origin)
        self._check_count(live, new)
        return new

    def _origin(self, request: Request, aor: str, source: str | None, now: float) -> _Origin:
        # RFC 3327 §5.3: Path values are stored; parsing them is the check (a bad one is 400).
        path = tuple(request.values("path")) if request.paths else ()
        agent = request.header("user-agent")
        return _Origin(aor, request.call_id, request.cseq.seq, path, source, agent, now)

    def _check_count(self, live: list[Binding], new: list[Binding]) -> None:
        """The per-AoR limit: a request that adds bindings beyond `max_contacts` is refused.

        403, not 503: the limit is policy, and a 503 would invite the UA to retry or fail over
        (§21.5.4) where a 403 says "the request SHOULD NOT be repeated" (§21.4.4). An AoR that
        is already over a lowered limit can still refresh and remove.
        """
        limit = self.config.max_contacts
        if len(new) > limit and len(new) > len(live):
            raise Refusal(403, f"Too many contacts (max {limit})", "too-many-contacts")


def remove_all(live: list[Binding], origin: _Origin) -> list[Binding]:
    """§10.3 step 6 for `Contact: *`: each binding is removed if the Call-ID differs, or if
    it agrees and the CSeq is higher; "Otherwise, the update MUST be aborted and the request
    fails" (500, as step 7 answers a failed update)."""
    for binding in live:
        check_order(binding, origin)
    return []


def merge(live: list[Binding], wanted: list[WantedContact], origin: _Origin) -> list[Binding]:
    """§10.3 step 7: each Contact updates the binding whose URI is equal (§19.1.4), removes it
    when its interval is zero, or adds a new binding."""
    new = list(live)
    for contact in wanted:
        index = find(new, contact.uri, contact.text)
        old = None if index is None else new.pop(index)
        if old is not None:
            check_order(old, origin)
        if contact.expires > 0:
            new.append(make_binding(contact, origin, old))
    return new


def find(bindings: list[Binding], uri: Uri, text: str | None = None) -> int | None:
    """The index of the binding whose contact URI equals `uri` (§19.1.4), or None.

    `text` is `uri` as written: a binding stored with that very text holds an equal URI, so a
    refresh (the usual REGISTER) finds its binding without parsing the stored contact.
    """
    for index, binding in enumerate(bindings):
        if binding.contact == text or parse_uri(binding.contact) == uri:
            return index
    return None


def check_order(binding: Binding, origin: _Origin) -> None:
    """§10.3 step 7: with the same Call-ID, a binding changes only for a higher CSeq; else "the
    update MUST be aborted and the request fails" with 500 (out of order or replayed)."""
    if binding.call_id == origin.call_id and origin.cseq <= binding.cseq:
        raise Refusal(
            500,
            f"Out of order REGISTER (CSeq {origin.cseq} not above {binding.cseq})",
            "out-of-order",
        )


def make_binding(contact: WantedContact, origin: _Origin, old: Binding | None) -> Binding:
    """The binding `contact` asks for; "each binding record records the Call-ID and CSeq values
    from the request" (§10.3 step 7), and the Path values (RFC 3327 §5.3)."""
    return Binding(
        aor=origin.aor,
        contact=contact.text,
        expires_at=origin.now + contact.expires,
        q=contact.q,
        call_id=origin.call_id,
        cseq=origin.cseq,
        path=origin.path,
        source=origin.source,
        instance=contact.instance,
        reg_id=contact.reg_id,
        user_agent=origin.user_agent,
        registered_at=origin.now if old is None else old.registered_at,
    )
