"""Debian's Chromium for Playwright: where it is and the flags it runs with on these machines.

Shared by the browser tests' conftest and the benchmarks that measure in a real browser.
"""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path(full: bool = False) -> str | None:
    """Return the path of a Chromium to drive (scripts/find-chromium), or None.

    The tests take the headless shell where there is one; `full` asks for the full browser.
    """
    finder = ROOT / "scripts" / "find-chromium"
    command = [finder, "--full"] if full else [finder]
    found = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 - our script
    return found.stdout.strip() if found.returncode == 0 else None
