"""The whole suite's Hypothesis set-up: a fixed seed in the normal run, a fresh one when
fuzzing, and the seed in use printed in the report header (see tests/properties.py)."""

from __future__ import annotations

import random

import pytest

from tests import properties

properties.register()


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's own plugin reads the options
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--hypothesis-seed") is not None:
        return  # a seed asked for on the command line, to run a failure again
    fuzz = config.getoption("--hypothesis-profile") == properties.FUZZ
    seed = random.SystemRandom().randrange(2**32) if fuzz else properties.SEED
    config.option.hypothesis_seed = str(seed)


def pytest_report_header(config: pytest.Config) -> str:
    profile = config.getoption("--hypothesis-profile") or properties.NORMAL
    seed = config.getoption("--hypothesis-seed")
    return (
        f"property tests: profile {profile!r}, seed {seed}"
        f" (run again with --hypothesis-seed={seed})"
    )
