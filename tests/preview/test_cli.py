"""`python -m bot preview`: each bad input refused with its message and exit code, and a
clean stop on SIGINT or SIGTERM."""

from __future__ import annotations

import shutil
import signal
import socket

import pytest

from bot import cli
from bot.preview import runtime

from .conftest import ROOT


def preview(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["preview", "--no-browser", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--members", "-1", "--members must be from 0 to 20 (got -1)"),
        ("--members", "21", "--members must be from 0 to 20 (got 21)"),
        ("--crowd", "201", "--crowd must be from 0 to 200 (got 201)"),
        ("--vote-seconds", "9", "--vote-seconds must be from 10 to 604800 (got 9)"),
        ("--port", "70000", "--port must be from 0 to 65535 (got 70000)"),
    ],
)
def test_a_bad_option_is_refused_with_exit_2(capsys, content, option, value, said) -> None:
    code, out, err = preview(capsys, "--content", str(content), option, value)
    assert code == 2
    assert said in err
    assert "http://" not in out


def test_without_the_runtime_it_prints_the_install_command_and_exits_2(
    capsys, content, monkeypatch
) -> None:
    monkeypatch.setattr(runtime, "RUNTIME_MODULES", ("PIL", "no_such_preview_module"))
    code, out, err = preview(capsys, "--content", str(content))
    assert code == 2
    assert "no_such_preview_module missing" in err
    assert "pip install -e '.[preview]'" in err
    assert "http://" not in out


def test_a_story_failing_the_checker_is_refused_with_its_file_and_line(
    capsys, tmp_path, content
) -> None:
    story = tmp_path / "mystory"
    shutil.copytree(ROOT / "docs" / "example-story", story)
    text = (story / "story.yaml").read_text()
    (story / "story.yaml").write_text(text.replace("goto: hold", "goto: nowhere", 1))
    code, out, _ = preview(capsys, "--content", str(content), str(story))
    assert code == 1
    assert "story.yaml:" in out and "nowhere" in out
    line = next(line for line in out.splitlines() if "nowhere" in line)
    assert line.split(":")[1].strip().isdigit(), line  # file:line
    assert "does not pass `python -m bot check`" in out
    assert "http://" not in out


def test_an_unknown_story_is_refused_with_the_known_ones(capsys, content) -> None:
    code, out, _ = preview(capsys, "--content", str(content), "no-such-story")
    assert code == 1
    assert "No story 'no-such-story'" in out and "claim-jumpers" in out


def test_a_busy_port_is_one_line_naming_it_and_exit_1(capsys, content) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = preview(capsys, "--content", str(content), "--port", str(port))
    assert code == 1
    assert err.strip() == f"Port {port} is already in use; choose another with --port."
    assert "http://" not in out


def test_sigint_stops_it_cleanly_and_removes_the_temporary_database(
    start_preview, tmp_path, content
) -> None:
    running = start_preview("--content", str(content))
    capability = running.url.split("#", 1)[1]
    assert len(capability) > 20
    assert list((tmp_path / "tmp").iterdir()), "the temporary database is in TMPDIR"
    code, out, err = running.stop(signal.SIGINT)
    assert code == 0, err
    assert "Preview stopped." in out
    printed = "".join(running.lines) + out
    assert printed.count(capability) == 1  # printed once
    assert capability not in err  # and never logged
    assert "Claim Jumpers in #bridge" in printed
    assert list((tmp_path / "tmp").iterdir()) == []


def test_sigterm_stops_it_cleanly_and_database_keeps_the_campaign(
    start_preview, tmp_path, content
) -> None:
    database = tmp_path / "kept" / "preview.db"
    running = start_preview("--content", str(content), "--database", str(database), "derelict")
    assert "The Derelict in #bridge" in "".join(running.lines)
    code, _, err = running.stop(signal.SIGTERM)
    assert code == 0, err
    assert database.exists()
    again = start_preview("--content", str(content), "--database", str(database))
    assert "Resumed the campaign" in "".join(again.lines)
    assert "The Derelict in #bridge" in "".join(again.lines)  # its own story, not the default
    code, _, err = again.stop(signal.SIGTERM)
    assert code == 0, err


def test_without_a_token_the_bot_suggests_the_preview(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code = cli.main([])
    out = capsys.readouterr().out
    assert code == 2
    assert "python -m bot preview" in out
