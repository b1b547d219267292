"""What an account operation or a sign-in can refuse, with a message to show."""

from __future__ import annotations


class AccountError(Exception):
    """An account operation was refused; the message says why and what to do."""


class AccountExistsError(AccountError):
    pass


class AccountNotFoundError(AccountError):
    pass


class PasswordPolicyError(AccountError):
    pass


class SignInRefusedError(AccountError):
    """Wrong username, password or code, or a locked account."""
