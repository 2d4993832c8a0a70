"""Timer values (RFC 3261 Table 4, §16.6 for C, RFC 6026 §8.11 for L and M)."""

from __future__ import annotations

import pytest

from sipwarden.errors import LocalError
from sipwarden.transaction import DEFAULT_TIMERS, Timer, TimerConfig

T = Timer
UDP = {
    T.TIMER_A: 0.5, T.TIMER_B: 32.0, T.TIMER_C: 181.0, T.TIMER_D: 32.0, T.TIMER_E: 0.5,
    T.TIMER_F: 32.0, T.TIMER_G: 0.5, T.TIMER_H: 32.0, T.TIMER_I: 5.0, T.TIMER_J: 32.0,
    T.TIMER_K: 5.0, T.TIMER_L: 32.0, T.TIMER_M: 32.0, T.TIMER_TRYING: 0.2,
}  # fmt: skip
TCP = {
    T.TIMER_A: None, T.TIMER_B: 32.0, T.TIMER_C: 181.0, T.TIMER_D: 0.0, T.TIMER_E: None,
    T.TIMER_F: 32.0, T.TIMER_G: None, T.TIMER_H: 32.0, T.TIMER_I: 0.0, T.TIMER_J: 0.0,
    T.TIMER_K: 0.0, T.TIMER_L: 32.0, T.TIMER_M: 32.0, T.TIMER_TRYING: 0.2,
}  # fmt: skip


def test_defaults_are_rfc_values() -> None:
    assert (DEFAULT_TIMERS.t1, DEFAULT_TIMERS.t2, DEFAULT_TIMERS.t4) == (0.5, 4.0, 5.0)


@pytest.mark.parametrize("timer", list(Timer), ids=lambda t: t.name)
def test_unreliable_values(timer: Timer) -> None:
    assert DEFAULT_TIMERS.duration(timer, reliable=False) == UDP[timer]


@pytest.mark.parametrize("timer", list(Timer), ids=lambda t: t.name)
def test_reliable_values(timer: Timer) -> None:
    assert DEFAULT_TIMERS.duration(timer, reliable=True) == TCP[timer]


def test_values_scale_with_t1_and_t4() -> None:
    config = TimerConfig(t1=1.0, t2=8.0, t4=7.0)
    assert config.duration(T.TIMER_B, reliable=False) == 64.0
    assert config.duration(T.TIMER_H, reliable=True) == 64.0
    assert config.duration(T.TIMER_J, reliable=False) == 64.0
    assert config.duration(T.TIMER_D, reliable=False) == 64.0  # never below a server's Timer H
    assert config.duration(T.TIMER_K, reliable=False) == 7.0
    assert config.duration(T.TIMER_I, reliable=False) == 7.0
    assert TimerConfig(t1=0.1, t2=4.0).duration(T.TIMER_D, reliable=False) == 32.0  # ">= 32 s"


def test_backoff_doubles_a_and_caps_e_and_g_at_t2() -> None:
    assert [DEFAULT_TIMERS.backoff(T.TIMER_A, x) for x in (0.5, 16.0)] == [1.0, 32.0]
    for timer in (T.TIMER_E, T.TIMER_G):
        assert [DEFAULT_TIMERS.backoff(timer, x) for x in (0.5, 1.0, 2.0, 4.0)] == [1, 2, 4, 4]
    with pytest.raises(LocalError):
        DEFAULT_TIMERS.backoff(T.TIMER_B, 32.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"t1": 0.0}, {"t1": 5.0, "t2": 4.0}, {"t4": 0.0}, {"trying_delay": 0.0}, {"timer_c": 180.0}],
)
def test_invalid_configs_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(LocalError):
        TimerConfig(**kwargs)


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_TIMERS.t1 = 1.0  # type: ignore[misc]
