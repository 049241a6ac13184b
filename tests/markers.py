"""Markers shared by tests in several folders."""

from __future__ import annotations

import os
import shutil

import pytest

# Graphviz is an operating-system package: where `dot` is missing, the tests that draw a
# picture skip and say why. CI installs Graphviz (.ci/run), so there a missing `dot` fails.
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's dot is not installed (apt-get install graphviz)",
)
