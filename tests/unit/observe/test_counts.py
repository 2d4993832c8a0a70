"""counts.Buckets (the compiled histogram counts) puts each value where bisect_left would, as
prometheus_client's histogram does, and the exposition reads them."""

from __future__ import annotations

import math
from bisect import bisect_left

from hypothesis import given
from hypothesis import strategies as st

from sipwarden.observe.counts import Buckets
from sipwarden.observe.metrics import LATENCY_BUCKETS, Metrics

BOUNDS = [*LATENCY_BUCKETS, math.inf]
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*BOUNDS, -math.inf, 0.0, -0.0]),
    st.floats(min_value=0, max_value=1),
)


@given(st.lists(values, max_size=30))
def test_buckets_count_where_bisect_left_does(observed: list[float]) -> None:
    buckets = Buckets(list(BOUNDS))
    expected = [0.0] * len(BOUNDS)
    for value in observed:
        buckets.observe(value)
        if not math.isnan(value):
            expected[bisect_left(BOUNDS, value)] += 1.0
    assert buckets.counts == expected


def test_processing_times_reach_the_exposition() -> None:
    metrics = Metrics()
    for seconds in (0.00005, 0.0003, 0.0003, 2.0):
        metrics.processing(seconds)
    text = metrics.exposition().decode()
    assert 'sipwarden_processing_seconds_bucket{le="0.0001"} 1.0' in text
    assert 'sipwarden_processing_seconds_bucket{le="0.0005"} 3.0' in text
    assert 'sipwarden_processing_seconds_bucket{le="+Inf"} 4.0' in text
    assert "sipwarden_processing_seconds_count 4.0" in text
    assert "sipwarden_processing_seconds_sum 2.00065" in text
