"""Accounts: scrypt hashing, lock-out, idle sessions, roles enforced in the core API (and refusals audited)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.errors import UserError
from app.security import (
    LOCK_S,
    MAX_FAILURES,
    AccountLocked,
    AuthError,
    PermissionDenied,
    Role,
    Session,
    SessionExpired,
    add_user,
    authenticate,
    change_password,
    create_first_admin,
    disable_user,
    list_users,
)
from app.security.passwords import hash_password, verify_password
from app.store import AuditLog, open_db
from app.watchlist import create_watchlist, set_matching

PW = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path):
    d = open_db(tmp_path / "vigil.sqlite3")
    create_first_admin(d, "root", PW)
    yield d
    d.close()


def _actions(db: Database) -> list[tuple[str, str, str]]:
    return [(r.actor, r.action, r.target) for r in AuditLog.rows(db)]


def test_password_hash_is_salted_scrypt_with_the_required_parameters() -> None:
    a, b = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert a != b  # 16-byte random salt
    scheme, n, r, p, salt, key = a.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1") and len(bytes.fromhex(salt)) == 16
    expected = hashlib.scrypt(b"s3cret-pass", salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=32)
    assert key == expected.hex()
    assert verify_password("s3cret-pass", a) and not verify_password("s3cret-pasS", a)
    assert not verify_password("s3cret-pass", "garbage") and not verify_password("x", "")


def test_the_password_is_never_stored_in_clear(db: Database, tmp_path: Path) -> None:
    db.conn.commit()
    raw = (tmp_path / "vigil.sqlite3").read_bytes() + (tmp_path / "vigil.sqlite3-wal").read_bytes()
    assert PW.encode() not in raw


def test_first_admin_only_once_and_weak_passwords_refused(tmp_path: Path) -> None:
    d = open_db(tmp_path / "x.db")
    with pytest.raises(AuthError, match="at least 8"):
        create_first_admin(d, "root", "short")
    create_first_admin(d, "root", PW)
    with pytest.raises(AuthError, match="already exist"):
        create_first_admin(d, "mallory", PW)
    assert authenticate(d, "root", PW).role is Role.ADMIN
    d.close()


def test_login_success_and_wrong_password_are_audited(db: Database) -> None:
    session = authenticate(db, "root", PW)
    assert session.user == "root" and session.role is Role.ADMIN
    with pytest.raises(AuthError, match="wrong user name or password"):
        authenticate(db, "root", "not the password")
    with pytest.raises(AuthError, match="wrong user name or password"):
        authenticate(db, "nobody", PW)
    actions = [a for _, a, _ in _actions(db)]
    assert actions[-3:] == ["login", "login.failed", "login.failed"]


def test_five_failures_lock_the_account_even_for_the_right_password(db: Database) -> None:
    t = 1_000_000.0
    for i in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match=f"{MAX_FAILURES - 1 - i} tries left"):
            authenticate(db, "root", "wrong-password", now=t)
    with pytest.raises(AccountLocked, match="locked"):
        authenticate(db, "root", "wrong-password", now=t)
    with pytest.raises(AccountLocked, match="try again in 5 min"):
        authenticate(db, "root", PW, now=t + 1)
    assert ("root", "login.locked", "user:root") in _actions(db)
    assert authenticate(db, "root", PW, now=t + LOCK_S + 1).user == "root"  # unlocked after 5 min


def test_idle_session_expires_and_is_refused_and_audited(db: Database) -> None:
    clock = [0.0]
    session = Session("root", Role.ADMIN, idle_timeout_s=60, clock=lambda: clock[0])
    clock[0] = 59
    create_watchlist(db, session, "mall", "banned")  # activity keeps it alive
    clock[0] = 59 + 61
    assert session.expired
    with pytest.raises(SessionExpired, match="log in again"):
        create_watchlist(db, session, "mall", "violence")
    assert _actions(db)[-1] == ("root", "access.denied", "site:mall")


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_roles_are_enforced_in_the_core_api_and_refusals_audited(db: Database, role: Role) -> None:
    admin = authenticate(db, "root", PW)
    add_user(db, admin, "bob", role, "bob password 1")
    bob = authenticate(db, "bob", "bob password 1")
    refused = [
        lambda: create_watchlist(db, bob, "mall", "banned"),
        lambda: set_matching(db, bob, "mall", True, "because"),
        lambda: add_user(db, bob, "eve", Role.ADMIN, "eve password 1"),
        lambda: list_users(db, bob),
        lambda: disable_user(db, bob, "root"),
        lambda: change_password(db, bob, "root", "taken over!"),
    ]
    for action in refused:
        n = len(AuditLog.rows(db))
        with pytest.raises(PermissionDenied, match=f"bob \\({role.value}\\) may not .* needs the admin role"):
            action()
        assert isinstance(PermissionDenied("x"), UserError)
        rows = AuditLog.rows(db)
        assert len(rows) == n + 1 and rows[-1].actor == "bob" and rows[-1].action == "access.denied"
    assert db.execute("SELECT count(*) FROM watchlists").fetchone()[0] == 0
    assert authenticate(db, "root", PW).user == "root"  # root's password unchanged
    assert AuditLog.verify(db).ok


def test_disabled_account_cannot_log_in_and_its_open_session_dies(db: Database) -> None:
    admin = authenticate(db, "root", PW)
    add_user(db, admin, "ann", Role.ADMIN, "ann password 1")
    ann = authenticate(db, "ann", "ann password 1")
    disable_user(db, admin, "ann", "left the company")
    with pytest.raises(AuthError, match="disabled"):
        authenticate(db, "ann", "ann password 1")
    with pytest.raises(SessionExpired, match="disabled"):
        create_watchlist(db, ann, "mall", "banned")
    with pytest.raises(AuthError, match="last active admin"):
        disable_user(db, admin, "root")


def test_own_password_change_needs_the_old_one_admin_reset_unlocks(db: Database) -> None:
    admin = authenticate(db, "root", PW)
    add_user(db, admin, "op", Role.OPERATOR, "op password 1")
    op = authenticate(db, "op", "op password 1")
    with pytest.raises(AuthError, match="current password is wrong"):
        change_password(db, op, "op", "new password 1", "guess")
    change_password(db, op, "op", "new password 1", "op password 1")
    assert authenticate(db, "op", "new password 1").user == "op"
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            authenticate(db, "op", "bad")
    change_password(db, admin, "op", "reset password 2")
    assert authenticate(db, "op", "reset password 2").user == "op"
