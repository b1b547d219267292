from __future__ import annotations

from flask import render_template

from portal.reporter import bp
from portal.store.db import get_db
from portal.store.reviewers import list_reviewers


@bp.get("/")
def landing() -> str:
    """What Candour is, who will read a report, and how to stay safe."""
    reviewers = list_reviewers(get_db(), active_only=True)
    return render_template("reporter/landing.html", reviewers=reviewers)
