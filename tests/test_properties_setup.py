"""The normal run tries the same examples every time; the fuzz run tries more, from a fresh
seed it prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import properties

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(properties.fuzzing(), reason="the fuzz run draws fresh examples")
def test_the_normal_run_draws_the_same_examples_every_run() -> None:
    seen: list[str] = []

    @given(st.text())
    def draw(text: str) -> None:
        seen.append(text)

    draw()
    first = list(seen)
    seen.clear()
    draw()
    assert seen == first and len(set(first)) > 10


def test_the_fuzz_profile_draws_twenty_times_the_examples() -> None:
    before = settings.get_current_profile_name()
    settings.load_profile(properties.FUZZ)
    try:
        assert properties.examples(25) == 25 * properties.FUZZ_FACTOR
        assert settings.default.max_examples == 100 * properties.FUZZ_FACTOR
        assert not settings.default.derandomize
    finally:
        settings.load_profile(before)
    assert properties.examples(25) == (25 if before == properties.NORMAL else 500)


def _seed_in_header(*options: str) -> str:
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--co",
            "-p",
            "no:cacheprovider",
            *options,
            __file__,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^property tests: profile '(\w+)', seed (\d+) ", shown, re.M)
    assert found, shown
    return f"{found[1]} {found[2]}"


def test_the_seed_is_fixed_in_the_normal_run_and_fresh_when_fuzzing() -> None:
    assert _seed_in_header() == f"ci {properties.SEED}"
    fuzz = {_seed_in_header("--hypothesis-profile=fuzz") for _ in range(2)}
    assert len(fuzz) == 2 and f"fuzz {properties.SEED}" not in fuzz
    assert _seed_in_header("--hypothesis-profile=fuzz", "--hypothesis-seed=7") == "fuzz 7"
