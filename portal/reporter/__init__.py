"""Pages for people making or following up on a report. Every page works without
JavaScript."""

from flask import Blueprint

bp = Blueprint("reporter", __name__, url_prefix="")

from portal.reporter import (  # noqa: E402,F401  - each registers its routes on bp
    case_page,
    codename_page,
    device_api,
    followup_login,
    followups,
    kept_fragments,
    report_form,
)


@bp.record_once
def _init_session_key(state) -> None:  # type: ignore[no-untyped-def]
    # The key that encrypts reporter session cookies (portal/reporter/session.py).
    from portal.reporter.session import init_session_key

    init_session_key(state.app)


@bp.record_once
def _init_script_integrity(state) -> None:  # type: ignore[no-untyped-def]
    # `sri()` in templates: the reporter pages load their scripts with SRI hashes.
    from portal.static_integrity import init_app

    init_app(state.app)


from portal.reporter import limits  # noqa: E402,F401  - flood control hooks on bp
