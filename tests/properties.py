"""How the property tests draw their examples, in the normal run and in the fuzz run.

The normal run (the README's test command, CI) is derandomized with one fixed seed: every run
on every machine tries the same examples, so a red run means a change broke something, not
that a new random example turned up. The fuzz run (`--hypothesis-profile=fuzz`, by hand, not
in CI) draws twenty times as many examples from a fresh seed, printed at the top so that a
failure can be run again with `--hypothesis-seed=N`.
"""

from __future__ import annotations

from hypothesis import settings

NORMAL = "ci"
FUZZ = "fuzz"
FUZZ_FACTOR = 20
#: The normal run's seed (any fixed number would do; this one is printed in the header).
SEED = 20260415


def register() -> None:
    """Register both profiles and load the normal one (`--hypothesis-profile` overrides it).

    Neither keeps Hypothesis's example database: a run replays no example an earlier run on
    this machine happened to find, so every machine runs the same examples."""
    settings.register_profile(NORMAL, derandomize=True, database=None, print_blob=True)
    settings.register_profile(
        FUZZ, max_examples=100 * FUZZ_FACTOR, derandomize=False, database=None, print_blob=True
    )
    settings.load_profile(NORMAL)


def fuzzing() -> bool:
    """True in the fuzz run."""
    return settings.get_current_profile_name() == FUZZ


def examples(n: int) -> int:
    """A test's example count: `n` in the normal run, FUZZ_FACTOR times as many when fuzzing."""
    return n * FUZZ_FACTOR if fuzzing() else n
