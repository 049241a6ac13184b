"""A layout rule no linter checks: one job a module, so a module past 500 lines is a module
doing two jobs (issue 16)."""

from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
MAX_LINES = 500


def test_no_module_in_bot_is_over_500_lines() -> None:
    sizes = {
        path.relative_to(BOT.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in BOT.rglob("*.py")
    }
    assert sizes, "no modules found under bot/"
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"split these by job: {too_long}"
