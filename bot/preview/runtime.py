"""Whether SimCord's optional page runtime is installed, checked before anything starts."""

from __future__ import annotations

import importlib.util

#: SimCord, and what its preview imports when it starts (simcord/preview/__init__.py, 3.2): checked
#: up front so a missing one is one clear line, not a failure after the bot has started.
RUNTIME_MODULES = ("simcord", "aiohttp", "markdown_it", "linkify_it", "regex", "PIL")

#: The one command that installs it (the project's `preview` extra, from the project folder).
INSTALL_COMMAND = "pip install -e '.[preview]'"


def missing_runtime() -> list[str]:
    """The modules of the preview runtime that cannot be imported."""
    return [name for name in RUNTIME_MODULES if importlib.util.find_spec(name) is None]
