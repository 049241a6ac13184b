"""What machine a benchmark ran on: its CPU, and a speed figure to compare VMs by.

The workplace's VMs differ from day to day by several times in speed (a CPU model name says
nothing about a shared host), so every benchmark prints how long a fixed pure-Python loop
takes here: figures from two runs compare only as far as these agree.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def cpu_name() -> str:
    with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def loop_ms() -> float:
    """The best of three timings of `sum(range(10**7))`, in milliseconds."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(range(10**7))
        best = min(best, time.perf_counter() - started)
    return best * 1e3


def describe() -> str:
    return f"{cpu_name()}, {os.cpu_count()} cores; speed: sum(range(10**7)) in {loop_ms():.0f} ms"
