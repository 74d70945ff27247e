"""Command-line login: the user from ``--user``, the password from ``VIGIL_PASSWORD`` or a prompt."""

from __future__ import annotations

import getpass
import os
import sys

from sqlite_utils import Database

from app.security.accounts import authenticate, has_users
from app.security.errors import AuthError
from app.security.session import Session

PASSWORD_ENV = "VIGIL_PASSWORD"
NEW_PASSWORD_ENV = "VIGIL_NEW_PASSWORD"


def read_password(prompt: str, env: str = PASSWORD_ENV, confirm: bool = False) -> str:
    """From the environment variable ``env`` if set, else asked on the terminal (never echoed)."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise AuthError(f"no password: set {env} or run in a terminal to be asked")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("repeat: ") != first:
        raise AuthError("the two passwords differ; nothing was changed")
    return first


def cli_login(db: Database, user: str | None) -> Session:
    """Log ``user`` in for one command (raises AuthError with the fix in the message)."""
    if not has_users(db):
        raise AuthError("no accounts yet: create the first admin with 'vigil users add NAME --role admin'")
    if not user:
        raise AuthError(
            "this command needs an account: pass --user NAME (password from VIGIL_PASSWORD or a prompt)"
        )
    return authenticate(db, user, read_password(f"password for {user}: "))


def add_store_options(parser: object, login: bool = True) -> None:
    """``--db``, ``--config`` and (for commands that need an account) ``--user``."""
    import argparse
    from pathlib import Path

    assert isinstance(parser, argparse.ArgumentParser)
    parser.add_argument(
        "--db", type=Path, default=None, help="event database (default: settings or user data dir)"
    )
    parser.add_argument("--config", type=Path, default=None, help="settings file (default: user config dir)")
    if login:
        parser.add_argument(
            "--user",
            default=os.environ.get("VIGIL_USER"),
            help="your account (password: VIGIL_PASSWORD or prompt)",
        )


def open_store(args: object) -> Database:
    """The event store named by ``--db``, else the settings' ``db_path``, else the default location."""
    from pathlib import Path

    from app import paths
    from app.config import load_config
    from app.store.db import open_db

    db_arg = getattr(args, "db", None)
    if db_arg is None:
        cfg = load_config(getattr(args, "config", None))
        db_arg = Path(cfg.db_path) if cfg.db_path else paths.default_db_path()
    return open_db(db_arg)


def cli_authorise(db_path: object, user: str | None, permission: object, target: str = "") -> str:
    """The acting user for a CLI command that needs ``permission`` (export, report...).

    Once the station has accounts, the command needs ``--user`` (password from VIGIL_PASSWORD or a prompt)
    with a role that allows it; refusals are audited. Before the first account exists (a station being
    set up), the command acts as ``user`` or the OS user.
    """
    from pathlib import Path

    from app.security.roles import Permission
    from app.security.session import require
    from app.store.db import open_db

    assert isinstance(permission, Permission)
    path = Path(str(db_path))
    if not path.exists():
        return user or getpass.getuser()
    db = open_db(path)
    try:
        if not has_users(db):
            return user or getpass.getuser()
        return require(db, cli_login(db, user), permission, target)
    finally:
        db.close()
