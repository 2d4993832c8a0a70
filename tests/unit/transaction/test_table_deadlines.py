"""The table's heap bookkeeping (table_seq/table_at on each transaction) against the plain
definition: its next deadline is the earliest of its transactions', and `on_timeout(now)`
fires exactly the transactions due at `now`, under any mix of adds, answers and timeouts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sipwarden.transaction import (
    InviteClientTransaction,
    NonInviteClientTransaction,
    TransactionTable,
)
from tests.unit.transaction.helpers import drain, make_request, respond

ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "answer", "time"]),
        st.sampled_from(["INVITE", "OPTIONS"]),
        st.sampled_from([100, 180, 200, 486]),
        st.floats(min_value=0, max_value=3),  # how far time moves (seconds)
        st.integers(min_value=0, max_value=50),  # which transaction
        st.booleans(),  # reliable
    ),
    max_size=60,
)


def expected_deadline(table: TransactionTable) -> float | None:
    deadlines = [d for tx in table if (d := tx.next_deadline()) is not None]
    return min(deadlines) if deadlines else None


@settings(max_examples=200, deadline=None)
@given(ops)
def test_the_heap_agrees_with_the_transactions(steps: list[tuple[object, ...]]) -> None:
    table, now, made = TransactionTable(), 0.0, 0
    for op, method, status, step, pick, reliable in steps:
        assert isinstance(step, float) and isinstance(pick, int) and isinstance(status, int)
        if op == "add":
            kind = InviteClientTransaction if method == "INVITE" else NonInviteClientTransaction
            request = make_request(str(method), branch=f"z9hG4bKp{made}")
            made += 1
            tx = kind(request, reliable=bool(reliable), now=now)
            table.add(tx)
            drain(tx)
        elif op == "answer" and len(table):
            tx = list(table)[pick % len(table)]
            table.receive(respond(tx.request, status), now)
            drain(tx)
        else:
            now += step
            due = {tx for tx in table if (d := tx.next_deadline()) is not None and d <= now}
            fired = table.on_timeout(now)
            assert set(fired) == due and len(fired) == len(due)
            for tx in fired:
                drain(tx)
        assert table.next_deadline() == expected_deadline(table)
        assert len(table._heap) <= 2 * len(table) + 64 + 1
