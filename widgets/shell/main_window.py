"""StationWindow: the operator's main window. It lays out the wall, camera list, events and status bar and
connects them; decisions (what to save, how cameras run) belong to the station and to app/."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QTabWidget, QVBoxLayout, QWidget

from app.config import StationConfig
from app.domain import CameraStatus, Event, EventKind, Health
from app.errors import UserError
from app.logs import redact
from app.security.roles import Permission
from app.security.session import Session
from app.station_api import Station
from app.store.queries import StoreReader
from app.watchlist.lists import watchlist_sound
from widgets.cameras.camera_manager import CameraManagerDialog
from widgets.compliance.compliance_tab import ComplianceTab
from widgets.events.alerts import AlertSettings, AlertSound
from widgets.events.event_model import EventTableModel
from widgets.events.event_panel import EventPanel
from widgets.events.stored_events import EventPreloader, stored_event_id
from widgets.i18n import error_text
from widgets.security.session_gate import LockBanner, SessionGate, WindowServices
from widgets.shell.notices import NoticeStrip
from widgets.shell.playback_hooks import PlaybackHooks
from widgets.shell.role_actions import RoleActions
from widgets.shell.station_bridge import StationBridge
from widgets.shell.status_bar import StationStatusBar
from widgets.shell.window_actions import WindowActions
from widgets.shell.window_parts import StationWindowParts
from widgets.wall.camera_grid import CameraGrid
from widgets.wall.camera_list import CameraList
from widgets.wall.display_clock import DisplayClock
from widgets.wall.grid_layouts import LayoutStore
from widgets.wall.wall_window import WallWindow

log = logging.getLogger(__name__)
UNMASKED = frozenset({EventKind.NO_MASK, EventKind.INCORRECT_MASK})
SaveConfig = Callable[[StationConfig], None]
Acknowledge = Callable[[Event], None]


class StationWindow(StationWindowParts):
    """The video wall with its camera list, live events and status bar."""

    config_applied = Signal(object)  # (StationConfig | Exception), from the apply thread (queued)
    closed = Signal()  # the operator closed the main window: the session ends

    def __init__(
        self,
        station: Station,
        settings: QSettings,
        save_config: SaveConfig | None = None,
        acknowledge: Acknowledge | None = None,
        hz: float = 30.0,
        services: WindowServices | None = None,
    ) -> None:
        """``save_config`` writes the settings file; ``acknowledge`` records an acknowledged event (both
        wired by app/cli/gui.py; without them the window only shows the change). With ``services`` the
        window needs a login (``gate``) and offers the role-dependent actions; without, it is a bare wall
        (benchmarks, widget tests)."""
        super().__init__()
        self.setWindowTitle("Vigil")
        self.setObjectName("StationWindow")
        self.station = station
        self.settings = settings
        self._save_config = save_config
        self._acknowledge = acknowledge
        self.layouts = LayoutStore(settings)
        self.alert_settings = AlertSettings(settings)
        self.alert_sound = AlertSound(self)
        self.clock = DisplayClock(hz, self)
        self.bridge = StationBridge(station, self)
        self.walls: list[WallWindow] = []
        self.manager: CameraManagerDialog | None = None
        self._geometry_restored = False

        self.notices = NoticeStrip()
        self.lock_banner = LockBanner()
        self.grid = CameraGrid(station)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.compliance = ComplianceTab(station.db_path(), station.config())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("MainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.grid, self.tr("Wall"))
        self.tabs.addTab(self.compliance, self.tr("Compliance"))
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.lock_banner)
        box.addWidget(self.notices)
        box.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.camera_list = CameraList(station)
        self.camera_dock = self._dock(self.tr("Cameras"), self.camera_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.camera_list.setMinimumWidth(170)
        self.events = EventTableModel(station.config())
        self.event_panel = EventPanel(self.events)
        self.event_panel.set_config(station.config())
        self.events_dock = self._dock(self.tr("Live events"), self.event_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.status = StationStatusBar(station)
        self.setStatusBar(self.status)
        self.status.analysis_notice.connect(self.notices.notify)
        self.actions_: WindowActions = WindowActions(self)
        self.playback: PlaybackHooks = PlaybackHooks(self)  # the Playback tab, Ctrl+P
        self.gate: SessionGate | None = None
        self.roles: RoleActions | None = None
        self._reader: StoreReader | None = None
        if services is not None:
            self.gate = SessionGate(services.accounts, self)
            self.roles = RoleActions(self, self.gate, services)
            self.gate.logged_in.connect(self._on_gate_logged_in)
            self.gate.locked.connect(self._on_gate_locked)
            self.gate.login_cancelled.connect(self.close)
            self.lock_banner.login_button.clicked.connect(lambda *_: self.gate and self.gate.request_login())
            self.roles.set_locked(True)

        self.bridge.event_received.connect(self._on_bridge_event_received)
        self.bridge.status_changed.connect(self._on_bridge_status_changed)
        self.event_panel.camera_selected.connect(self.highlight_camera)
        self.event_panel.acknowledged.connect(self._on_event_panel_acknowledged)
        self.event_panel.event_activated.connect(self._on_event_panel_event_activated)
        self.event_panel.context_menu_requested.connect(self._on_event_panel_context_menu_requested)
        self.grid.customContextMenuRequested.connect(self._on_grid_context_menu_requested)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.compliance.event_selected.connect(lambda ev: self.highlight_camera(ev.camera_id))
        self.compliance.event_menu_requested.connect(self._on_compliance_event_menu_requested)
        self.compliance.event_activated.connect(self.playback.open_event)
        self.camera_list.currentItemChanged.connect(self._on_camera_list_current_changed)
        self.grid.camera_clicked.connect(self._on_grid_camera_clicked)
        self.config_applied.connect(self._on_config_applied)

        current = self.layouts.load_current("main")
        if current is not None:
            self.grid.apply_named(current)
        self.clock.register(self.grid.refresh)
        self.clock.start()
        self.preloader: EventPreloader | None = None
        if station.db_path():
            self.preloader = EventPreloader(station.db_path(), parent=self)
            self.preloader.loaded.connect(self._on_preloader_loaded)
            self.preloader.start()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", ""))
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    # -- grids (this window's and the walls') -------------------------------------------------------
    def grids(self) -> list[CameraGrid]:
        return [self.grid, *(w.grid for w in self.walls)]

    def highlight_camera(self, camera_id: str | None) -> None:
        for grid in self.grids():
            grid.highlight(camera_id)

    def open_wall(self, screen) -> WallWindow:  # noqa: ANN001 (QScreen)
        wall = WallWindow(self.station, screen)
        saved = self.layouts.load_current(f"wall-{screen.name()}")
        if saved is not None:
            wall.grid.apply_named(saved)
        wall.grid.set_options(self.grid.options())
        wall.closed.connect(self._on_wall_closed)
        self.walls.append(wall)
        self.clock.register(wall.grid.refresh)
        wall.show_on_screen()
        return wall

    def _on_wall_closed(self, wall: WallWindow) -> None:
        self.layouts.save_current(wall.grid.named_layout(""), f"wall-{wall.screen_name}")
        self.clock.unregister(wall.grid.refresh)
        if wall in self.walls:
            self.walls.remove(wall)

    # -- station events -----------------------------------------------------------------------------
    def _on_bridge_event_received(self, event: Event) -> None:
        self.events.add_event(event)
        if event.kind in UNMASKED:
            if self.alert_settings.flash:
                for grid in self.grids():
                    grid.flash(event.camera_id)
            if self.alert_settings.sound:
                self.alert_sound.play()
        elif event.kind is EventKind.WATCHLIST_MATCH:
            # Matches are rare and urgent: always flash, and play the list's own sound.
            for grid in self.grids():
                grid.flash(event.camera_id)
            self.alert_sound.play(
                watchlist_sound(self.station.db_path(), event.details.get("watchlist_id", 0))
            )

    def _on_bridge_status_changed(self, status: CameraStatus) -> None:
        self.camera_list.update_health()
        self.status.update_figures()
        cam = self.station.config().camera(status.camera_id)
        name = cam.name if cam is not None else status.camera_id
        if status.health is Health.OFFLINE:
            self.notices.notify(self.tr("{name} is offline: {value}").format(name=name, value=status.message or self.tr("no frames")), "warning")
        elif status.health is Health.LIVE and status.message:
            self.notices.notify(self.tr("{name} is back: {message}").format(name=name, message=status.message), "info")

    def acknowledge(self) -> None:
        by = ""
        if self.gate is not None:
            try:
                by = self.gate.require(Permission.ACKNOWLEDGE, "events")
            except UserError as exc:
                self.notices.notify(error_text(exc), "warning")
                return
        if not self.event_panel.acknowledge_selected(by):
            self.notices.notify(self.tr("Nothing to acknowledge."), "info")

    def _on_preloader_loaded(self, items: list) -> None:
        added = self.events.add_stored(items)
        if added:
            log.info("listed %d stored events from before this start", added)

    def stored_id(self, event: Event) -> int | None:
        """The id of ``event``'s row in the store (None while the writer has not committed it)."""
        row = self.events.row_of(event)
        if row >= 0 and self.events.event_id_at(row) is not None:
            return self.events.event_id_at(row)
        try:
            if self._reader is None:
                self._reader = StoreReader(self.station.db_path())
            found = stored_event_id(self._reader, event)
        except UserError as exc:
            self.notices.notify(error_text(exc), "error")
            return None
        if found is not None and row >= 0:
            self.events.set_event_id(row, found)
        return found

    def _on_event_panel_event_activated(self, event: Event) -> None:
        if event.kind is EventKind.WATCHLIST_MATCH and self.roles is not None:
            self.roles.review_event(event)
        else:
            self.playback.open_event(event)

    def _on_event_panel_context_menu_requested(self, event: Event, where: QPoint) -> None:
        if self.roles is not None:
            self.roles.event_menu(event, where)

    def _on_grid_context_menu_requested(self, pos: QPoint) -> None:
        if self.roles is not None:
            self.roles.tile_menu(pos)

    def _on_event_panel_acknowledged(self, event: Event) -> None:
        if self._acknowledge is None:
            return
        try:
            self._acknowledge(event)
        except UserError as exc:
            self.notices.notify(self.tr("Could not record the acknowledgement: {exc}").format(exc=error_text(exc)), "error")
        except Exception as exc:  # a bug in the store: log it, keep the wall running
            log.exception("acknowledge failed")
            self.notices.notify(
                self.tr("Could not record the acknowledgement ({name}); see the log.").format(name=type(exc).__name__), "error"
            )

    def show_camera(self, camera_id: str) -> None:
        """Back to the wall with ``camera_id`` outlined and selected in the camera list."""
        self.show_wall()
        self.highlight_camera(camera_id)
        self.camera_list.select_camera(camera_id)

    # -- compliance tab -----------------------------------------------------------------------------
    def show_wall(self) -> None:
        self.tabs.setCurrentIndex(0)

    def show_compliance(self) -> ComplianceTab:
        self.tabs.setCurrentIndex(1)
        return self.compliance

    def toggle_compliance(self) -> None:
        self.tabs.setCurrentIndex(0 if self.tabs.currentIndex() == 1 else 1)

    def _on_tabs_current_changed(self, index: int) -> None:
        self.compliance.set_active(index == 1)

    def _on_compliance_event_menu_requested(self, event: Event, where: QPoint) -> None:
        if self.roles is not None:
            self.roles.event_menu(event, where)

    # -- session ------------------------------------------------------------------------------------
    def _on_gate_logged_in(self, session: Session) -> None:
        assert self.roles is not None
        self.roles.set_locked(False)
        self.setWindowTitle(self.tr("Vigil - {user} ({value})").format(user=session.user, value=session.role.value))
        self.notices.notify(self.tr("Logged in as {user} ({value}).").format(user=session.user, value=session.role.value), "info")

    def _on_gate_locked(self) -> None:
        assert self.roles is not None
        self.roles.set_locked(True)

    def _on_camera_list_current_changed(self, current, _previous) -> None:  # noqa: ANN001
        self.highlight_camera(current.data(Qt.ItemDataRole.UserRole) if current is not None else None)

    def _on_grid_camera_clicked(self, camera_id: str) -> None:
        self.camera_list.select_camera(camera_id)

    # -- cameras ------------------------------------------------------------------------------------
    def open_camera_manager(self) -> CameraManagerDialog | None:
        if self.roles is not None and self.roles.allowed(Permission.MANAGE_CAMERAS, "cameras") is None:
            return None
        if self.manager is None:
            self.manager = CameraManagerDialog(self.station.config(), self)
            self.manager.config_saved.connect(self._on_manager_config_saved)
            self.manager.finished.connect(self._on_manager_finished)
        self.manager.show()
        self.manager.raise_()
        return self.manager

    def _on_manager_finished(self, _result: int) -> None:
        self.manager = None

    def _on_manager_config_saved(self, config: StationConfig) -> None:
        if self._save_config is not None:
            try:
                self._save_config(config)
            except UserError as exc:
                self.notices.notify(self.tr("Settings not saved: {exc}").format(exc=error_text(exc)), "error")
            except OSError as exc:
                self.notices.notify(self.tr("Settings not saved: {exc}").format(exc=error_text(exc)), "error")
        self.notices.notify(self.tr("Applying camera settings…"), "info")
        # Starting and stopping capture threads can take seconds: never on the GUI thread.
        threading.Thread(
            target=self._apply_config, args=(config,), name="vigil-apply-config", daemon=True
        ).start()

    def _apply_config(self, config: StationConfig) -> None:
        try:
            self.station.apply_config(config)
            result: StationConfig | Exception = config
        except Exception as exc:  # reported in the notice strip; the wall keeps the previous cameras
            log.exception("apply_config failed")
            result = exc
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self.config_applied.emit(result)

    def _on_config_applied(self, result: object) -> None:
        if isinstance(result, Exception):
            self.notices.notify(self.tr("Camera settings not applied: {error}").format(error=redact(str(result))), "error")
            return
        config = self.station.config()
        for grid in self.grids():
            grid.reload_feeds()
        self.camera_list.reload()
        self.event_panel.set_config(config)
        self.compliance.set_config(config)
        self.status.update_figures()
        self.notices.notify(self.tr("Camera settings applied: {count} cameras running.").format(count=len(self.station.feeds())), "info")

    # -- window state -------------------------------------------------------------------------------
    def _screen_key(self) -> str:
        screen = self.screen()
        g = screen.geometry()
        return f"{screen.name() or 'screen'}_{g.width()}x{g.height()}".replace("/", "_")

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        if not self._geometry_restored:
            self._geometry_restored = True
            self._restore_geometry()
        super().showEvent(event)

    def _restore_geometry(self) -> None:
        last = str(self.settings.value("window/last_screen", ""))
        from PySide6.QtGui import QGuiApplication

        screen = next((s for s in QGuiApplication.screens() if s.name() == last), None)
        if screen is not None and screen is not self.screen():
            self.setScreen(screen)
        geometry = self.settings.value(f"window/{self._screen_key()}/geometry")
        state = self.settings.value(f"window/{self._screen_key()}/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        elif not self.testAttribute(Qt.WidgetAttribute.WA_Resized):
            self.resize(1600, 900)
        if state is not None:
            self.restoreState(state)
        else:  # first start: give the wall most of the width (once the window has its size)
            QTimer.singleShot(0, self._default_dock_widths)

    def _default_dock_widths(self) -> None:
        self.resizeDocks([self.camera_dock, self.events_dock], [230, 470], Qt.Orientation.Horizontal)

    def save_state(self) -> None:
        """Geometry per screen, the wall's layout and the walls' layouts (also called on close)."""
        if self.isFullScreen():
            self.actions_.leave_full_screen()
        key = self._screen_key()
        self.settings.setValue("window/last_screen", self.screen().name())
        self.settings.setValue(f"window/{key}/geometry", self.saveGeometry())
        self.settings.setValue(f"window/{key}/state", self.saveState())
        self.layouts.save_current(self.grid.named_layout(""), "main")
        for wall in self.walls:
            self.layouts.save_current(wall.grid.named_layout(""), f"wall-{wall.screen_name}")
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.save_state()
        self.clock.stop()
        for wall in list(self.walls):
            wall.close()
        if self.manager is not None:
            self.manager.close()
        if self.roles is not None:
            self.roles.close_all()
        if self.gate is not None:
            self.gate.shut_down()
        self.compliance.close_view()
        self.playback.close()
        if self._reader is not None:
            self._reader.close()
        super().closeEvent(event)
        self.closed.emit()
