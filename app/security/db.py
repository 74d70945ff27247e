"""How security and watchlist code reaches the write connection: a transaction helper and ``DbRunner``,
which runs a function either on a connection of its own (CLI, tests) or on the station's writer thread."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol, TypeVar

from sqlite_utils import Database

from app.errors import UserError
from app.store.writer import StoreWriter

T = TypeVar("T")


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error); joins a transaction that is already open."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if conn.in_transaction:
        conn.execute("COMMIT")


class DbRunner(Protocol):
    """Runs ``fn(db)`` with the write connection and returns its result (or raises its exception)."""

    def run(self, fn: Callable[[Database], T]) -> T: ...


class DirectRunner:
    """On a connection the caller owns (``open_db``), in the calling thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def run(self, fn: Callable[[Database], T]) -> T:
        try:
            return fn(self.db)
        finally:
            if self.db.conn.in_transaction:  # a failed function must not leave its rows half-written
                self.db.conn.execute("ROLLBACK")


class WriterRunner:
    """On the station's ``StoreWriter`` thread (the one connection that writes while the station runs)."""

    def __init__(self, writer: StoreWriter, timeout_s: float = 15.0) -> None:
        self.writer, self.timeout_s = writer, timeout_s

    def run(self, fn: Callable[[Database], T]) -> T:
        try:
            return self.writer.call(fn).result(self.timeout_s)
        except FutureTimeout:
            raise UserError(
                f"the event store {self.writer.path} did not answer within {self.timeout_s:.0f} s "
                "(disk full or locked?); try again"
            ) from None
