"""Errors a user can cause around accounts and permissions (shown without a traceback)."""

from __future__ import annotations

from app.errors import UserError


class AuthError(UserError):
    """Wrong user name or password, a disabled account, or no account yet."""


class AccountLocked(AuthError):
    """Too many failed logins: the account is locked for a while."""


class SessionExpired(AuthError):
    """The session was idle too long (or locked): log in again."""


class PermissionDenied(UserError):
    """The logged-in user's role does not allow the action (the refusal is audited)."""
