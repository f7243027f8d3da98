"""`make e2e`: the demo's executive report in a real browser - headless Chromium - as a PNG.

Builds the demo workspace (`make demo`, in demo/acme) when it is missing, renders the executive
report of the current month as standalone HTML, and has Chromium save a screenshot of it and
print it to PDF, which must be exactly one A4 page. When no Chromium is installed it is
installed from the system packages (apt-get, through sudo when not root), and the script says so.

Not part of `make test`: it needs a browser and takes a while.

    python scripts/e2e_screenshot.py [--period 2026-11] [--lang nl|en]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo" / "acme"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# An A4 page at 96 CSS pixels per inch, drawn at twice that for a sharp image.
WINDOW = "794,1123"
SCALE = "2"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fail(text: str) -> None:
    sys.stderr.write(f"e2e: {text}\n")
    raise SystemExit(1)


def run(command: list[str], *, timeout: float = 600, cwd: Path = REPO,
        quiet: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, capture_output=quiet, text=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()[-5:] if quiet else []
        fail(f"{' '.join(command)} exited with {result.returncode}"
             + ("\n" + "\n".join(detail) if detail else ""))
    return result


def demo_workspace() -> Path:
    """demo/acme, built by `make demo` when it is not there yet."""
    if not (DEMO / "smo.yaml").is_file() or not (DEMO / "smo.db").is_file():
        say("No demo workspace yet: running `make demo` ...")
        run(["make", "demo"], timeout=1800, quiet=True)
    return DEMO


def browser() -> str:
    """The path of a Chromium, installed with apt-get when there is none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if shutil.which("apt-get") is None:
        fail("no Chromium found and no apt-get to install one; install chromium and run again")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    say("Chromium is not installed: installing it with apt-get (the `chromium` package) ...")
    run([*sudo, "apt-get", "update", "-q"], quiet=True)
    run([*sudo, "apt-get", "install", "-y", "-q", "chromium"], timeout=1800, quiet=True)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            say(f"Installed {found}.")
            return found
    fail("apt-get installed chromium, but no chromium command is on PATH")
    raise AssertionError("unreachable")


def headless(chromium: str, *args: str) -> None:
    flags = ["--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-extensions", "--no-pdf-header-footer"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")        # Chromium refuses to run as root with its sandbox
    run([chromium, *flags, *args], timeout=120, quiet=True)


def pages(pdf: Path) -> int | None:
    """The PDF's page count (pypdf from the dev dependencies), or None without it."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf.read_bytes())).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", help="month, quarter or year (default: this month)")
    parser.add_argument("--lang", default="nl", choices=("nl", "en"))
    options = parser.parse_args()
    workspace = demo_workspace()
    # The demo's mentions are of today: the report of this month in Acme's time zone.
    period = options.period or datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m")
    html = workspace / f"executive-{period}-{options.lang}.html"
    run([sys.executable, "-m", "smo_cli", "-w", str(workspace), "report", "executive",
         "--period", period, "--lang", options.lang, "--format", "html", "--out", str(html)],
        quiet=True)
    chromium = browser()
    png, pdf = html.with_suffix(".png"), html.with_suffix(".pdf")
    url = html.as_uri()
    headless(chromium, f"--screenshot={png}", f"--window-size={WINDOW}",
             f"--force-device-scale-factor={SCALE}", url)
    headless(chromium, f"--print-to-pdf={pdf}", url)
    if not png.is_file() or png.stat().st_size == 0:
        fail(f"Chromium wrote no screenshot to {png}")
    count = pages(pdf)
    say(f"Report:     {html}")
    say(f"Screenshot: {png} ({png.stat().st_size // 1024} KiB)")
    say(f"Printed:    {pdf}" + (f" ({count} page{'s' if count != 1 else ''})" if count else ""))
    if count is not None and count != 1:
        fail(f"the executive report prints on {count} pages; it should fit one A4 page")


if __name__ == "__main__":
    main()
