"""The station window's protected actions: export, match review, the admin menu (accounts, enrol,
matching switch, audit log) and your own password. Menus follow the logged-in role; every action also
goes through the core's check, so a refusal is audited and shown as a notice even when the action is
reached some other way."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app import paths
from app.domain import Event, EventKind
from app.errors import UserError
from app.security.roles import Permission
from widgets.export.export_dialog import ExportDialog
from widgets.i18n import error_text, translate
from widgets.security.session_gate import SessionGate, WindowServices

if TYPE_CHECKING:
    from widgets.shell.window_parts import StationWindowParts

log = logging.getLogger(__name__)
EVENT_MARGIN_S = 10.0  # an event's export: this much before and after it
CAMERA_RECENT_S = 5 * 60.0
PERSON_EVENTS = (
    EventKind.NO_MASK,
    EventKind.INCORRECT_MASK,
)  # events that keep the person's face box  # a camera's export from its tile: the last 5 minutes


class RoleActions:
    """Builds the role-dependent actions of ``window`` and runs them (``services`` from app/cli/gui.py)."""

    def __init__(self, window: StationWindowParts, gate: SessionGate, services: WindowServices) -> None:
        self.w, self.gate, self.services = window, gate, services
        self.dialogs: list[QWidget] = []  # open non-modal dialogs (kept referenced)
        self.export_dialog: ExportDialog | None = None
        bar = window.menuBar()
        events = window.actions_.events_menu
        events.addSeparator()
        self.export = self._action(events, translate("RoleActions", "Export evidence…"), self.export_selected, "Ctrl+E")
        self.review = self._action(events, translate("RoleActions", "Review watchlist match…"), self.review_selected)

        self.admin_menu = bar.addMenu(translate("RoleActions", "&Admin"))
        self.accounts = self._action(self.admin_menu, translate("RoleActions", "Accounts…"), self.open_accounts, "Ctrl+Shift+U")
        self.enrol_menu = self.admin_menu.addMenu(translate("RoleActions", "Enrol person…"))
        self.enrol_menu.aboutToShow.connect(self._fill_enrol_menu)
        self.matching_menu = self.admin_menu.addMenu(translate("RoleActions", "Watchlist matching per site"))
        self.matching_menu.aboutToShow.connect(self._fill_matching_menu)
        self.audit = self._action(self.admin_menu, translate("RoleActions", "Audit log…"), self.open_audit)

        session = bar.addMenu(translate("RoleActions", "&Session"))
        self.lock = self._action(session, translate("RoleActions", "Lock / switch user"), gate.lock, "Ctrl+L")
        self.lock.setData("always")  # stays enabled while locked (it only shows the login)
        self.my_password = self._action(session, translate("RoleActions", "Change my password…"), self.change_my_password)

    def _action(self, menu: QMenu, text: str, slot: Callable[[], object], key: str = "") -> QAction:
        action = QAction(text, self.w)
        if key:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.w.addAction(action)
        return action

    # ----- roles and lock ---------------------------------------------------------------------------
    def set_locked(self, locked: bool) -> None:
        """Locked: the wall keeps showing video, every control is off except the way back in."""
        w = self.w
        for action in w.actions():
            if action.data() != "always":
                action.setEnabled(not locked)
        for action in w.menuBar().actions():
            menu = action.menu()
            keep = isinstance(menu, QMenu) and any(a.data() == "always" for a in menu.actions())
            action.setEnabled(keep or not locked)
        for widget in (w.grid, w.tabs, w.actions_.toolbar, w.camera_dock, w.events_dock):
            widget.setEnabled(not locked)
        if locked:
            w.show_wall()
            self.close_all(keep_running_export=True)
            if w.manager is not None:
                w.manager.close()
            w.lock_banner.show_locked(self.gate.user())
        else:
            w.lock_banner.hide()
            self.apply_role()

    def apply_role(self) -> None:
        """Show only what the logged-in role may do (the core refuses the rest anyway)."""
        can = self.gate.can
        self.w.actions_.manage.setVisible(can(Permission.MANAGE_CAMERAS))
        self.w.actions_.ack.setVisible(can(Permission.ACKNOWLEDGE))
        self.w.compliance.set_report_allowed(can(Permission.REPORT))
        self.export.setVisible(can(Permission.EXPORT))
        self.review.setVisible(can(Permission.REVIEW_MATCH))
        self.audit.setVisible(can(Permission.VIEW_AUDIT))
        # hidden and disabled: a hidden action's shortcut must not open the dialog either
        self.accounts.setVisible(can(Permission.MANAGE_USERS))
        self.accounts.setEnabled(can(Permission.MANAGE_USERS))
        self.enrol_menu.menuAction().setVisible(can(Permission.MANAGE_WATCHLISTS))
        self.matching_menu.menuAction().setVisible(can(Permission.MANAGE_WATCHLISTS))
        self.admin_menu.menuAction().setVisible(
            can(Permission.MANAGE_WATCHLISTS) or can(Permission.VIEW_AUDIT) or can(Permission.MANAGE_USERS)
        )

    def allowed(self, permission: Permission, target: str = "") -> str | None:
        """The acting user, or None after showing why not (the refusal is in the audit log)."""
        try:
            return self.gate.require(permission, target)
        except UserError as exc:
            self.w.notices.notify(error_text(exc), "warning")
            return None

    # ----- export -------------------------------------------------------------------------------------
    def open_export(
        self, cameras: Sequence[str], start: float, end: float, keep_event: int | None = None
    ) -> ExportDialog | None:
        """The export dialog for ``cameras`` over [start, end] (UTC epoch s); supervisors and admins.
        ``keep_event``: the stored event whose person the dialog offers to keep sharp."""
        if self.allowed(Permission.EXPORT, "export:" + ",".join(cameras)) is None:
            return None
        if self.export_dialog is not None:
            self.export_dialog.close()
        config = self.w.station.config()
        names = [(c.id, c.name) for c in config.cameras]
        names += [(cid, cid) for cid in cameras if config.camera(cid) is None]
        out_dir = self.w.settings.value("export/out_dir", "") or str(paths.data_dir() / "exports")
        dialog = ExportDialog(
            self.services.exporter,
            names,
            cameras,
            (start, end),
            Path(str(out_dir)),
            authorise=lambda: self.gate.require(Permission.EXPORT, "export"),
            parent=self.w,
            keep_event=keep_event,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(self._on_dialog_exported)
        dialog.destroyed.connect(self._on_export_dialog_destroyed)
        self.export_dialog = dialog
        dialog.show()
        return dialog

    def export_event(self, event: Event) -> ExportDialog | None:
        """±10 s around ``event``; an unmasked person's event can keep that person sharp (once stored)."""
        keep = self.w.stored_id(event) if event.kind in PERSON_EVENTS else None
        return self.open_export(
            [event.camera_id], event.at - EVENT_MARGIN_S, event.at + EVENT_MARGIN_S, keep_event=keep
        )

    def export_camera(self, camera_id: str) -> ExportDialog | None:
        now = time.time()
        return self.open_export([camera_id], now - CAMERA_RECENT_S, now)

    def export_selected(self) -> ExportDialog | None:
        """The selected event's camera around it, else the highlighted camera's last 5 minutes."""
        event = self.w.event_panel.selected_event()
        if event is not None:
            return self.export_event(event)
        cams = [c.id for c in self.w.station.config().cameras]
        current = self.w.camera_list.currentItem()
        chosen = [current.data(Qt.ItemDataRole.UserRole)] if current is not None else cams[:1]
        now = time.time()
        return self.open_export(chosen, now - CAMERA_RECENT_S, now)

    def _on_dialog_exported(self, result: object) -> None:
        folder = getattr(result, "folder", None)
        if folder is not None:
            self.w.settings.setValue("export/out_dir", str(folder.parent))
            self.w.notices.notify(translate("RoleActions", "Exported to {folder}").format(folder=folder), "info")

    def _on_export_dialog_destroyed(self, *_: object) -> None:
        self.export_dialog = None

    # ----- watchlist matches --------------------------------------------------------------------------
    def review_selected(self) -> QWidget | None:
        event = self.w.event_panel.selected_event()
        if event is None or event.kind is not EventKind.WATCHLIST_MATCH:
            self.w.notices.notify(translate("RoleActions", "Select a watchlist match in the events list first."), "info")
            return None
        return self.review_event(event)

    def review_event(self, event: Event) -> QWidget | None:
        """Open the match review (audited as a view); operators get the refusal as a notice."""
        from widgets.security import MatchReviewDialog

        event_id = self.w.stored_id(event)
        if event_id is None:
            self.w.notices.notify(translate("RoleActions", "This match is not in the database yet; open it again in a moment."), "info")
            return None
        try:
            dialog = MatchReviewDialog(self.services.watchlists, self._session(), event_id, self.w)
        except UserError as exc:
            self.w.notices.notify(error_text(exc), "warning")
            return None
        return self._show(dialog)

    # ----- admin --------------------------------------------------------------------------------------
    def _fill_enrol_menu(self) -> None:
        self.enrol_menu.clear()
        for site in self.w.station.config().sites:
            action = self.enrol_menu.addAction(site.name)
            action.triggered.connect(lambda *_, s=site.id: self.enrol(s))
        if not self.enrol_menu.actions():
            self.enrol_menu.addAction(translate("RoleActions", "No sites yet")).setEnabled(False)

    def enrol(self, site_id: str) -> QWidget | None:
        from widgets.security import EnrolmentDialog

        if self.allowed(Permission.MANAGE_WATCHLISTS, f"site:{site_id}") is None:
            return None
        try:
            dialog = EnrolmentDialog(self.services.watchlists, self._session(), site_id, self.w)
        except UserError as exc:
            self.w.notices.notify(error_text(exc), "warning")
            return None
        dialog.enrolled.connect(lambda iid: self.w.notices.notify(translate("RoleActions", "Person enrolled (entry {iid}).").format(iid=iid), "info"))
        return self._show(dialog)

    def _fill_matching_menu(self) -> None:
        self.matching_menu.clear()
        for site in self.w.station.config().sites:
            try:
                on = self.services.watchlists.site_matching(site.id).enabled
            except UserError as exc:
                self.w.notices.notify(error_text(exc), "error")
                return
            action = self.matching_menu.addAction(f"{site.name}: {'on' if on else 'off'}")
            action.setCheckable(True)
            action.setChecked(on)
            action.triggered.connect(lambda *_, s=site.id, new=not on: self.ask_matching(s, new))

    def ask_matching(self, site_id: str, enabled: bool) -> QInputDialog:
        """Ask for the reason (required, audited), then switch matching for the site."""
        dialog = QInputDialog(self.w)
        dialog.setWindowTitle(translate("RoleActions", "Watchlist matching {value} - site {site_id}").format(value='on' if enabled else 'off', site_id=site_id))
        dialog.setLabelText(translate("RoleActions", "Reason (recorded in the audit log):"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda text: self.set_matching(site_id, enabled, text))
        dialog.open()
        return dialog

    def set_matching(self, site_id: str, enabled: bool, reason: str) -> bool:
        try:
            self.services.watchlists.set_matching(self._session(), site_id, enabled, reason)
        except UserError as exc:
            self.w.notices.notify(error_text(exc), "warning")
            return False
        self.w.notices.notify(translate("RoleActions", "Watchlist matching {value} for site {site_id}.").format(value='on' if enabled else 'off', site_id=site_id), "info")
        return True

    def open_accounts(self) -> QWidget | None:
        """The accounts dialog (admins); others get the core's refusal as a notice (and in the audit log)."""
        from widgets.security import AccountsDialog

        if self.allowed(Permission.MANAGE_USERS, "users") is None:
            return None
        return self._show(AccountsDialog(self.services.accounts, self._session(), self.w))

    def change_my_password(self) -> QWidget | None:
        """Any logged-in user changes their own password (the core checks the current one)."""
        from widgets.security import PasswordForm

        session = self._session()
        if session is None or session.expired:
            return None
        user = session.user

        def change(new: str, old: str | None) -> None:
            self.services.accounts.change_password(session, user, new, old)
            self.w.notices.notify(translate("RoleActions", "The password of {user} was changed.").format(user=user), "info")

        return self._show(PasswordForm(user, True, change, self.w))

    def open_audit(self) -> QWidget | None:
        from widgets.security import AuditViewer

        if self.allowed(Permission.VIEW_AUDIT, "audit") is None:
            return None
        viewer = AuditViewer(self.services.accounts, self._session())
        viewer.setWindowTitle(translate("RoleActions", "Vigil - audit log"))
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.resize(1000, 600)
        viewer.refresh()
        return self._show(viewer)

    # ----- helpers ------------------------------------------------------------------------------------
    def _session(self):  # noqa: ANN202 (Session | None; the core refuses None)
        return self.gate.session

    def _show(self, widget: QWidget) -> QWidget:
        self.dialogs.append(widget)
        widget.destroyed.connect(lambda *_: self._forget(widget))
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        widget.show()
        widget.raise_()
        return widget

    def _forget(self, widget: QWidget) -> None:
        if widget in self.dialogs:
            self.dialogs.remove(widget)

    def close_all(self, keep_running_export: bool = False) -> None:
        """Close the dialogs opened from the window; on lock, a running export (already authorised)
        finishes and is audited; on window close it is cancelled (closing the dialog cancels)."""
        widgets, self.dialogs = self.dialogs, []
        for widget in widgets:
            widget.close()
        dialog = self.export_dialog
        if dialog is not None and not (keep_running_export and dialog.running):
            dialog.close()
            dialog.wait(10.0)  # the cancelled export deletes its part folder before the station stops

    def tile_menu(self, pos: QPoint) -> QMenu | None:
        """Right-click on a tile of the wall (``pos`` in grid coordinates)."""
        grid = self.w.grid
        child = grid.childAt(pos)
        tile = next((t for t in grid.tiles() if t is child or t.isAncestorOf(child)), None) if child else None
        if tile is None or tile.camera_id is None:
            return None
        camera_id, index = tile.camera_id, tile.index
        menu = QMenu(self.w)
        if self.gate.can(Permission.EXPORT):
            menu.addAction(translate("RoleActions", "Export the last 5 minutes…"), lambda: self.export_camera(camera_id))
        menu.addAction(translate("RoleActions", "Maximise / restore"), lambda: grid.toggle_maximise(index))
        menu.popup(grid.mapToGlobal(pos))
        return menu

    def event_menu(self, event: Event, where: QPoint) -> QMenu:
        """Right-click on an event (events panel, compliance list)."""
        menu = QMenu(self.w)
        menu.addAction(translate("RoleActions", "Show the camera"), lambda: self.w.show_camera(event.camera_id))
        # every event plays back this way, watchlist matches too (their double-click opens the review)
        menu.addAction(QCoreApplication.translate("RoleActions", "Play from 10 s before"), lambda: self.w.playback.open_event(event))
        if self.gate.can(Permission.EXPORT):
            menu.addAction(translate("RoleActions", "Export ±10 s…"), lambda: self.export_event(event))
        if event.kind is EventKind.WATCHLIST_MATCH and self.gate.can(Permission.REVIEW_MATCH):
            menu.addAction(translate("RoleActions", "Review match…"), lambda: self.review_event(event))
        menu.popup(where)
        return menu
