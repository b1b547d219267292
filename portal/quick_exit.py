"""GET /leave: the quick exit's target. It ends this browser's visit and sends the
browser on to the organisation's neutral page (QUICK_EXIT_URL).

Someone on a shared device who presses "Leave this site" should leave nothing open
behind them: the reporter's case cookie, the session, the language choice and (with
`Clear-Site-Data`) the tab's stored codename keys are all dropped on the way out, so
the next person pressing Back finds no open case. Works without JavaScript; with it,
static/js/quick-exit.js hides the page at once and follows the same link.
"""

from __future__ import annotations

from flask import Flask, current_app, redirect, request
from werkzeug.wrappers.response import Response


def leave() -> Response:
    response = redirect(current_app.config["QUICK_EXIT_URL"], code=303)
    for name in request.cookies:
        # Every cookie of this site, whoever set it: the visit ends here.
        response.delete_cookie(name, path="/")
        if request.script_root:
            response.delete_cookie(name, path=request.script_root + "/")
    # Browsers clear this origin's cookies and storage (the codename keys in
    # sessionStorage) on secure origins, onion services included.
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/leave", "leave", leave, methods=["GET"])
