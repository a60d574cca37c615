"""Headless Chromium driven through its own command line (no extra Python package needed).

``--dump-dom`` prints the document after scripts ran, so a payload that executed leaves a trace
(a changed title, an attribute on <body>) that tests can look for.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--disable-extensions", "--virtual-time-budget=3000")


def find_browser() -> str | None:
    override = os.environ.get("FROMSCRATCH_CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run(browser: str, profile: Path, page: Path, *extra: str) -> str:
    """Run one headless command against a local page and return its standard output."""
    command = [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=45, check=False)
    if done.returncode != 0:
        raise AssertionError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(browser: str, profile: Path, page: Path) -> str:
    return run(browser, profile, page, "--dump-dom")


def screenshot(browser: str, profile: Path, page: Path, out: Path, *, width: int, height: int) -> Path:
    run(browser, profile, page, f"--screenshot={out}", f"--window-size={width},{height}")
    return out


def print_pdf(browser: str, profile: Path, page: Path, out: Path) -> Path:
    run(browser, profile, page, f"--print-to-pdf={out}", "--no-pdf-header-footer")
    return out


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])
