"""Branch values and loop detection (RFC 3261 §16.6 step 8, §16.3 item 4).

Our branch is `z9hG4bK` + `sw` + H + `.` + index, where H is a keyed hash of the fields §16.6
step 8 lists: the To tag, From tag, Call-ID, the Request-URI as received, the topmost Via as
received, the CSeq number, and any Proxy-Require and Proxy-Authorization values. A request that
comes back to us with one of our Vias is checked by recomputing H with the Via just below ours
(the Via that was topmost when we forwarded it): equal means the same request came back
unchanged, a loop (482); different means a spiral (for instance a new Request-URI after a
forwarding rule), which is processed normally. The index makes each branch of one context
unique (§8.1.1.7), and the same request always gets the same branch, which a stateless
forward of an ACK for a 2xx needs (§16.11).

With `sipwarden run --workers N` (docs/workers.md) every branch a worker opens a client
transaction for ends with `.w<K>`, K the worker's index, so a response that the kernel hands
to another worker can be passed to worker K; the loop check reads only H, before the first ".".
"""

from __future__ import annotations

import hashlib

from sipwarden.proxy.identity import ProxyIdentity
from sipwarden.sip import Request, Via
from sipwarden.sip.via import BRANCH_COOKIE

PREFIX = BRANCH_COOKIE + "sw"
WORKER_MARK = ".w"


def loop_hash(request: Request, via: Via | None, secret: bytes) -> str:
    """H over the §16.6 step 8 fields of `request` with `via` as the topmost received Via."""
    # The two headers are rare: a membership test is cheaper than gathering no lines.
    require = request.header_lines("proxy-require") if request.has("proxy-require") else ()
    authorization = (
        request.header_lines("proxy-authorization") if request.has("proxy-authorization") else ()
    )
    fields = (
        request.uri_text,
        request.to.tag or "",
        request.from_.tag or "",
        request.call_id,
        str(request.cseq.seq),
        "" if via is None else via.__str__(),  # (the native call: str() goes through tp_str)
        ",".join(require),
        ",".join(authorization),
    )
    data = "\0".join(fields).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(data, key=secret[:64], digest_size=8).hexdigest()


def branch_for(request: Request, identity: ProxyIdentity, index: int) -> str:
    """The branch of our Via on branch `index` of `request` (pass the request as received,
    before §16.4 preprocessing, the way `validate` sees it when it comes back)."""
    vias = request.vias
    return f"{PREFIX}{loop_hash(request, vias[0] if vias else None, identity.secret)}.{index}"


def is_loop(request: Request, identity: ProxyIdentity) -> bool:
    """§16.3 item 4: True when one of our Vias carries the hash this request would get now."""
    vias = request.vias
    for position, via in enumerate(vias):
        branch = via.branch or ""
        if not branch.startswith(PREFIX) or not identity.is_own_via(via):
            continue
        below = vias[position + 1] if position + 1 < len(vias) else None
        if branch[len(PREFIX) :].split(".")[0] == loop_hash(request, below, identity.secret):
            return True
    return False


def with_worker(branch: str, worker: int | None) -> str:
    """`branch` marked with the worker that holds its client transaction (None: one process)."""
    return branch if worker is None else f"{branch}{WORKER_MARK}{worker}"


def worker_of(branch: str | None) -> int | None:
    """The worker index a branch of ours was marked with, else None (a cheap string check)."""
    if not branch or not branch.startswith(PREFIX):
        return None
    cut = branch.rfind(WORKER_MARK)
    tail = branch[cut + len(WORKER_MARK) :] if cut > 0 else ""
    return int(tail) if tail.isdigit() and len(tail) < 4 else None
