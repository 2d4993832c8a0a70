"""The precomputed tables of the transaction engine give what the formulas give."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from sipwarden.transaction.fsm import Action, Input, State
from sipwarden.transaction.timers import Timer, TimerConfig


@pytest.mark.parametrize(
    "config",
    [TimerConfig(), TimerConfig(t1=0.1, t2=2.0, t4=3.0, timer_c=200.0, trying_delay=0.05)],
)
@pytest.mark.parametrize("reliable", [False, True])
def test_durations_table_equals_the_formula(config: TimerConfig, reliable: bool) -> None:
    for timer in Timer:
        expected = config._duration(timer, reliable=reliable)
        assert config.duration(timer, reliable=reliable) == expected


def test_replace_recomputes_the_durations_and_equality_ignores_the_table() -> None:
    config = TimerConfig()
    faster = dataclasses.replace(config, t1=0.25)
    assert faster.duration(Timer.TIMER_E, reliable=False) == 0.25
    assert faster.duration(Timer.TIMER_F, reliable=False) == 64 * 0.25
    assert config == TimerConfig() and hash(config) == hash(TimerConfig())
    assert config != faster
    assert "_durations" not in repr(config)


@pytest.mark.parametrize("enum", [State, Input, Action, Timer])
def test_enum_members_hash_by_identity_and_survive_pickling(enum: type) -> None:
    for member in enum:
        assert hash(member) == object.__hash__(member)
        assert pickle.loads(pickle.dumps(member)) is member
        assert {member: 1}[enum[member.name]] == 1


def test_timer_input_tables_match_the_names() -> None:
    """base.py maps a timer to the input its firing is (and back) without the enum machinery."""
    from sipwarden.transaction.base import _INPUT_TIMER, _TIMER_INPUT

    timer_inputs = [i for i in Input if i.name.startswith("TIMER_")]
    assert sorted(i.name for i in _INPUT_TIMER) == sorted(i.name for i in timer_inputs)
    for timer, input_ in _TIMER_INPUT.items():
        assert timer.name == input_.name and _INPUT_TIMER[input_] is timer
    assert Timer.TIMER_C not in _TIMER_INPUT  # the proxy core's timer, not a transaction's
