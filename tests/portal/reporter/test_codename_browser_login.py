"""Codename login on the browser path for both derivation versions (docs/format.md §6):
real gunicorn, real headless Chromium, a recording proxy in between.

A version 1 case (made before version 2) logs in from the browser: the page's version 2
token matches nothing, the portal says version 1 cases exist, and the page derives and
sends the version 1 token itself. A version 2 case logs in with one token. Neither
codename ever reaches the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.portal.reporter.test_browser_sealing import _forbidden, _login_with_codename, _wait_replies_on_device
from tests.support.browser_support import OrgInstance, prepare_org_instance, wait_for
from tests.support.recording_proxy import RecordingProxy
from tests.support.workspace_support import file_case

from portal import create_app

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


@pytest.fixture
def server(org: OrgInstance, live_server: Any) -> Any:
    return live_server


@pytest.fixture
def proxy(server: Any, tmp_path: Path) -> Iterator[RecordingProxy]:
    port = int(server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as recording:
        yield recording


def _token_posts(proxy: RecordingProxy) -> int:
    """Login tokens the browser sent (every request it made, over every connection)."""
    return sum(path.read_bytes().count(b"POST /followup/token ") for path in proxy.recordings())


def test_version_1_and_version_2_codenames_log_in_from_the_browser(
    org: OrgInstance, server: Any, proxy: RecordingProxy, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    app = create_app(str(org.instance))
    recipients = [org.reviewers["adviser"].public]
    old = file_case(org.instance, app, recipients, codename_version=1)
    new = file_case(org.instance, app, recipients, codename_version=2)

    _login_with_codename(browser, proxy.url, old.codename.upper())
    _wait_replies_on_device(browser)
    assert _token_posts(proxy) == 2  # version 2 (no match), then version 1
    browser.find_element(By.XPATH, "//button[contains(., 'Leave (log out)')]").click()
    wait_for(browser, lambda: browser.current_url == proxy.url + "/")

    _login_with_codename(browser, proxy.url, new.codename)
    _wait_replies_on_device(browser)
    assert _token_posts(proxy) == 3  # one token: version 2 matched

    for codename in (old.codename, new.codename):
        found = {what: proxy.find(needle) for what, needle in _forbidden(codename, {}, b"\0" * 64).items()}
        assert {what: where for what, where in found.items() if where} == {}
