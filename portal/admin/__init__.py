"""Administration (`/admin`): accounts, reviewers, the signed reviewer list, the
overdue overview and the audit trail (read-only).

Administrators hold no reviewer key: nothing here can read a report, and nothing
here can edit or remove an audit entry.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import views  # noqa: E402,F401  - registers the routes on bp
