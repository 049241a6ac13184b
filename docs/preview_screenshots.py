"""Take the README's two preview screenshots (run by hand, needs Chromium and the
preview-test extra): a scene with a live tally, and an ending with its epilogue.

    .venv/bin/python docs/preview_screenshots.py
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
COMMAND = [
    *(sys.executable, "-m", "bot", "preview", "--no-browser"),
    *("--crowd", "14", "--seed", "3", "--vote-seconds", "16", "claim-jumpers"),
]


def main() -> None:
    """Start the preview, vote as Member 1 while the crowd votes, then wait for the end."""
    process = subprocess.Popen(COMMAND, cwd=DOCS.parent, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = next(line.strip() for line in process.stdout if line.strip().startswith("http://"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(url)
            page.locator(".component-button:not([disabled])").first.wait_for()
            page.select_option("#viewer-picker", label="Member 1")
            page.wait_for_timeout(2500)
            page.locator(".component-button:not([disabled])").nth(1).click()
            page.get_by_text("Only you can see this").last.wait_for()
            page.wait_for_timeout(4500)  # the crowd votes; the tally refreshes
            page.screenshot(path=DOCS / "preview-tally.png")
            page.get_by_text("Claim Jumpers: the end").last.wait_for(timeout=600_000)
            page.wait_for_timeout(2000)
            latest = page.locator("#new-messages")
            if latest.is_visible():  # the page keeps its place after a click: catch up
                latest.click()
                page.wait_for_timeout(1500)
            page.screenshot(path=DOCS / "preview-ending.png")
            browser.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
