"""Hypothesis profiles: `ci` (the default) is derandomized so every run tests the same examples;
`fuzz` (HYPOTHESIS_PROFILE=fuzz) runs 100x the examples with a fresh seed each time."""

from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

# No explain phase: it traces every line of a failing example again and again, which takes
# minutes on these tests and would hit the per-test timeout before the failure is printed.
_PHASES = tuple(phase for phase in Phase if phase is not Phase.explain)
settings.register_profile("ci", derandomize=True, database=None, deadline=None, phases=_PHASES)
settings.register_profile("fuzz", max_examples=10_000, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


def pytest_configure(config: pytest.Config) -> None:
    # On a failing example Hypothesis imports black (through libcst) to suggest a patch, and black
    # warns about mypy_extensions.TypedDict; with warnings as errors that hid every failure.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if PROFILE == "fuzz":  # minutes per test by design: lift the per-test timeout
        for item in items:
            item.add_marker(pytest.mark.timeout(0))
