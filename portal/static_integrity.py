"""Subresource Integrity for the portal's own scripts, and the modules each page preloads.

Every script the reporter's pages load carries `integrity="sha384-…"`. The hashes are
computed once, when the app starts, from the files in static/ (never copied by hand,
so they cannot drift from the code). `sri("js/report-page.js")` in a template gives
the value; a name that is not a hashed file is an error, not a missing attribute.

A module's own imports get no integrity attribute from the browser, so every module a
page module reaches through its static imports is listed as `<link rel="modulepreload"
integrity=…>`: the browser then fetches each one once, checked against its hash, before
the imports ask for it. That list is read from the import statements themselves (the
import graph, also computed when the app starts), so adding or splitting a module needs
no template change: `preloads("js/report-page.js")` gives every module it reaches,
dependencies first.

SRI here guards against a file changed in transit or on a cache between the app and
the browser; it cannot guard against a server that serves other code and other
hashes together (docs/threat-model.md, "The browser path").
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from pathlib import Path

from flask import Flask

HASHED = ("js/*.js", "js/crypto/*.js", "vendor/libsodium/*.js")
MODULES = ("js/*.js", "js/crypto/*.js")

# Static imports and re-exports: `import … from "x"`, `import "x"`, `export … from "x"`.
# Comments are removed first, so an import named in a comment is not a dependency.
_IMPORT = re.compile(
    r"""(?:^|[;\n])\s*(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?(?P<quote>["'])(?P<spec>[^"'\n]+)(?P=quote)""",
)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT = re.compile(r"(?m)^\s*//.*$")


class ModuleGraphError(ValueError):
    """A module imports something that is not one of the portal's own hashed modules."""


def integrity_of(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode("ascii")


def compute_hashes(static_folder: Path) -> dict[str, str]:
    hashes = {}
    for pattern in HASHED:
        for path in sorted(static_folder.glob(pattern)):
            hashes[path.relative_to(static_folder).as_posix()] = integrity_of(path)
    return hashes


def imports_of(source: str, module: str) -> list[str]:
    """The static-folder paths `module` (e.g. "js/case-page.js") imports, in source order."""
    text = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", source))
    found = []
    for match in _IMPORT.finditer(text):
        spec = match.group("spec")
        if spec.startswith("/static/"):
            target = posixpath.normpath(spec.removeprefix("/static/"))
        elif spec.startswith(("./", "../")):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(module), spec))
        else:
            raise ModuleGraphError(
                f"static/{module} imports {spec!r}: only the portal's own modules (./x.js or /static/…) may be imported"
            )
        if target not in found:
            found.append(target)
    return found


def module_graph(static_folder: Path) -> dict[str, list[str]]:
    """Every module under static/js and the modules it imports directly."""
    graph = {}
    for pattern in MODULES:
        for path in sorted(static_folder.glob(pattern)):
            name = path.relative_to(static_folder).as_posix()
            graph[name] = imports_of(path.read_text(encoding="utf-8"), name)
    for module, targets in graph.items():
        for target in targets:
            if target not in graph:
                raise ModuleGraphError(f"static/{module} imports static/{target}, which is not a module of the portal")
    return graph


def preload_order(graph: dict[str, list[str]], page: str) -> list[str]:
    """The modules `page` reaches through its imports, each after the ones it imports (page excluded)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(module: str) -> None:
        if module in order or module in visiting:
            return
        visiting.add(module)
        for target in graph[module]:
            visit(target)
        visiting.discard(module)
        order.append(module)

    if page not in graph:
        raise KeyError(f"static/{page} is not a module of the portal")
    visit(page)
    return [module for module in order if module != page]


def init_app(app: Flask) -> None:
    assert app.static_folder is not None  # noqa: S101 - create_app always sets it
    static_folder = Path(app.static_folder)
    hashes = compute_hashes(static_folder)
    graph = module_graph(static_folder)
    preloads_by_page = {module: preload_order(graph, module) for module in graph}

    def sri(filename: str) -> str:
        try:
            return hashes[filename]
        except KeyError:
            raise KeyError(f"no integrity hash for static/{filename}: only {', '.join(HASHED)} are hashed") from None

    def preloads(page: str) -> list[str]:
        try:
            return preloads_by_page[page]
        except KeyError:
            raise KeyError(f"static/{page} is not a module of the portal: no preload list") from None

    app.add_template_global(sri, "sri")
    app.add_template_global(preloads, "preloads")
