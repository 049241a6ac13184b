"""The Docker image, compose file and CI script agree: no Docker engine runs here, so these
checks keep the image's install steps the same as the ones CI really runs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APT_GRAPHVIZ = "apt-get install -y --no-install-recommends graphviz"


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_image_and_ci_install_the_same_way() -> None:
    dockerfile, ci = _read("Dockerfile"), _read(".ci/run")
    assert APT_GRAPHVIZ in dockerfile
    assert APT_GRAPHVIZ in ci
    assert "RUN pip install /src" in dockerfile  # the project, not editable
    assert '"$smoke/venv/bin/pip" install --quiet .' in ci
    assert "bot health" in ci


def test_image_runs_the_bot_as_a_user_with_a_health_check() -> None:
    dockerfile = _read("Dockerfile")
    assert dockerfile.count("\nFROM ") + dockerfile.startswith("FROM ") == 1
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}
    assert 'VOLUME ["/app/data"]' in dockerfile
    assert re.search(r'HEALTHCHECK .*\n\s+CMD \["python", "-m", "bot", "health"\]', dockerfile)
    assert dockerfile.rstrip().endswith('CMD ["python", "-m", "bot"]')


def test_the_token_stays_out_of_the_image() -> None:
    ignored = _read(".dockerignore").splitlines()
    assert ".env" in ignored
    assert "data" in ignored


def test_compose_example() -> None:
    compose = yaml.safe_load(_read("compose.yaml"))
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert bot["env_file"] == ".env"
    assert "deck-data:/app/data" in bot["volumes"]
    assert "deck-data" in compose["volumes"]
