"""Proxying in `sipwarden run`: RFC 3261 §16 over the stores, the pure proxy core and the
dispatcher.

For each new request that is not for the registrar or the proxy itself:
1. §16.3 validation (`proxy.validate`): 483, 400, 416, 482, 420 answered at once.
2. §16.4 route preprocessing (`proxy.preprocess`) on a copy.
3. §16.5 target determination:
   - a request inside a dialog (To tag) or carrying Route values after ours were removed is
     forwarded to its Request-URI as is (loose routing, §16.12);
   - otherwise the routing rules decide (`sipwarden.routing`, docs/routing.md): credentials
     of a caller from a served domain are checked first (a replayed nonce-count gets a stale
     407, someone else's identity 403), then the first matching rule's action runs:
     `challenge` (407, §22.3), `reply`, `redirect` (302), `forward` (to a URI, or through
     gateway groups with failover), or `lookup`: for a callee in a served domain, its
     registered contacts and call forwarding (`proxy.forwarding.plan`), or 404 (unknown user:
     said only to authenticated, trusted or local callers; outsiders get 480 so they cannot
     enumerate accounts), or 480 (offline); in redirect mode 302 with the contacts. Without
     rules the built-in table does what docs/routing.md describes: challenge local callers
     (unless `[auth] authenticate_calls = false`), 403 for relaying, lookup, forward.
4. §16.6/§16.7: a `Session` forks and collects the responses.
A lookup reads the callee's account, bindings and forwarding through `users.reads.CalleeReads`:
with the embedded SQLite stores what was read is kept until the database file changes (one
`PRAGMA data_version` per request instead of three queries), and since those stores never
suspend, `inline` tells the core to run `handle` without a task of its own.
ACKs for 2xx (no transaction) and 2xx retransmissions that outlived their client transaction
are forwarded statelessly (§16.11).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from sipwarden.auth.digest_auth import Authenticated, DigestAuth
from sipwarden.auth.nonce_counts import NonceCountStore
from sipwarden.auth.outcome import Failed
from sipwarden.auth.store import CredentialStore
from sipwarden.dns.resolver import SipResolver
from sipwarden.errors import ParseError
from sipwarden.location.store import LocationStore
from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.context import ResponseContext
from sipwarden.proxy.forward import forward
from sipwarden.proxy.forwarding import Plan, forward_uris, plan, splice
from sipwarden.proxy.identity import Flow, ProxyIdentity
from sipwarden.proxy.loop import branch_for
from sipwarden.proxy.preprocess import preprocess
from sipwarden.proxy.redirect import redirect_response
from sipwarden.proxy.targets import Target, TargetGroup
from sipwarden.proxy.validate import ReplyKind, validate
from sipwarden.registrar.aor import aor_of
from sipwarden.routing import (
    Challenge,
    Decision,
    Failover,
    Forward,
    HealthTracker,
    Redirect,
    Reply,
    Routing,
    SelectionState,
    TrustTable,
    apply,
    default_table,
    view_of,
)
from sipwarden.security.events import Verdict
from sipwarden.security.identity import assert_identity, strip_untrusted_identity
from sipwarden.server.authn import CredentialCheck
from sipwarden.server.dispatcher import Dispatcher, ServerTx
from sipwarden.server.flows import flow_of
from sipwarden.server.guard import Guard
from sipwarden.server.locality import Locality
from sipwarden.server.resolve import literal_address
from sipwarden.server.session import Session
from sipwarden.sip import Request, Response, SipUri, build_response, parse_uri
from sipwarden.sip.hosts import normalize_host
from sipwarden.sip.uri import Uri
from sipwarden.transaction import InviteServerTransaction
from sipwarden.transport.address import Address, Destination, Received
from sipwarden.transport.routing import response_destination
from sipwarden.users.forwarding import Forwarding
from sipwarden.users.reads import CalleeReads

log = logging.getLogger(__name__)


class ForwardingStore(Protocol):
    async def get(self, user: str, domain: str) -> Forwarding | None: ...


@dataclass
class Proxy:
    """The proxy part of the server's core: one `Session` per proxied request."""

    dispatcher: Dispatcher
    locality: Locality
    identity: ProxyIdentity
    config: ProxyConfig
    auth: DigestAuth
    users: CredentialStore
    nonce_counts: NonceCountStore
    location: LocationStore
    forwarding: ForwardingStore
    wallclock: Callable[[], float]
    resolver: SipResolver
    redirect: bool = False
    max_forward_hops: int = 5
    mtu_limit: int = 1300
    guard: Guard | None = None
    peer_names: Callable[[int | None], tuple[str, ...]] = lambda connection: ()
    routing: Routing = field(default_factory=lambda: _default_routing())
    health: HealthTracker = field(default_factory=lambda: HealthTracker((), 0.0))
    turns: dict[str, int] = field(default_factory=dict)
    sessions: dict[ServerTx, Session] = field(default_factory=dict)
    # The flows of `identity`'s interfaces, derived once per identity (has_interface is asked
    # several times per forwarded request).
    _flows: frozenset[Flow] = field(default=frozenset(), init=False, repr=False, compare=False)
    _flows_of: ProxyIdentity | None = field(default=None, init=False, repr=False, compare=False)
    # The account, binding and forwarding reads of calls to local users (cached for SQLite
    # stores, users/reads.py), made again if a store is replaced.
    _reads: CalleeReads | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Set here too: a mypyc-compiled dataclass leaves init=False fields unset.
        self._flows = frozenset()
        self._flows_of = None
        self._reads = None

    def swap_routing(self, routing: Routing, now: float) -> None:
        """Install new routing tables whole (a reload); gateway health carries over."""
        health = HealthTracker(routing.gateways.values(), now)
        health.adopt(self.health)
        self.routing, self.health = routing, health

    @property
    def inline(self) -> bool:
        """`handle` never waits on I/O: the stores are the embedded SQLite ones, whose `async`
        methods answer at once (server/core.py then runs it without a task of its own)."""
        return self._callee_reads().caching

    def callee_reads(self) -> CalleeReads:
        """The reads for calls to local users, refreshed: call once per request."""
        reads = self._callee_reads()
        reads.refresh()
        return reads

    def _callee_reads(self) -> CalleeReads:
        reads = self._reads
        if (
            reads is None
            or reads.users is not self.users
            or reads.location is not self.location
            or reads.forwarding is not self.forwarding
        ):
            reads = self._reads = CalleeReads(self.users, self.location, self.forwarding)
        return reads

    def has_interface(self, flow: Flow) -> bool:
        identity = self.identity
        if self._flows_of is not identity:
            self._flows = frozenset(i.flow for i in identity.interfaces)
            self._flows_of = identity
        return flow in self._flows

    # ----- new requests --------------------------------------------------------------------
    async def handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        """Answer or forward one new request (never raises on the peer's input)."""
        try:
            await self._handle(request, received, transaction)
        except ParseError as error:
            self.dispatcher.respond(
                transaction, build_response(request, error.status, error.reason)
            )

    async def _handle(self, request: Request, received: Received, transaction: ServerTx) -> None:
        reply = validate(request, self.identity, self.config)
        if reply is not None:
            if reply.kind is not ReplyKind.DROP:
                response = build_response(
                    request, reply.status, reply.reason, headers=reply.headers
                )
                self.dispatcher.respond(transaction, response)
            return
        routed = preprocess(request, self.identity)
        if not self._trusted_source(received.source.host):
            strip_untrusted_identity(routed)  # RFC 3325 §5: not from our trust domain
        if request.method == "BYE":
            if self.guard is not None:
                self.guard.call_ended(request.call_id)
            if self.dispatcher.cdr is not None:
                self.dispatcher.cdr.bye(request)
        elif request.method == "INVITE" and self.dispatcher.cdr is not None:
            self.dispatcher.cdr.invite(request, received.source)
        outcome = await self._targets(request, routed, received)
        if isinstance(outcome, Response):
            self.dispatcher.respond(transaction, outcome)
            return
        if transaction not in self.dispatcher.table:
            return  # the caller gave up while we were looking (CANCEL answered 487, Timer)
        context = ResponseContext(
            request, outcome.groups, self.config, self._now(), outcome.on_failure
        )
        session = Session(self, request, routed, received, transaction, context)
        self.sessions[transaction] = session
        session.start()

    async def _targets(
        self, request: Request, routed: Request, received: Received
    ) -> Plan | Response:
        if routed.to.tag is not None or routed.routes:
            return Plan([TargetGroup((Target(routed.uri_text, reason="route"),))])
        caller = self._caller_domain(request)
        routing = self.routing
        trusted = None
        if routing.trust.peers:
            names = self.peer_names(received.connection)
            trusted = routing.trust.match(received.source.host, names)
        if trusted is not None and not trusted.allows(_ruri_user(routed)):
            return build_response(request, 403, "Destination Not Allowed")
        outcome = await self._verify(request, caller, received) if caller else None
        if isinstance(outcome, Response):
            return outcome
        user = None if not isinstance(outcome, Authenticated) else outcome.user
        view = view_of(
            routed,
            source=received.source.host,
            transport=received.source.transport,
            authenticated=user,
            from_local=caller is not None,
            ruri_local=self.locality.is_local(routed.uri),
            trusted=trusted,
        )
        explain = log.isEnabledFor(logging.DEBUG)  # the trace costs more than the decision
        decision = routing.rules.decide(view, self.wallclock(), explain=explain)
        if explain:
            log.debug("routing %s %s:\n%s", request.method, request.uri_text, decision.explain())
        apply(routed, decision)
        return await self._act(
            request, routed, decision, caller, outcome, trusted is not None, received
        )

    async def _act(
        self,
        request: Request,
        routed: Request,
        decision: Decision,
        caller: str | None,
        outcome: Authenticated | Failed | None,
        trusted: bool,
        received: Received,
    ) -> Plan | Response:
        """Carry out the routing decision's terminal action (docs/routing.md)."""
        action = decision.action
        if isinstance(action, Challenge):
            realm = action.realm or caller or normalize_host(_host(routed))
            stale = isinstance(outcome, Failed) and outcome.stale
            return self._challenge(request, realm, self.wallclock(), stale=stale)
        if isinstance(action, Reply):
            return build_response(request, action.code, action.reason)
        if isinstance(action, Redirect):
            contact = [("Contact", f"<{action.uri}>")]
            return build_response(request, 302, "Moved Temporarily", headers=contact)
        if isinstance(outcome, Authenticated):
            refused = await self._fraud_check(request, routed, outcome)
            if refused is not None:
                return refused
            assert_identity(routed, outcome.user, outcome.realm)  # RFC 3325 §9.1
        if isinstance(action, Forward):
            return self._forward_plan(routed, action)
        known = isinstance(outcome, Authenticated) or trusted or caller is not None
        return await self._local_callee(request, routed, known, received)

    async def _fraud_check(
        self, request: Request, routed: Request, outcome: Authenticated
    ) -> Response | None:
        """The anti-fraud limits for a new call (docs/security.md): 403 with the reason."""
        if request.method != "INVITE" or self.guard is None:
            return None
        uri = routed.uri
        user = uri.user if isinstance(uri, SipUri) and uri.user else ""
        account = f"{outcome.user}@{outcome.realm}"
        verdict: Verdict | None = self.guard.call_attempt(account, user, request.call_id)
        if verdict is not None and verdict.allowed:
            verdict = await self.guard.cluster_call_rate(account, request.call_id)
        if verdict is None or verdict.allowed:
            return None
        return build_response(request, verdict.status or 403, verdict.phrase or "Forbidden")

    def _trusted_source(self, ip: str) -> bool:
        if self.guard is None:
            return False
        config = self.guard.shield.config
        return bool(config.trusted_peers) and config.trusted(ip)  # most have none: no parsing

    def _forward_plan(self, routed: Request, action: Forward) -> Plan:
        """`forward`: to a URI, or through gateway groups: one destination at a time, the next
        only after a failover status, a timeout or a transport error (the group's failover)."""
        if not action.gateways:
            return Plan([TargetGroup((Target(action.uri, reason="forward"),))])
        chain: list[tuple[Target, Failover]] = []
        state = SelectionState(self.health.is_up, random.random, self.turns)
        for name in action.gateways:
            group = self.routing.gateways[name]
            for destination in group.order(routed.call_id, _user(routed), state):
                target = Target(destination.target_for(action.uri), reason=f"gateway:{name}")
                chain.append((target, group.failover))
        if not chain:
            return Plan(reply=(503, "No Gateway Available"))
        first, failover = chain[0]
        return Plan([TargetGroup((first,))], GatewayFailover(chain[1:], failover))

    def _caller_domain(self, request: Request) -> str | None:
        uri = request.from_.uri
        if isinstance(uri, SipUri) and self.locality.is_domain(uri.host):
            return normalize_host(uri.host)
        return None

    async def _local_callee(
        self, request: Request, routed: Request, trusted: bool, received: Received
    ) -> Plan | Response:
        uri = routed.uri
        assert isinstance(uri, SipUri)  # is_local holds only for SIP(S) URIs
        if uri.user is None:
            return build_response(request, 404, "Not Found")
        domain = normalize_host(uri.host)
        reads = self.callee_reads()
        if not await reads.user_exists(uri.user, domain):
            if self.guard is not None:
                self.guard.unknown_user(received.source.host, uri.user)
            if trusted:
                return build_response(request, 404, "Not Found")
            return build_response(request, 480, "Temporarily Unavailable")
        if self.redirect:
            bindings = await reads.lookup(aor_of(uri), self.wallclock())
            forwarding = await reads.forwarding_of(uri.user, domain)
            return redirect_response(request, bindings, self.wallclock(), forwarding=forwarding)
        result = await self._plan(reads, uri.user, domain, 0)
        if result.reply is not None:
            return build_response(request, result.reply[0], result.reply[1])
        return result

    async def _plan(self, reads: CalleeReads, user: str, domain: str, hops: int) -> Plan:
        """The user's contacts and forwarding; forwarding to another local user is planned
        again, one hop deeper (`proxy.forwarding.splice`), bounded by max_forward_hops."""
        aor = _aor(user, domain)
        bindings = await reads.lookup(aor, self.wallclock())
        forwarding = await reads.forwarding_of(user, domain)
        result = plan(user, domain, bindings, forwarding, hops=hops, max_hops=self.max_forward_hops)
        if forwarding is None or hops >= self.max_forward_hops:
            return result  # (no forwarding: no target to resolve)
        resolved: dict[str, Plan] = {}
        for text in forward_uris(forwarding, domain):
            target = parse_uri(text)
            if isinstance(target, SipUri) and target.user and self.locality.is_local(target):
                resolved[text] = await self._plan(
                    reads, target.user, normalize_host(target.host), hops + 1
                )
        return splice(result, resolved) if resolved else result

    async def _verify(
        self, request: Request, realm: str, received: Received
    ) -> Authenticated | Failed | Response | None:
        """§22.3: check Proxy-Authorization for `realm` without challenging (the rules decide
        whether a challenge is needed): None without credentials, Failed when they are wrong,
        a 407 (stale) for a replayed nonce-count, a 403 for someone else's identity."""
        if not request.has("proxy-authorization"):
            return None  # what the check below answers, without building it
        outcome = await self._credentials().check(
            request, realm, proxy=True, source=received.source
        )
        if isinstance(outcome, Failed) and outcome.reason == "nonce_replay":
            return self._challenge(request, realm, self.wallclock(), stale=True)
        if isinstance(outcome, Authenticated) and not self.auth.identity_ok(request, outcome):
            return build_response(request, 403, "Forbidden")
        return outcome

    def _credentials(self) -> CredentialCheck:
        return CredentialCheck(self.auth, self.users, self.nonce_counts, self.wallclock, self.guard)

    def _challenge(self, request: Request, realm: str, now: float, *, stale: bool) -> Response:
        return self._credentials().challenge(request, realm, proxy=True, stale=stale)

    # ----- sessions ------------------------------------------------------------------------
    def upstream(self, transaction: ServerTx, response: Response) -> None:
        """A response for the caller; a 2xx after the final answer goes statelessly (RFC 6026
        §8.2: the server transaction no longer sends it)."""
        if not self.dispatcher.respond(transaction, response) and 200 <= response.status < 300:
            self._stateless_response(response)
            if self.dispatcher.cdr is not None and transaction.request.method == "INVITE":
                self.dispatcher.cdr.response(transaction.request, response)

    def finished(self, transaction: ServerTx) -> None:
        session = self.sessions.pop(transaction, None)
        if session is not None:
            session.close()
        last = transaction.last_response
        answered = last is not None and 200 <= last.status < 300
        if self.guard is not None and not answered:
            self.guard.call_ended(transaction.request.call_id)  # the call never started

    def cancelled(self, transaction: InviteServerTransaction) -> bool:
        session = self.sessions.get(transaction)
        if session is None:
            return False
        session.cancel()
        return True

    # ----- without a transaction (§16.11) --------------------------------------------------
    def handle_ack(self, ack: Request, received: Received) -> None:
        """The ACK of a 2xx: routed by its Route set / Request-URI, without a transaction."""
        reply = validate(ack, self.identity, self.config)
        if reply is not None:
            return
        try:
            routed = preprocess(ack, self.identity)
        except ParseError:
            return
        if (
            not routed.routes
            and self.locality.is_local(routed.uri)
            and self.identity.is_self(routed.uri)
        ):
            return  # addressed to us: nothing to route it to
        inbound = flow_of(received.local)
        branch = branch_for(ack, self.identity, 0)
        target = Target(routed.uri_text, reason="ack")
        built = forward(
            routed,
            target,
            self.identity,
            self.config,
            branch=branch,
            inbound=inbound,
            outbound=inbound,
        )
        address = literal_address(built.next_hop)
        if address is not None:  # an IP literal next hop (RFC 3263 §4.1): no DNS to wait for
            self._ack_to(address, built.request, routed, target, inbound, branch)
            return
        task = asyncio.ensure_future(
            self._send_ack(built.request, built.next_hop, routed, target, inbound, branch)
        )
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _send_ack(
        self,
        request: Request,
        hop: Uri,
        routed: Request,
        target: Target,
        inbound: Flow,
        branch: str,
    ) -> None:
        address = await self.resolver.resolve(hop)
        if address is not None:
            self._ack_to(address, request, routed, target, inbound, branch)

    def _ack_to(
        self,
        address: Address,
        request: Request,
        routed: Request,
        target: Target,
        inbound: Flow,
        branch: str,
    ) -> None:
        """Send the ACK to `address`, rebuilt for another interface if it leaves by one."""
        outbound = flow_of(address)
        if outbound != inbound and self.has_interface(outbound):
            request = forward(
                routed,
                target,
                self.identity,
                self.config,
                branch=branch,
                inbound=inbound,
                outbound=outbound,
            ).request
        self.dispatcher.send_stateless(request.serialize(), Destination(address))

    def handle_stray(self, response: Response, received: Received) -> None:
        """A response no client transaction wants: a 2xx retransmission of an INVITE whose
        transaction ended is forwarded statelessly (§16.11, RFC 6026 §8.2); others dropped."""
        if not (200 <= response.status < 300 and response.cseq.method == "INVITE"):
            self.dispatcher.counters.count("stray_response")
            return
        if not self.identity.is_own_via(response.top_via):
            self.dispatcher.counters.count("stray_response")
            return
        response.pop_via()
        if not response.has("via"):
            return
        self._stateless_response(response)

    def _stateless_response(self, response: Response) -> None:
        destination = response_destination(response.top_via, None, False)
        self.dispatcher.send_stateless(response.serialize(), destination)

    def _now(self) -> float:
        return asyncio.get_running_loop().time()


class GatewayFailover:
    """`on_failure` for a gateway chain: the next destination after a failover status
    (RFC 3261 §16.7: the best response so far is 408, 5xx or a local 503 for a transport
    error), else nothing more, and the best response goes up."""

    __slots__ = ("chain", "failover")

    def __init__(self, chain: list[tuple[Target, Failover]], failover: Failover) -> None:
        self.chain = chain
        self.failover = failover

    def __call__(self, best: Response) -> list[TargetGroup]:
        if not self.chain or not self.failover.on_status(best.status):
            return []
        target, self.failover = self.chain.pop(0)
        return [TargetGroup((target,))]


# A user part `aor_of` writes as it is (registrar/aor.py) and a host that is a plain lower-case
# name or IPv4 address (what `normalize_host` gives for them): the AoR needs no SipUri.
_PLAIN_USER_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_PLAIN_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def _aor(user: str, domain: str) -> str:
    """`aor_of(SipUri(user=user, host=domain))` (`domain` normalized), without building the
    SipUri (render, parse back, compare) in the usual case."""
    if _PLAIN_USER_RE.fullmatch(user) and _PLAIN_HOST_RE.fullmatch(domain):
        return f"sip:{user}@{domain}"
    if ":" in domain and not domain.startswith("["):
        domain = f"[{domain}]"  # normalize_host() strips an IPv6 reference's brackets (§25.1)
    return aor_of(SipUri(user=user, host=domain))


def _default_routing() -> Routing:
    return Routing(default_table(True), MappingProxyType({}), TrustTable(()))


def _host(request: Request) -> str:
    uri = request.uri
    return uri.host if isinstance(uri, SipUri) else ""


def _ruri_user(request: Request) -> str | None:
    uri = request.uri
    return uri.user if isinstance(uri, SipUri) else None


def _user(request: Request) -> str | None:
    uri = request.from_.uri
    return uri.user if isinstance(uri, SipUri) else None
