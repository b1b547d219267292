"""Workspace sign-in: accounts, passwords and the lock, TOTP codes, staff sessions.

Modules, each with one job (dependencies point downwards):
- errors: what can be refused;
- passwords: hashing, step one of signing in, failure counting and the locks;
- accounts: creating accounts, replacing passwords and second factors;
- totp: step two (the code), password and code in one step, setting up an authenticator;
- staff_sessions: session tokens, their lifetimes, and the Flask glue
  (`signed_in`, the `candour_staff` cookie).

The names below are re-exported so pages can say `auth.check_password`.
"""

from portal.auth.accounts import (
    ROLES,
    create_account,
    find_account,
    get_account,
    list_accounts,
    new_initial_password,
    reset_password,
    reset_second_factor,
    revoke_sessions,
    set_password,
)
from portal.auth.errors import (
    AccountError,
    AccountExistsError,
    AccountNotFoundError,
    PasswordPolicyError,
    SignInRefusedError,
)
from portal.auth.passwords import WRONG_CREDENTIALS, check_password, confirm_password, lock_seconds
from portal.auth.staff_sessions import (
    COOKIE_NAME,
    STAGE_ENROL,
    STAGE_FULL,
    STAGE_SECOND_FACTOR,
    clear_session_cookie,
    current_account,
    current_session,
    end_session,
    load_session,
    signed_in,
    start_session,
)
from portal.auth.totp import (
    WRONG_CODE,
    check_code,
    check_password_and_code,
    complete_enrolment,
    enrolment_secret,
    provisioning_uri,
    qr_svg,
)
from portal.store.accounts import Account

__all__ = [
    "COOKIE_NAME",
    "ROLES",
    "STAGE_ENROL",
    "STAGE_FULL",
    "STAGE_SECOND_FACTOR",
    "WRONG_CODE",
    "WRONG_CREDENTIALS",
    "Account",
    "AccountError",
    "AccountExistsError",
    "AccountNotFoundError",
    "PasswordPolicyError",
    "SignInRefusedError",
    "check_code",
    "check_password",
    "check_password_and_code",
    "clear_session_cookie",
    "complete_enrolment",
    "confirm_password",
    "create_account",
    "current_account",
    "current_session",
    "end_session",
    "enrolment_secret",
    "find_account",
    "get_account",
    "list_accounts",
    "load_session",
    "lock_seconds",
    "new_initial_password",
    "provisioning_uri",
    "qr_svg",
    "reset_password",
    "reset_second_factor",
    "revoke_sessions",
    "set_password",
    "signed_in",
    "start_session",
]
