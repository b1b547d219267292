"""Parts of the reporter pages that are the same for every visit: rendered once, kept.

The browser path's sentences (templates/reporter/_browser_strings.html: some forty
translated strings) and its script and preload tags (_browser_scripts.html: a URL and
an integrity hash per module) were most of the time it took to render the report
form, the follow-up login and the case page, and with it of every refused login in a
flood. Each depends only on the language, the script root and its own arguments (the
static files' hashes are fixed when the portal starts), so it is kept per app, keyed
by those. Nothing in them comes from a visitor, and the cache is bounded.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from markupsafe import Markup

from portal.i18n import current_language
from portal.reporter import bp

# Templates × languages × script roots × pages: a few dozen in practice.
FRAGMENTS_KEPT = 256


@bp.app_template_global("kept_fragment")
def kept_fragment(template: str, **arguments: str | bool) -> Markup:
    """`template` rendered with `arguments` in this request's language, rendered once."""
    cache: dict[tuple[object, ...], Markup] = current_app.extensions.setdefault("candour.kept_fragments", {})
    key = (template, current_language(), request.script_root, tuple(sorted(arguments.items())))
    fragment = cache.get(key)
    if fragment is None:
        fragment = Markup(render_template(template, **arguments))  # noqa: S704 - our own template, escaped by Jinja
        if len(cache) >= FRAGMENTS_KEPT:
            cache.clear()
        cache[key] = fragment
    return fragment
