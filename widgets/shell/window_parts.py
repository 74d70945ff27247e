"""What the window's action and hook classes (role_actions, window_actions, playback_hooks) use of the station
window: ``StationWindow`` is a ``StationWindowParts``, and they are handed it typed as this base, so they never
import main_window and the imports go one way (main_window -> actions). Declarations only: no behaviour here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QScreen
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QTabWidget, QToolBar

from app.domain import Event
from app.station_api import Station
from widgets.cameras.camera_manager import CameraManagerDialog
from widgets.compliance.compliance_tab import ComplianceTab
from widgets.events.alerts import AlertSettings
from widgets.events.event_panel import EventPanel
from widgets.security.session_gate import LockBanner, SessionGate
from widgets.shell.notices import NoticeStrip
from widgets.wall.camera_grid import CameraGrid
from widgets.wall.camera_list import CameraList
from widgets.wall.grid_layouts import LayoutStore
from widgets.wall.wall_window import WallWindow


class WindowMenus(Protocol):
    """The window's own menus and actions (``WindowActions``) as the role actions use them."""

    @property
    def events_menu(self) -> QMenu: ...
    @property
    def ack(self) -> QAction: ...
    @property
    def manage(self) -> QAction: ...
    @property
    def toolbar(self) -> QToolBar: ...


class EventPlayback(Protocol):
    """The Playback tab's hooks (``PlaybackHooks``) as the role actions use them."""

    def open_event(self, event: Event) -> object: ...


class EvidenceExport(Protocol):
    """The role actions' export (``RoleActions``) as the playback hooks use it."""

    def open_export(self, cameras: Sequence[str], start: float, end: float, keep_event: int | None = None) -> object: ...


class StationWindowParts(QMainWindow):
    """The parts of ``widgets.shell.main_window.StationWindow`` its action and hook classes reach (declared
    here, set and implemented there)."""

    station: Station
    settings: QSettings
    layouts: LayoutStore
    alert_settings: AlertSettings
    notices: NoticeStrip
    lock_banner: LockBanner
    grid: CameraGrid
    compliance: ComplianceTab
    tabs: QTabWidget
    camera_list: CameraList
    camera_dock: QDockWidget
    event_panel: EventPanel
    events_dock: QDockWidget
    manager: CameraManagerDialog | None
    actions_: WindowMenus
    playback: EventPlayback
    gate: SessionGate | None
    roles: EvidenceExport | None

    def grids(self) -> list[CameraGrid]:
        raise NotImplementedError

    def highlight_camera(self, camera_id: str | None) -> None:
        raise NotImplementedError

    def open_wall(self, screen: QScreen) -> WallWindow:
        raise NotImplementedError

    def acknowledge(self) -> None:
        raise NotImplementedError

    def stored_id(self, event: Event) -> int | None:
        raise NotImplementedError

    def show_camera(self, camera_id: str) -> None:
        raise NotImplementedError

    def show_wall(self) -> None:
        raise NotImplementedError

    def toggle_compliance(self) -> None:
        raise NotImplementedError

    def open_camera_manager(self) -> CameraManagerDialog | None:
        raise NotImplementedError
