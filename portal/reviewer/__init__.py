"""The reviewer workspace (`/review`): sign-in, the case queue, export and reply upload.

Administrators sign in here too and are sent on to `/admin`.
"""

from flask import Blueprint

bp = Blueprint("reviewer", __name__, url_prefix="/review")

from portal.reviewer import auth, views  # noqa: E402,F401  - registers the routes on bp
