"""Bytes a reporter's browser transfers to load each reporter page, cold cache.

    .venv/bin/python bench/page_weight.py [--pages / /report /followup]

The real gunicorn (config/gunicorn.conf.py) on a fresh instance with one reviewer;
Debian's headless Chromium (/usr/bin/chromium via chromedriver) loads each page with
its cache disabled and JavaScript on, and the bytes are the sum of Chromium's own
count of every response (headers and bodies as they crossed the wire), from the
page's Resource Timing entries (transferSize) once it has loaded.

Baseline in the same run: the same pages loaded with `Accept-Encoding: identity`
(what every page cost before static files were served precompressed); also shown,
`Accept-Encoding: gzip, deflate` (a browser that does not offer Brotli). Chromium
offers Brotli even over plain HTTP to 127.0.0.1. The HTML pages themselves are not
compressed, on purpose: they carry a CSRF token next to text a visitor can influence
(the BREACH attack on compressed secrets).
Goal: the report page (the heaviest) ≤ 450 KiB transferred.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.support.common import figure, goal, gunicorn, make_instance, print_header, ratio, write_result

GOAL_KIB = 450
KIB = 1024


def chromium(profile: Path) -> Any:
    from tests.support.chromium_support import make_chromium

    driver = make_chromium(profile, javascript=True, extra_args=("--window-size=390,844",))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


def transferred(driver: Any, url: str, accept_encoding: str | None) -> tuple[int, list[dict[str, Any]]]:
    """(bytes over the wire, one entry per response) for one cold load of `url`;
    `accept_encoding` None sends Chromium's own header."""
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})
    driver.get(url)
    # Let deferred scripts and module imports finish.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and driver.execute_script("return document.readyState") != "complete":
        time.sleep(0.1)
    time.sleep(1.0)
    # Resource Timing's transferSize: response headers plus the body as encoded on the
    # wire (0 would mean a cache hit; the cache is disabled). Everything is same-origin.
    entries = driver.execute_script(
        "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".map(e => ({url: e.name, bytes: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize}))"
    )
    for entry in entries:
        entry["url"] = entry["url"].split("/static/v/")[-1]
        entry["encoding"] = "yes" if entry["encoded"] < entry["decoded"] else ""
    total = sum(int(entry["bytes"]) for entry in entries)
    return total, sorted(entries, key=lambda e: -int(e["bytes"]))


def lighthouse(binary: str, url: str, workdir: Path) -> dict[str, Any]:
    """Lighthouse's default mobile run (simulated slow 4G, a mid-range phone's CPU)."""
    out = workdir / "lighthouse.json"
    subprocess.run(  # noqa: S603 - the binary the person running the benchmark named
        [
            binary,
            url,
            "--only-categories=performance,accessibility",
            "--chrome-flags=--headless=new --no-sandbox",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
        timeout=300,
    )
    report = json.loads(out.read_text())
    scores = {name: round(100 * category["score"]) for name, category in report["categories"].items()}
    lcp = report["audits"]["largest-contentful-paint"]["numericValue"] / 1000
    figure(
        "lighthouse /report (mobile)",
        f"performance {scores['performance']}, accessibility "
        f"{scores['accessibility']}, largest contentful paint {lcp:.1f} s",
    )
    goal("Lighthouse mobile performance ≥ 90", scores["performance"] >= 90, f"{scores['performance']}")
    return {"scores": scores, "lcp_seconds": lcp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", nargs="+", default=["/", "/report", "/followup"])
    parser.add_argument(
        "--lighthouse",
        metavar="PATH",
        help="a Lighthouse binary (npm install lighthouse; not part of the project) to also score the report page",
    )
    args = parser.parse_args()
    info = print_header("Reporter page weight (bytes transferred, cold cache)")
    workdir = Path(tempfile.mkdtemp(prefix="candour-page-weight-"))
    results: dict[str, Any] = {"machine": info, "pages": {}}
    try:
        instance, _keys = make_instance(workdir)
        with gunicorn(instance) as server:
            profile = workdir / "profile"
            profile.mkdir()
            options_logging = chromium(profile)
            try:
                for page in args.pages:
                    plain, _ = transferred(options_logging, server.url + page, "identity")
                    gzip_only, _ = transferred(options_logging, server.url + page, "gzip, deflate")
                    compressed, detail = transferred(options_logging, server.url + page, None)
                    figure(
                        f"{page}",
                        f"{compressed / KIB:.0f} KiB transferred (uncompressed baseline {plain / KIB:.0f} KiB, "
                        f"ratio {ratio(compressed, plain):.2f}; offering only gzip: {gzip_only / KIB:.0f} KiB)",
                    )
                    for item in detail[:4]:
                        coded = "br/gz" if item["encoding"] else "-"
                        print(f"    {item.get('bytes', 0) / KIB:7.1f} KiB  {coded:5}  {item['url']}")
                    results["pages"][page] = {
                        "kib": compressed / KIB,
                        "gzip_only_kib": gzip_only / KIB,
                        "baseline_kib": plain / KIB,
                        "detail": detail,
                    }
            finally:
                options_logging.quit()
            if args.lighthouse:
                results["lighthouse"] = lighthouse(args.lighthouse, server.url + "/report", workdir)
        report = results["pages"].get("/report")
        if report is not None:
            results["goal"] = goal(
                f"report page ≤ {GOAL_KIB} KiB transferred",
                report["kib"] <= GOAL_KIB,
                f"{report['kib']:.0f} KiB (was {report['baseline_kib']:.0f} KiB uncompressed)",
            )
        write_result("page_weight", results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
