"""Local accounts in the event store: create, log in (with lock-out), list, disable, change password.

Every function takes the write ``Database`` (the CLI's own connection, or the station's writer thread via
``StoreWriter.call``); each change and each login success or failure is appended to the audit log.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from app.i18n import QT_TRANSLATE_NOOP, user_text
from app.security.db import transaction
from app.security.errors import AccountLocked, AuthError
from app.security.passwords import burn_time, check_strength, hash_password, verify_password
from app.security.roles import Permission, Role
from app.security.session import IDLE_TIMEOUT_S, Session, require
from app.store.audit import AuditLog

MAX_FAILURES = 5
LOCK_S = 5 * 60.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An account as listed (never carries the password hash)."""

    name: str
    role: Role
    disabled: bool
    locked_until: float
    created_at: float
    created_by: str
    failed_logins: int = 0  # wrong passwords since the last login (the lock comes at MAX_FAILURES)
    last_login: float = 0.0  # UTC epoch s of the newest successful login in the audit log; 0: never


def state_text(user: UserRecord, now: float) -> str:
    """ "active", "disabled", "locked until 14:05" or "active, 2 failed logins"."""
    if user.disabled:
        return user_text(QT_TRANSLATE_NOOP("UserError", "disabled"))
    if user.locked_until > now:
        until = datetime.fromtimestamp(user.locked_until).strftime("%H:%M")
        return user_text(QT_TRANSLATE_NOOP("UserError", "locked until {until}"), until=until)
    if user.failed_logins == 1:
        return user_text(QT_TRANSLATE_NOOP("UserError", "active, 1 failed login"))
    if user.failed_logins:
        return user_text(QT_TRANSLATE_NOOP("UserError", "active, {count} failed logins"), count=user.failed_logins)
    return user_text(QT_TRANSLATE_NOOP("UserError", "active"))


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise AuthError(
            user_text(QT_TRANSLATE_NOOP("UserError", "invalid user name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit"), name=name)
        )
    return name


def _check_password(password: str) -> None:
    try:
        check_strength(password)
    except ValueError as exc:
        raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "password refused: {reason}"), reason=exc.args[0] if len(exc.args) == 1 else str(exc))) from None


def has_users(db: Database) -> bool:
    return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def _insert(db: Database, name: str, role: Role, password: str, by: str) -> UserRecord:
    now = time.time()
    db.execute(
        "INSERT INTO users(name, role, password_hash, created_at, created_by, password_changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [name, role.value, hash_password(password), now, by, now],
    )
    return UserRecord(name, role, False, 0.0, now, by)


def create_first_admin(db: Database, name: str, password: str) -> UserRecord:
    """The first start: create the admin account; refused once any account exists."""
    _check_name(name)
    _check_password(password)
    with transaction(db):  # one transaction: two first starts at once cannot both succeed
        if has_users(db):
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "accounts already exist; log in as an admin to add more")))
        user = _insert(db, name, Role.ADMIN, password, "")
        AuditLog.append(db, name, "user.create", f"user:{name}", {"role": "admin", "first_admin": True})
    return user


def add_user(db: Database, session: Session | None, name: str, role: Role, password: str) -> UserRecord:
    actor = require(db, session, Permission.MANAGE_USERS, f"user:{name}")
    _check_name(name)
    _check_password(password)
    if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "the account {name} already exists; choose another name"), name=name))
    with transaction(db):
        user = _insert(db, name, role, password, actor)
        AuditLog.append(db, actor, "user.create", f"user:{name}", {"role": role.value})
    return user


def list_users(db: Database, session: Session | None) -> list[UserRecord]:
    require(db, session, Permission.MANAGE_USERS, "users")
    # the last login is not a column: the audit log already records every login
    last = dict(
        db.execute("SELECT actor, max(at) FROM audit_log WHERE action = 'login' GROUP BY actor").fetchall()
    )
    rows = db.execute(
        "SELECT name, role, disabled, locked_until, created_at, created_by, failed_logins FROM users "
        "ORDER BY name"
    ).fetchall()
    return [
        UserRecord(r[0], Role(r[1]), bool(r[2]), r[3], r[4], r[5], int(r[6]), float(last.get(r[0], 0.0)))
        for r in rows
    ]


def _active_admins(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0").fetchone()[0])


def disable_user(db: Database, session: Session | None, name: str, reason: str = "") -> None:
    """Disable ``name`` (it can no longer log in; its open session dies). Refuses the last active admin
    and the acting user's own account."""
    actor = require(db, session, Permission.MANAGE_USERS, f"user:{name}")
    with transaction(db):  # checked and written in one transaction: two admins cannot disable each other
        row = db.execute("SELECT role, disabled FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "no account named {name}; see 'vigil users list'"), name=name))
        if row[1]:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "the account {name} is already disabled"), name=name))
        if row[0] == "admin" and _active_admins(db) <= 1:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "{name} is the last active admin; add another admin before disabling it"), name=name))
        if name == actor:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "{name} is your own account: you cannot disable yourself; ask another admin"), name=name))
        db.execute("UPDATE users SET disabled = 1 WHERE name = ?", [name])
        AuditLog.append(db, actor, "user.disable", f"user:{name}", {"reason": reason})


def enable_user(db: Database, session: Session | None, name: str, reason: str = "") -> None:
    """Let a disabled account log in again (its password and role are unchanged)."""
    actor = require(db, session, Permission.MANAGE_USERS, f"user:{name}")
    with transaction(db):
        row = db.execute("SELECT disabled FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "no account named {name}; see 'vigil users list'"), name=name))
        if not row[0]:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "the account {name} is already active"), name=name))
        db.execute("UPDATE users SET disabled = 0 WHERE name = ?", [name])
        AuditLog.append(db, actor, "user.enable", f"user:{name}", {"reason": reason})


def change_password(
    db: Database, session: Session | None, name: str, new_password: str, old_password: str | None = None
) -> None:
    """Users change their own password (giving the old one); admins reset anyone's (which also unlocks)."""
    if session is not None and session.user == name and not session.expired:
        row = db.execute("SELECT password_hash FROM users WHERE name = ?", [name]).fetchone()
        if row is None or old_password is None or not verify_password(old_password, row[0]):
            AuditLog.append(db, name, "user.passwd_failed", f"user:{name}", {})
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "the current password is wrong; the password was not changed")))
        actor = name
    else:
        actor = require(db, session, Permission.MANAGE_USERS, f"user:{name}")
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is None:
            raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "no account named {name}; see 'vigil users list'"), name=name))
    _check_password(new_password)
    with transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = 0 "
            "WHERE name = ?",
            [hash_password(new_password), time.time(), name],
        )
        AuditLog.append(db, actor, "user.passwd", f"user:{name}", {"by_admin": actor != name})


def authenticate(
    db: Database,
    name: str,
    password: str,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    now: float | None = None,
) -> Session:
    """Check the password and return a session; after ``MAX_FAILURES`` failures the account is locked
    for ``LOCK_S`` (no password is even checked while locked). Raises AuthError / AccountLocked."""
    t = time.time() if now is None else now
    row = db.execute(
        "SELECT role, password_hash, disabled, failed_logins, locked_until FROM users WHERE name = ?", [name]
    ).fetchone()
    if row is None:
        burn_time(password)
        AuditLog.append(db, name or "?", "login.failed", f"user:{name}", {"why": "unknown user"})
        raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "wrong user name or password")))
    role, stored, disabled, failures, locked_until = row
    if disabled:
        AuditLog.append(db, name, "login.refused", f"user:{name}", {"why": "disabled"})
        raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "the account {name} is disabled; ask an admin"), name=name))
    if locked_until > t:
        AuditLog.append(db, name, "login.refused", f"user:{name}", {"why": "locked"})
        minutes = max(1, round((locked_until - t) / 60))
        raise AccountLocked(
            user_text(QT_TRANSLATE_NOOP("UserError", "the account {name} is locked after {MAX_FAILURES} failed logins; try again in {minutes} min or ask an admin to reset the password"), name=name, MAX_FAILURES=MAX_FAILURES, minutes=minutes)
        )
    if not verify_password(password, stored):
        failures += 1
        with transaction(db):
            if failures >= MAX_FAILURES:
                db.execute(
                    "UPDATE users SET failed_logins = 0, locked_until = ? WHERE name = ?", [t + LOCK_S, name]
                )
                AuditLog.append(db, name, "login.locked", f"user:{name}", {"failures": failures})
            else:
                db.execute("UPDATE users SET failed_logins = ? WHERE name = ?", [failures, name])
                AuditLog.append(db, name, "login.failed", f"user:{name}", {"failures": failures})
        if failures >= MAX_FAILURES:
            raise AccountLocked(
                user_text(QT_TRANSLATE_NOOP("UserError", "wrong password; the account {name} is now locked for {minutes} min after {MAX_FAILURES} failures"), name=name, minutes=int(LOCK_S // 60), MAX_FAILURES=MAX_FAILURES)
            )
        raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "wrong user name or password ({tries} tries left before lock-out)"), tries=MAX_FAILURES - failures))
    with transaction(db):
        db.execute("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE name = ?", [name])
        AuditLog.append(db, name, "login", f"user:{name}", {"role": role})
    return Session(name, Role(role), idle_timeout_s=idle_timeout_s)
