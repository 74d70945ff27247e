"""A logged-in user, idle lock, and the one check every protected action goes through (``require``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlite_utils import Database

from app.i18n import QT_TRANSLATE_NOOP, user_text
from app.security.errors import PermissionDenied, SessionExpired
from app.security.roles import Permission, Role, allows, lowest_role_for
from app.store.audit import AuditLog

IDLE_TIMEOUT_S = 15 * 60.0


class Session:
    """Who is logged in. Locks itself after ``idle_timeout_s`` without ``touch()``; after that (or
    ``lock()``) every protected action raises ``SessionExpired`` until the user logs in again."""

    def __init__(
        self,
        user: str,
        role: Role,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user, self._role = user, role
        self.idle_timeout_s = float(idle_timeout_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._locked = False

    @property
    def user(self) -> str:
        return self._user

    @property
    def role(self) -> Role:
        return self._role

    def touch(self) -> None:
        """Record user activity (the UI calls this on input events)."""
        with self._lock:
            if not self._locked:
                self._last = self._clock()

    def lock(self) -> None:
        with self._lock:
            self._locked = True

    @property
    def expired(self) -> bool:
        with self._lock:
            if not self._locked and self._clock() - self._last > self.idle_timeout_s:
                self._locked = True
            return self._locked

    def can(self, permission: Permission) -> bool:
        """For showing or hiding UI only; the core API still checks with ``require``."""
        return not self.expired and allows(self._role, permission)

    def __repr__(self) -> str:
        return f"Session({self._user!r}, {self._role.value})"


def require(db: Database, session: Session | None, permission: Permission, target: str = "") -> str:
    """Return the acting user name if ``session`` may do ``permission`` now; otherwise audit the refusal
    and raise ``SessionExpired`` or ``PermissionDenied``. Re-reads the account (disabled, role changed)."""
    if session is None:
        AuditLog.append(db, "anonymous", "access.denied", target, {"permission": permission.name})
        raise PermissionDenied(user_text(QT_TRANSLATE_NOOP("UserError", "log in first: {permission} needs an account"), permission=permission.value))
    if session.expired:
        AuditLog.append(
            db,
            session.user,
            "access.denied",
            target,
            {"permission": permission.name, "why": "session expired"},
        )
        raise SessionExpired(user_text(QT_TRANSLATE_NOOP("UserError", "the session of {user} has expired (idle); log in again"), user=session.user))
    row = db.execute("SELECT role, disabled FROM users WHERE name = ?", [session.user]).fetchone()
    role = Role(row[0]) if row else None
    if row is None or row[1]:
        session.lock()
        AuditLog.append(
            db,
            session.user,
            "access.denied",
            target,
            {"permission": permission.name, "why": "account disabled"},
        )
        raise SessionExpired(user_text(QT_TRANSLATE_NOOP("UserError", "the account {user} was disabled or removed; ask an admin"), user=session.user))
    if role is None or not allows(role, permission):
        need = lowest_role_for(permission).value
        AuditLog.append(
            db,
            session.user,
            "access.denied",
            target,
            {"permission": permission.name, "role": role.value if role else "", "why": f"needs {need}"},
        )
        raise PermissionDenied(
            user_text(QT_TRANSLATE_NOOP("UserError", "{user} ({role}) may not {permission}: it needs the {need} role; ask {article} {need} to do it"), user=session.user, role=role.value if role else 'no role', permission=permission.value, need=need, article='an' if need[0] in 'aeiou' else 'a')
        )
    session.touch()
    return session.user
