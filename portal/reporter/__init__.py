"""Pages for people making or following up on a report. Every page works without
JavaScript."""

from flask import Blueprint

bp = Blueprint("reporter", __name__, url_prefix="")

from portal.reporter import views  # noqa: E402,F401  - registers the routes on bp
