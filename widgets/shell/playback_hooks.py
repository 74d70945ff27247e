"""Puts playback into the station window: the Playback tab (the wall keeps running live in its own tab and on
the wall screens), Ctrl+P, double-click on an event, export of the marked range, bookmarks and locks."""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from sqlite_utils import Database

from app import paths
from app.domain import Event
from app.errors import UserError
from app.playback.analysed import playback_models
from app.security.roles import Permission
from app.store import bookmarks as bm
from widgets.i18n import error_text
from widgets.playback.dialogs import BookmarkDialog, LocksDialog
from widgets.playback.view import EVENT_LEAD_S, PlaybackView

if TYPE_CHECKING:
    from widgets.shell.window_parts import StationWindowParts

log = logging.getLogger(__name__)
T = TypeVar("T")


class PlaybackHooks(QObject):
    """Owns the window's PlaybackView (created with the window, sources started only when opened)."""

    def __init__(self, window: StationWindowParts) -> None:
        super().__init__(window)
        self.w = window
        station = window.station
        rec = getattr(station, "recordings_dir", None) or Path(paths.data_dir()) / "recordings"
        names = {c.id: c.name for c in station.config().cameras}
        # boxes where the store has none: the export's analysis, its detector in a child process
        models = playback_models(getattr(station.config(), "analysis", None))
        self.view = PlaybackView(station.db_path(), Path(rec), names, analysis=models)
        self.index = window.tabs.addTab(self.view, self.tr("Playback"))
        self.locks_dialog: LocksDialog | None = None
        self.action = QAction(self.tr("Playback / live"), window)
        self.action.setShortcut(QKeySequence("Ctrl+P"))
        self.action.triggered.connect(lambda *_: self.toggle())
        window.addAction(self.action)
        view_menu = next((a.menu() for a in window.menuBar().actions() if a.menu() is not None and a.menu().objectName() == "ViewMenu"), None)
        if view_menu is not None:
            view_menu.addAction(self.action)
        self.view.live_requested.connect(window.show_wall)
        self.view.export_requested.connect(self._on_view_export_requested)
        self.view.bookmark_requested.connect(self._on_view_bookmark_requested)
        self.view.locks_requested.connect(self.open_locks)
        window.tabs.currentChanged.connect(self._on_tabs_current_changed)
        actions = getattr(window, "actions_", None)
        if actions is not None:  # the saved B/L/I switches apply here too (they were read before this tab)
            actions.apply_overlays()

    # -- opening --------------------------------------------------------------------------------------
    def active(self) -> bool:
        return self.w.tabs.currentIndex() == self.index

    def toggle(self) -> None:
        if self.active():
            self.w.show_wall()
        else:
            self.open(self.layout_cameras(), self.view.position() if self.view.sources else time.time() - 60.0)

    def layout_cameras(self) -> list[str]:
        """The cameras of the wall's current page, in tile order (all configured cameras if none)."""
        ids = [t.camera_id for t in self.w.grid.tiles() if t.camera_id]
        return ids or [c.id for c in self.w.station.config().cameras]

    def open(self, cameras: Sequence[str], at: float, *, play: bool = False) -> PlaybackView:
        self.view.names.update({c.id: c.name for c in self.w.station.config().cameras})
        self.w.tabs.setCurrentIndex(self.index)
        self.view.open(list(cameras), at, play=play)
        return self.view

    def open_event(self, event: Event) -> PlaybackView:
        """Playback of the layout's cameras (the event's camera first if it is not on the page) from 10 s
        before ``event``."""
        cams = self.layout_cameras()
        if event.camera_id not in cams:
            cams = [event.camera_id]
        view = self.open(cams, event.at - EVENT_LEAD_S, play=True)
        self.w.highlight_camera(event.camera_id)
        return view

    def _on_tabs_current_changed(self, index: int) -> None:
        if index != self.index and self.view.sources:
            self.view.pause()
            self.view.refresh_timer.stop()
        elif index == self.index and self.view.sources:
            self.view.refresh_timer.start()

    def close(self) -> None:
        if self.locks_dialog is not None:
            self.locks_dialog.close()
        self.view.shut_down()

    # -- export and bookmarks -------------------------------------------------------------------------
    def _user(self, permission: Permission, target: str) -> str | None:
        gate = self.w.gate
        if gate is None:
            try:
                return getpass.getuser()
            except (OSError, KeyError):
                return "operator"
        try:
            return gate.require(permission, target)
        except UserError as exc:
            self.w.notices.notify(error_text(exc), "warning")
            return None

    def _can(self, permission: Permission) -> bool:
        return self.w.gate is None or self.w.gate.can(permission)

    def _write(self, fn: Callable[[Database], T]) -> T:
        writer = getattr(self.w.station, "writer", None)
        if writer is not None:
            from app.security.db import WriterRunner

            return WriterRunner(writer).run(fn)
        from app.store.db import open_db

        db = open_db(self.w.station.db_path())
        try:
            return fn(db)
        finally:
            db.conn.close()

    def _on_view_export_requested(self, cameras: list[str], start: float, end: float) -> None:
        if self.w.roles is None:
            self.w.notices.notify(self.tr("Export needs a logged-in supervisor."), "warning")
            return
        self.w.roles.open_export(cameras, start, end)

    def _on_view_bookmark_requested(self, cameras: list[str], start: float, end: float) -> None:
        dialog = BookmarkDialog(cameras, (start, end), self._can(Permission.EXPORT), self.w)
        dialog.setObjectName("BookmarkDialog")
        if dialog.exec() != BookmarkDialog.DialogCode.Accepted:
            return
        self.add_bookmark(
            cameras, (start, end), dialog.name_edit.text(), dialog.note_edit.text(),
            lock=(dialog.reason_edit.text(), dialog.expires()) if dialog.lock_check.isChecked() else None,
        )  # fmt: skip

    def add_bookmark(
        self, cameras: Sequence[str], span: tuple[float, float], name: str, note: str = "",
        lock: tuple[str, float | None] | None = None,
    ) -> list[bm.Bookmark]:  # fmt: skip
        """Store (and audit) one bookmark per camera; with ``lock`` (reason, expiry) also lock them."""
        user = self._user(Permission.EXPORT if lock else Permission.WATCH, "bookmark")
        if user is None:
            return []

        def write(db: Database) -> list[bm.Bookmark]:
            db.conn.execute("BEGIN IMMEDIATE")  # the bookmarks and their locks together, or nothing
            try:
                made = bm.add_bookmark(db, cameras, span, name, note, by=user)
                if lock is not None:
                    made = [bm.lock_bookmark(db, b.id, lock[0], lock[1], by=user) for b in made]
                db.conn.execute("COMMIT")
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
            return made

        try:
            made = self._write(write)
        except UserError as exc:
            self.w.notices.notify(self.tr("Bookmark not saved: {why}").format(why=exc), "error")
            return []
        what = self.tr("Evidence lock") if lock else self.tr("Bookmark")
        self.w.notices.notify(
            self.tr("{what} saved for {n} camera(s).").format(what=what, n=len(made)), "info"
        )
        self.view.reload_data(force=True)
        self._reload_locks()
        return made

    def open_locks(self) -> LocksDialog:
        if self.locks_dialog is None:
            self.locks_dialog = LocksDialog(self._can(Permission.EXPORT), self.w)
            self.locks_dialog.release_requested.connect(self.release)
            self.locks_dialog.open_requested.connect(self._on_locks_open_requested)
            self.locks_dialog.finished.connect(self._on_locks_dialog_finished)
        self._reload_locks()
        self.locks_dialog.show()
        return self.locks_dialog

    def _on_locks_dialog_finished(self, *_: Any) -> None:
        self.locks_dialog = None

    def _reload_locks(self) -> None:
        if self.locks_dialog is not None:
            self.locks_dialog.set_rows(self._write(lambda db: bm.list_bookmarks(db)))

    def _on_locks_open_requested(self, b: bm.Bookmark) -> None:
        self.open([b.camera_id], b.start)

    def release(self, bookmark_id: int) -> bool:
        user = self._user(Permission.EXPORT, f"bookmark:{bookmark_id}")
        if user is None:
            return False
        try:
            self._write(lambda db: bm.release_lock(db, bookmark_id, by=user))
        except UserError as exc:
            self.w.notices.notify(error_text(exc), "warning")
            return False
        self.w.notices.notify(self.tr("Evidence lock #{id} released.").format(id=bookmark_id), "info")
        self._reload_locks()
        self.view.reload_data(force=True)
        return True
