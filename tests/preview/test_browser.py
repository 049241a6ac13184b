"""The preview in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (the preview-test extra)"
)

#: A tally line of the scene for this choice shows this count ("`  1` █ label").
TALLY_SHOWS = """([label, count]) => document.body.innerText.split("\\n").some(
    (line) => line.includes(label) && line.trim().startsWith(String(count) + " "))"""


def enabled_buttons(page):
    return page.locator(".component-button:not([disabled])")


def vote_as(page, viewer: str, label: str, shots: Path, name: str) -> None:
    """Switch to `viewer`, click `label`, wait for the private confirmation."""
    page.select_option("#viewer-picker", label=viewer)
    page.wait_for_function(
        "(name) => document.querySelector('#viewer-picker').selectedOptions[0]?.text === name",
        arg=viewer,
    )
    enabled_buttons(page).filter(has_text=label).last.click()
    confirmation = page.get_by_text("Only you can see this").last
    confirmation.wait_for()
    page.get_by_text(f"You voted {label}").last.wait_for()
    page.screenshot(path=shots / name)


def test_members_vote_and_the_moderator_closes_the_vote_in_a_browser(
    start_preview, content, tmp_path
) -> None:
    running = start_preview("--crowd", "0", "--content", str(content))
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(running.url)
        enabled_buttons(page).first.wait_for()
        page.get_by_text("0412 Hours").first.wait_for()
        page.screenshot(path=shots / "1-scene.png")
        first, second = enabled_buttons(page).all_inner_texts()[:2]

        vote_as(page, "Member 1", first, shots, "2-member-1-voted.png")
        vote_as(page, "Member 2", second, shots, "3-member-2-voted.png")
        # Member 2 sees only their own confirmation, not Member 1's.
        assert page.get_by_text(f"You voted {first}").count() == 0

        # After the refresh interval the scene's tally shows both ballots.
        page.wait_for_function(TALLY_SHOWS, arg=[first, 1])
        page.wait_for_function(TALLY_SHOWS, arg=[second, 1])
        page.screenshot(path=shots / "4-tally.png")

        page.select_option("#viewer-picker", label="Moderator")
        composer = page.locator("#channel-composer-input")
        composer.click()
        composer.type("/campaign skip")
        page.get_by_text("Close the open vote now").first.wait_for()
        page.keyboard.press("Enter")  # pick the command
        page.keyboard.press("Enter")  # run it
        page.get_by_text("You closed the vote.").last.wait_for()
        page.get_by_text("Claim Jumpers · decision 2").last.wait_for()  # the next scene
        page.screenshot(path=shots / "5-next-scene.png")
        browser.close()
    code, _, err = running.stop(signal.SIGINT)
    assert code == 0, err
    assert len(list(shots.iterdir())) == 5
