"""The modules a reporter page preloads (with SRI hashes) come from the import graph.

The browser checks a module's integrity only when a `<link rel="modulepreload"
integrity=…>` names it, so a module missing from the list would load unchecked. The list
is read from the import statements at app start (portal/static_integrity.py); these tests
pin the reader on tricky syntax, check it against the modules that exist, and check that
the rendered pages preload exactly that list with the files' hashes. (A real Chromium
checks the other direction, that nothing else is fetched: tests/test_browser_trust.py.)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portal.static_integrity import (
    ModuleGraphError,
    imports_of,
    integrity_of,
    module_graph,
    preload_order,
)

STATIC = Path(__file__).resolve().parents[1] / "static"
PAGES = ("js/report-page.js", "js/followup-page.js", "js/case-page.js")


def test_reader_finds_every_static_import_form_and_ignores_comments() -> None:
    source = """// import { nothing } from "./commented.js";
/* import "./block-commented.js"; */
import * as c from "./candour-crypto.js";
import {
  a,
  b as bee,
} from "./multi-line.js";
import "./bare.js";
export { x } from "./crypto/re-export.js";
export * from '../up.js';
import { y } from "/static/js/crypto/absolute.js";
const s = "import from nowhere";
"""
    assert imports_of(source, "js/page.js") == [
        "js/candour-crypto.js",
        "js/multi-line.js",
        "js/bare.js",
        "js/crypto/re-export.js",
        "up.js",
        "js/crypto/absolute.js",
    ]


def test_reader_refuses_imports_from_elsewhere() -> None:
    with pytest.raises(ModuleGraphError, match="only the portal's own modules"):
        imports_of('import x from "https://cdn.example/x.js";\n', "js/page.js")


def test_a_missing_module_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "page.js").write_text('import { a } from "./gone.js";\n', encoding="utf-8")
    with pytest.raises(ModuleGraphError, match="static/js/gone.js"):
        module_graph(tmp_path)


def test_order_puts_dependencies_first_and_survives_cycles() -> None:
    graph = {"p": ["a", "b"], "a": ["c"], "b": ["c", "a"], "c": ["a"]}
    order = preload_order(graph, "p")
    assert sorted(order) == ["a", "b", "c"]
    assert order.index("a") < order.index("b")


def test_every_crypto_module_is_reached_by_every_sealing_page() -> None:
    graph = module_graph(STATIC)
    crypto_modules = {path.relative_to(STATIC).as_posix() for path in (STATIC / "js" / "crypto").glob("*.js")}
    assert len(crypto_modules) >= 10
    for page in PAGES:
        reached = set(preload_order(graph, page))
        assert crypto_modules <= reached, (page, crypto_modules - reached)
        assert "js/candour-crypto.js" in reached


def test_the_bundle_is_only_re_exports() -> None:
    # candour-crypto.js gathers the modules' public names; code lives in the modules.
    source = (STATIC / "js" / "candour-crypto.js").read_text(encoding="utf-8")
    code = [line for line in source.splitlines() if line and not line.startswith("//")]
    assert code and all(re.fullmatch(r'export \{ [\w$, ]+ \} from "\./crypto/[\w-]+\.js";', line) for line in code)


def test_no_module_is_large() -> None:
    generated = {"wordlist-english.js"}  # static/js/build_wordlist.py writes it
    for path in [*(STATIC / "js").glob("*.js"), *(STATIC / "js" / "crypto").glob("*.js")]:
        if path.name not in generated:
            assert len(path.read_text(encoding="utf-8").splitlines()) < 400, path.name


def test_the_format_code_imports_no_page_code() -> None:
    # static/js/crypto/ is docs/format.md (like crypto/, which imports no portal code):
    # it may import only itself and the word list, never a page's modules.
    graph = module_graph(STATIC)
    for module, targets in graph.items():
        if module.startswith("js/crypto/"):
            outside = [t for t in targets if not t.startswith("js/crypto/") and t != "js/wordlist-english.js"]
            assert outside == [], module


class _Preloads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.modules: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and values.get("rel") == "modulepreload":
            self.links.append((values["href"], values["integrity"]))
        if tag == "script" and values.get("type") == "module":
            self.modules.append((values["src"], values["integrity"]))


@pytest.mark.parametrize(("url", "page"), [("/followup", "js/followup-page.js"), ("/report", "js/report-page.js")])
def test_rendered_page_preloads_its_import_graph_with_hashes(  # type: ignore[no-untyped-def]
    instance_dir, add_reviewer, url: str, page: str
) -> None:
    from portal import create_app

    add_reviewer(instance_dir, "Alice Smith", "HR")
    client = create_app(str(instance_dir), overrides={"TESTING": True}).test_client()
    response = client.get(url)
    assert response.status_code == 200
    parser = _Preloads()
    parser.feed(response.get_data(as_text=True))
    expected = preload_order(module_graph(STATIC), page)
    assert [href for href, _ in parser.links] == [f"/static/{module}" for module in expected]
    for href, integrity in parser.links + parser.modules:
        assert integrity == integrity_of(STATIC / href.removeprefix("/static/")), href
    assert [src for src, _ in parser.modules] == [f"/static/{page}"]
