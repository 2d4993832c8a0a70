"""sipwarden.transaction: the RFC 3261 §17 transaction layer, sans-IO.

Four table-driven state machines (INVITE and non-INVITE, client and server, with RFC 6026's
Accepted state), transaction matching (§17.1.3, §17.2.3, §9.2) and a table that holds the live
transactions and their one aggregated deadline. No sockets, no clock: `now` is an argument and
output is drained with `next_event()`.
"""

from sipwarden.transaction.ack import build_ack
from sipwarden.transaction.base import Transaction
from sipwarden.transaction.client import (
    ClientTransaction,
    InviteClientTransaction,
    NonInviteClientTransaction,
    client_transaction,
)
from sipwarden.transaction.events import (
    Discarded,
    Event,
    RequestReceived,
    ResponseReceived,
    Send,
    Terminated,
    TimedOut,
    TransportError,
)
from sipwarden.transaction.fsm import Action, Input, InvalidTransition, State, Transition
from sipwarden.transaction.matching import (
    ClientKey,
    LegacyServerKey,
    ServerKey,
    TransactionKey,
    cancel_target_key,
    client_key,
    legacy_ack_key,
    response_key,
    server_key,
)
from sipwarden.transaction.server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
    server_transaction,
)
from sipwarden.transaction.table import TransactionTable
from sipwarden.transaction.timers import DEFAULT_TIMERS, Timer, TimerConfig

__all__ = [
    "DEFAULT_TIMERS",
    "Action",
    "ClientKey",
    "ClientTransaction",
    "Discarded",
    "Event",
    "Input",
    "InvalidTransition",
    "InviteClientTransaction",
    "InviteServerTransaction",
    "LegacyServerKey",
    "NonInviteClientTransaction",
    "NonInviteServerTransaction",
    "RequestReceived",
    "ResponseReceived",
    "Send",
    "ServerKey",
    "ServerTransaction",
    "State",
    "Terminated",
    "TimedOut",
    "Timer",
    "TimerConfig",
    "Transaction",
    "TransactionKey",
    "TransactionTable",
    "Transition",
    "TransportError",
    "build_ack",
    "cancel_target_key",
    "client_key",
    "client_transaction",
    "legacy_ack_key",
    "response_key",
    "server_key",
    "server_transaction",
]
