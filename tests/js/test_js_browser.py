"""The browser crypto runs in real headless Chromium under the portal's own CSP.

A throwaway page (no inline script) loads the vendored libsodium.js with its recorded SRI
hashes and a module that imports static/js/candour-crypto.js, derives a codename's keys
and seals a report with an attachment. Python then opens what the browser sealed. The
page also reports whether libsodium runs as WebAssembly (the CSP's 'wasm-unsafe-eval'),
not its slow plain-JS fallback, and any CSP violation.

The page integration itself (the reporter's forms) is tested elsewhere; this pins the
library and the vendored files to a browser.
"""

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.identity import ReviewerKeys, generate_reviewer_keys, unb64url
from crypto.submission import open_submission
from portal.security import SECURITY_HEADERS

REPO = REPO_ROOT
PROVENANCE = json.loads((REPO / "static" / "vendor" / "libsodium" / "PROVENANCE.json").read_text(encoding="utf-8"))
SRI = {entry["path"]: entry["sri"] for entry in PROVENANCE["files"]}
ATTACHMENT_SIZE = 150_000
SALT = bytes(range(16))

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>candour-crypto smoke test</title>
<script src="/static/vendor/libsodium/libsodium-sumo.js" integrity="{core}"></script>
<script src="/static/vendor/libsodium/libsodium-wrappers-sumo.js" integrity="{wrappers}"></script>
<script type="module" src="/t/smoke.js"></script>
</head><body><p>running</p></body></html>
"""

SMOKE = """import * as c from "/static/js/candour-crypto.js";

const violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});

function report(result) {
  document.body.dataset.result = JSON.stringify({ ...result, violations });
}

try {
  await c.ready();
  const p = await (await fetch("/t/params.json")).json();
  const keys = c.deriveReporterKeys(p.codename, c.fromHex(p.salt));
  const data = new Uint8Array(p.size).map((_, i) => (i * 7 + 3) % 256);
  const sealed = await c.sealSubmission({
    recipients: p.recipients.map((line) => c.parsePublicIdentity(line)),
    kind: "report",
    day: p.day,
    reporterKeys: keys,
    fields: { what: p.what },
    files: [new File([data], "evidence.bin", { type: "application/octet-stream" })],
  });
  const parts = {};
  for (const { index, blob } of sealed.parts) parts[index] = c.b64u(new Uint8Array(await blob.arrayBuffer()));
  report({
    ok: true,
    supported: c.browserSealingSupported(),
    wasm: /\\[native code\\]/.test(String(globalThis.libsodium._crypto_generichash)),
    loginToken: c.toHex(keys.loginToken),
    parts,
  });
} catch (error) {
  report({ ok: false, error: `${error?.name}: ${error?.message}` });
}
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves /static/ from the checkout and /t/ from the test's folder, with the portal's headers."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def __init__(self, *args: Any, test_dir: Path, **kwargs: Any) -> None:
        self.test_dir = test_dir
        super().__init__(*args, directory=str(REPO), **kwargs)

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if path.startswith("/t/"):
            return str(self.test_dir / Path(path[3:]).name)
        if path.startswith("/static/"):
            return super().translate_path(path)
        return str(self.test_dir / "missing")

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[str]:
    handler = functools.partial(_Handler, test_dir=tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_chromium_seals_a_report_python_opens(chromium: Any, static_server: str, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    alice, bob = (generate_reviewer_keys(name) for name in ("alice", "bob"))
    codename = generate_codename()
    params = {
        "codename": codename,
        "salt": SALT.hex(),
        "day": "2026-11-26",
        "size": ATTACHMENT_SIZE,
        "what": "Sealed in Chromium ✓",
        "recipients": [alice.public.to_line(), bob.public.to_line()],
    }
    (tmp_path / "params.json").write_text(json.dumps(params), encoding="utf-8")
    page = PAGE.format(core=SRI["libsodium-sumo.js"], wrappers=SRI["libsodium-wrappers-sumo.js"])
    (tmp_path / "smoke.html").write_text(page, encoding="utf-8")
    (tmp_path / "smoke.js").write_text(SMOKE, encoding="utf-8")

    chromium.get(f"{static_server}/t/smoke.html")
    WebDriverWait(chromium, 120).until(lambda d: d.find_element("tag name", "body").get_attribute("data-result"))
    result = json.loads(chromium.find_element("tag name", "body").get_attribute("data-result"))

    assert result["ok"], result.get("error")
    assert result["violations"] == []
    assert result["wasm"] and result["supported"]
    keys = derive_reporter_keys(codename, SALT)
    assert result["loginToken"] == keys.login_token.hex()
    parts = {int(index): unb64url(envelope) for index, envelope in result["parts"].items()}
    reader: ReviewerKeys
    for reader in (alice, bob):
        opened = open_submission(parts, reader)
        assert opened.fields["what"] == params["what"]
        assert opened.reply_key == keys.reply_public_key
        (attachment,) = opened.attachments
        assert attachment.info.name == "evidence.bin"
        assert attachment.location == bytes((i * 7 + 3) % 256 for i in range(ATTACHMENT_SIZE))


@pytest.mark.browser
def test_a_tampered_vendored_file_is_refused_by_sri(chromium: Any, static_server: str, tmp_path: Path) -> None:
    """The recorded SRI hashes are live: a wrong one stops the script (so the module never gets sodium)."""
    from selenium.webdriver.support.ui import WebDriverWait

    (tmp_path / "params.json").write_text("{}", encoding="utf-8")
    wrong = "sha384-" + "A" * 64
    (tmp_path / "smoke.html").write_text(PAGE.format(core=wrong, wrappers=SRI["libsodium-wrappers-sumo.js"]), "utf-8")
    (tmp_path / "smoke.js").write_text(SMOKE, encoding="utf-8")
    chromium.get(f"{static_server}/t/smoke.html")
    WebDriverWait(chromium, 60).until(lambda d: d.find_element("tag name", "body").get_attribute("data-result"))
    result = json.loads(chromium.find_element("tag name", "body").get_attribute("data-result"))
    assert not result["ok"]
