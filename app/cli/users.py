"""``vigil users add|list|disable|enable|passwd``: local accounts (admins manage them; the first admin is free)."""

from __future__ import annotations

import argparse
import time

from app.security import Role, accounts, parse_role
from app.security.errors import AuthError
from app.security.prompt import NEW_PASSWORD_ENV, add_store_options, cli_login, open_store, read_password

NAME = "users"
HELP = "manage accounts: add, list, disable, enable, passwd (the first 'add' creates the admin)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    p = sub.add_parser("add", help=f"add an account (its password: {NEW_PASSWORD_ENV} or a prompt)")
    p.add_argument("name")
    p.add_argument("--role", required=True, help="operator, supervisor or admin")
    add_store_options(p)
    p = sub.add_parser("list", help="list accounts")
    add_store_options(p)
    p = sub.add_parser("disable", help="disable an account (it can no longer log in)")
    p.add_argument("name")
    p.add_argument("--reason", default="")
    add_store_options(p)
    p = sub.add_parser("enable", help="let a disabled account log in again")
    p.add_argument("name")
    p.add_argument("--reason", default="")
    add_store_options(p)
    p = sub.add_parser(
        "passwd", help=f"change a password (yours, or anyone's as admin; new one: {NEW_PASSWORD_ENV})"
    )
    p.add_argument("name")
    add_store_options(p)


def main(args: argparse.Namespace) -> int:
    db = open_store(args)
    try:
        return _run(db, args)
    finally:
        db.close()


def _run(db, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    cmd = args.users_command
    if cmd == "add":
        try:
            role = parse_role(args.role)
        except ValueError as exc:
            raise AuthError(str(exc)) from None
        if not accounts.has_users(db):
            if role is not Role.ADMIN:
                raise AuthError("the first account must be an admin: use --role admin")
            password = read_password(
                f"password for the new admin {args.name}: ", NEW_PASSWORD_ENV, confirm=True
            )
            accounts.create_first_admin(db, args.name, password)
            print(f"created the first admin account {args.name}")
            return 0
        session = cli_login(db, args.user)
        password = read_password(f"password for {args.name}: ", NEW_PASSWORD_ENV, confirm=True)
        accounts.add_user(db, session, args.name, role, password)
        print(f"added {role.value} {args.name}")
        return 0
    session = cli_login(db, args.user)
    if cmd == "list":
        for u in accounts.list_users(db, session):
            last = time.strftime("%Y-%m-%d %H:%M", time.localtime(u.last_login)) if u.last_login else "never"
            print(
                f"{u.name:<24} {u.role.value:<10} {accounts.state_text(u, time.time()):<28} last login {last}"
            )
        return 0
    if cmd == "disable":
        accounts.disable_user(db, session, args.name, args.reason)
        print(f"disabled {args.name}")
        return 0
    if cmd == "enable":
        accounts.enable_user(db, session, args.name, args.reason)
        print(f"enabled {args.name}")
        return 0
    if cmd == "passwd":
        new = read_password(f"new password for {args.name}: ", NEW_PASSWORD_ENV, confirm=True)
        old = None
        if args.name == session.user:
            from app.security.prompt import PASSWORD_ENV

            old = read_password("current password: ", PASSWORD_ENV)
        accounts.change_password(db, session, args.name, new, old)
        print(f"password of {args.name} changed")
        return 0
    raise AuthError(f"unknown action {cmd}")
