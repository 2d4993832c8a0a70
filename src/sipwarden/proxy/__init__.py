"""The stateful proxy core (RFC 3261 §16), sans-IO: see docs/proxy.md.

validate (§16.3) -> preprocess (§16.4) -> targets (the server) -> ResponseContext (§16.6 step
11, §16.7, §16.10) emitting ForwardBranch / CancelBranch / SendUpstream / Finished; the server
builds each branch's copy with forward_copy (§16.6) and each CANCEL with build_cancel (§9.1).
"""

from sipwarden.proxy.cancel import build_cancel
from sipwarden.proxy.config import ProxyConfig
from sipwarden.proxy.context import ContextInput, ContextState, ResponseContext
from sipwarden.proxy.events import CancelBranch, Finished, ForwardBranch, ProxyEvent, SendUpstream
from sipwarden.proxy.forking import groups_by_q
from sipwarden.proxy.forward import (
    Forwarded,
    forward,
    forward_copy,
    next_hop,
    strict_route_postprocess,
)
from sipwarden.proxy.identity import Flow, Interface, ProxyIdentity
from sipwarden.proxy.loop import branch_for, is_loop
from sipwarden.proxy.preprocess import preprocess
from sipwarden.proxy.targets import Target, TargetGroup
from sipwarden.proxy.validate import Reply, ReplyKind, validate

__all__ = [
    "CancelBranch",
    "ContextInput",
    "ContextState",
    "Finished",
    "Flow",
    "ForwardBranch",
    "Forwarded",
    "Interface",
    "ProxyConfig",
    "ProxyEvent",
    "ProxyIdentity",
    "Reply",
    "ReplyKind",
    "ResponseContext",
    "SendUpstream",
    "Target",
    "TargetGroup",
    "branch_for",
    "build_cancel",
    "forward",
    "forward_copy",
    "groups_by_q",
    "is_loop",
    "next_hop",
    "preprocess",
    "strict_route_postprocess",
    "validate",
]
