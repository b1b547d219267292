"""What the reporter side's Chromium tests share: a headless Chromium with JavaScript on
and a fresh profile of its own, removed afterwards (tests that need the profile kept, or
JavaScript off, make their own)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.chromium_support import make_chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    driver = make_chromium(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
