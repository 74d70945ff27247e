"""Roles and what each may do. Enforced in the core API (``session.require``), not only by hiding buttons."""

from __future__ import annotations

import enum


class Role(enum.Enum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(enum.Enum):
    """An action; the value is how refusals and the audit log name it."""

    WATCH = "watch cameras"
    ACKNOWLEDGE = "acknowledge events"
    VIEW_MATCH = "view watchlist matches"
    REVIEW_MATCH = "review watchlist matches"
    EXPORT = "export evidence"
    REPORT = "create reports"
    MANAGE_CAMERAS = "manage cameras"
    MANAGE_USERS = "manage accounts"
    MANAGE_WATCHLISTS = "manage watchlists"
    VIEW_AUDIT = "view the audit log"


_OPERATOR = frozenset({Permission.WATCH, Permission.ACKNOWLEDGE})
_SUPERVISOR = _OPERATOR | {
    Permission.VIEW_MATCH,
    Permission.REVIEW_MATCH,
    Permission.EXPORT,
    Permission.REPORT,
}
_ADMIN = _SUPERVISOR | {
    Permission.MANAGE_CAMERAS,
    Permission.MANAGE_USERS,
    Permission.MANAGE_WATCHLISTS,
    Permission.VIEW_AUDIT,
}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: _OPERATOR,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


def lowest_role_for(permission: Permission) -> Role:
    """The least powerful role that may do ``permission`` (for the refusal message)."""
    return next(r for r in (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN) if allows(r, permission))


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown role {text!r}; choose one of: {', '.join(r.value for r in Role)}"
        ) from None
