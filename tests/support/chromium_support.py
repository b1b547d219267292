"""Headless Debian Chromium for the browser tests (never a downloaded browser).

Kept out of conftest.py so test modules can import it: the suite has two conftest
modules (tests/ and tests/crypto/), and `from conftest import …` would pick either.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def missing_dependency(reason: str) -> None:
    # Locally a missing browser skips; in CI it must fail, or the suite would go
    # green without ever having driven a browser.
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


def make_chromium(
    profile_dir: Path, javascript: bool = True, extra_args: tuple[str, ...] = (), page_load_strategy: str = "normal"
) -> Any:
    """Headless Debian Chromium driven by Debian's chromedriver; never a download.
    `extra_args` are further command-line flags (e.g. --js-flags=--jitless: no WebAssembly).
    `page_load_strategy="none"` returns from get() at once, so a test can act while the
    page's scripts are still loading."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing_dependency("selenium is not installed (pip install -r requirements-dev.txt)")
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            missing_dependency(f"{binary} not found: apt-get install {package}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={profile_dir}",
        *extra_args,
    ):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.page_load_strategy = page_load_strategy
    service = Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    return webdriver.Chrome(service=service, options=options)
