"""The preview: the real bot in SimCord behind `python -m bot preview`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# The same content folder and the same autouse check that no ERROR is logged.
from tests.discord.conftest import content, no_discord_errors  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    """A `python -m bot preview` process whose address has been printed."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)  # stdout up to and with the address

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        """Signal it; its exit code and the rest of stdout and stderr."""
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


@pytest.fixture
def start_preview(tmp_path: Path) -> Iterator:
    """Start the preview in a child process with its temporary files under tmp_path/tmp."""
    started: list[Running] = []
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    def start(*args: str) -> Running:
        env = {**os.environ, "TMPDIR": str(scratch), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "preview", "--no-browser", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:  # until the address (or the end, when it failed)
            lines.append(line)
            if line.strip().startswith("http://127.0.0.1:"):
                running = Running(process, line.strip(), lines)
                started.append(running)
                return running
        _, err = process.communicate(timeout=60)
        raise AssertionError(f"the preview never printed its address:\n{''.join(lines)}{err}")

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate()
