"""Accounts, roles, sessions and permission checks. See README "Watchlists, accounts and audit"."""

from app.security.accounts import (
    LOCK_S,
    MAX_FAILURES,
    UserRecord,
    add_user,
    authenticate,
    change_password,
    create_first_admin,
    disable_user,
    enable_user,
    has_users,
    list_users,
)
from app.security.db import DbRunner, DirectRunner, WriterRunner, transaction
from app.security.errors import AccountLocked, AuthError, PermissionDenied, SessionExpired
from app.security.roles import Permission, Role, allows, parse_role
from app.security.session import IDLE_TIMEOUT_S, Session, require

__all__ = [
    "IDLE_TIMEOUT_S",
    "LOCK_S",
    "MAX_FAILURES",
    "AccountLocked",
    "AuthError",
    "DbRunner",
    "DirectRunner",
    "Permission",
    "PermissionDenied",
    "Role",
    "Session",
    "SessionExpired",
    "UserRecord",
    "WriterRunner",
    "add_user",
    "allows",
    "authenticate",
    "change_password",
    "create_first_admin",
    "disable_user",
    "enable_user",
    "has_users",
    "list_users",
    "parse_role",
    "require",
    "transaction",
]
