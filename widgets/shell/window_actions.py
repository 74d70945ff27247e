"""Menus, toolbar and keyboard shortcuts of the station window (everything operators repeat has a key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QComboBox, QMenu, QToolBar

from widgets.i18n import translate
from widgets.paint.overlay import OverlayOptions
from widgets.shell.language_menu import LanguageMenu
from widgets.shell.theme import icon
from widgets.wall.grid_layouts import LAYOUTS, QUICK_LAYOUTS

if TYPE_CHECKING:
    from widgets.shell.window_parts import StationWindowParts


class WindowActions:
    """Builds the menus and toolbar of ``window`` and owns the small state they toggle."""

    def __init__(self, window: StationWindowParts) -> None:
        self.w = window
        self._hidden_for_full_screen: list = []
        bar = window.menuBar()
        view = bar.addMenu(translate("WindowActions", "&View"))
        view.setObjectName("ViewMenu")
        for i, name in enumerate(QUICK_LAYOUTS, start=1):
            self._action(view, translate("WindowActions", "Layout {name}").format(name=name), lambda n=name: window.grid.set_grid(n), str(i), f"Ctrl+{i}")
        self._action(view, translate("WindowActions", "Layout 1+5 (big tile)"), lambda: window.grid.set_grid("1+5"), "6", "Ctrl+6")
        self._action(view, translate("WindowActions", "Layout 1+7 (big tile)"), lambda: window.grid.set_grid("1+7"), "7", "Ctrl+7")
        view.addSeparator()
        self._action(view, translate("WindowActions", "Next page of cameras"), window.grid.next_page, QKeySequence(Qt.Key.Key_PageDown))
        self._action(
            view, translate("WindowActions", "Previous page of cameras"), window.grid.previous_page, QKeySequence(Qt.Key.Key_PageUp)
        )
        self._action(view, translate("WindowActions", "Leave maximised tile / full screen"), self.escape, QKeySequence(Qt.Key.Key_Escape))
        self.full_screen = self._action(
            view, translate("WindowActions", "Full screen"), self.toggle_full_screen, QKeySequence(Qt.Key.Key_F11)
        )
        self.full_screen.setIcon(icon("fullscreen"))
        view.addSeparator()
        self.boxes = self._toggle(view, translate("WindowActions", "Face boxes"), "B", "overlay/boxes", True)
        self.labels = self._toggle(view, translate("WindowActions", "Face labels (track, size, watchlist)"), "L", "overlay/labels", True)
        self.info = self._toggle(view, translate("WindowActions", "Camera name, fps and clock"), "I", "overlay/info", True)
        self.carousel = self._action(view, translate("WindowActions", "Carousel in the last tile"), self._apply_carousel, "C")
        self.carousel.setCheckable(True)
        view.addSeparator()
        self.compliance = self._action(view, translate("WindowActions", "Compliance timeline / wall"), window.toggle_compliance, "Ctrl+T")
        view.addSeparator()
        view.addAction(window.camera_dock.toggleViewAction())
        view.addAction(window.events_dock.toggleViewAction())
        view.addSeparator()
        self.language = LanguageMenu(view, window.settings)

        walls = bar.addMenu(translate("WindowActions", "&Walls"))
        self.walls_menu = walls.addMenu(icon("screen"), translate("WindowActions", "Open wall on screen"))
        self.walls_menu.aboutToShow.connect(self._fill_walls_menu)

        cams = bar.addMenu(translate("WindowActions", "&Cameras"))
        self.manage = self._action(cams, translate("WindowActions", "Manage cameras and sites…"), window.open_camera_manager, "Ctrl+M")
        self.manage.setIcon(icon("camera"))

        events = bar.addMenu(translate("WindowActions", "&Events"))
        self.events_menu = events
        self.ack = self._action(
            events, translate("WindowActions", "Acknowledge event"), window.acknowledge, QKeySequence(Qt.Key.Key_Space), "A"
        )
        self.ack.setIcon(icon("check"))
        events.addSeparator()
        alerts = window.alert_settings
        self.alert_flash = self._check(events, translate("WindowActions", "Flash the tile on a new unmasked person"), alerts.flash)
        self.alert_flash.toggled.connect(lambda on: setattr(alerts, "flash", on))
        self.alert_sound = self._check(events, translate("WindowActions", "Play a sound on a new unmasked person"), alerts.sound)
        self.alert_sound.toggled.connect(lambda on: setattr(alerts, "sound", on))
        self.alert_sound.setIcon(icon("bell"))

        tools = QToolBar(translate("WindowActions", "Wall"))
        tools.setObjectName("WallToolbar")
        tools.setIconSize(QSize(22, 22))
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        window.addToolBar(tools)
        self.toolbar = tools
        self.grid_combo = QComboBox()
        for name in LAYOUTS:
            self.grid_combo.addItem(icon("grid"), name, name)
        self.grid_combo.setToolTip(translate("WindowActions", "Wall layout (keys 1-7)"))
        self.grid_combo.activated.connect(lambda i: window.grid.set_grid(self.grid_combo.itemData(i)))
        window.grid.layout_changed.connect(self._on_grid_layout_changed)
        tools.addWidget(self.grid_combo)
        self.layout_combo = QComboBox()
        self.layout_combo.setEditable(True)
        self.layout_combo.setMinimumWidth(180)
        edit = self.layout_combo.lineEdit()
        if edit is not None:
            edit.setPlaceholderText(translate("WindowActions", "named layout"))
        self.layout_combo.setToolTip(
            translate("WindowActions", "Saved layouts: pick one to show it, or type a name and press Save layout")
        )
        self.layout_combo.activated.connect(self._on_layout_combo_activated)
        tools.addWidget(self.layout_combo)
        self.save_layout = tools.addAction(translate("WindowActions", "Save layout"), self.save_named_layout)
        tools.addSeparator()
        tools.addAction(self.full_screen)
        tools.addAction(self.manage)
        tools.addAction(self.ack)
        self.reload_layout_names()
        self._on_grid_layout_changed(window.grid.spec.name)
        self.apply_overlays()

    # -- helpers ------------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot, *keys) -> QAction:  # noqa: ANN001
        action = QAction(text, self.w)
        action.setShortcuts([QKeySequence(k) if isinstance(k, str) else k for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.w.addAction(action)  # shortcuts keep working with the menu bar hidden (full screen)
        return action

    def _check(self, menu: QMenu, text: str, on: bool) -> QAction:
        action = QAction(text, self.w)
        action.setCheckable(True)
        action.setChecked(on)
        menu.addAction(action)
        return action

    def _toggle(self, menu: QMenu, text: str, key: str, setting: str, default: bool) -> QAction:
        action = self._action(menu, text, self.apply_overlays, key)
        action.setCheckable(True)
        value = self.w.settings.value(setting, default)
        action.setChecked(value is True or str(value).lower() == "true")
        action.setData(setting)
        return action

    # -- slots --------------------------------------------------------------------------------------
    def apply_overlays(self) -> None:
        options = OverlayOptions(self.boxes.isChecked(), self.labels.isChecked(), self.info.isChecked())
        for action in (self.boxes, self.labels, self.info):
            self.w.settings.setValue(action.data(), action.isChecked())
        for grid in self.w.grids():
            grid.set_options(options)
        playback = getattr(self.w, "playback", None)
        if playback is not None:
            playback.view.set_options(options)

    def _apply_carousel(self) -> None:
        grid = self.w.grid
        grid.set_carousel(
            grid.spec.tile_count - 1 if self.carousel.isChecked() else None,
            float(str(self.w.settings.value("carousel/interval_s", 10.0))),
        )

    def escape(self) -> None:
        if self.w.grid.maximised is not None:
            self.w.grid.restore()
        elif self.w.isFullScreen():
            self.leave_full_screen()

    def toggle_full_screen(self) -> None:
        if self.w.isFullScreen():
            self.leave_full_screen()
        else:
            # A pure wall: hide the chrome, keep every shortcut (they are window actions).
            self.w.show_wall()
            self._hidden_for_full_screen = [
                x
                for x in (
                    self.w.menuBar(),
                    self.toolbar,
                    self.w.camera_dock,
                    self.w.events_dock,
                    self.w.statusBar(),
                    self.w.tabs.tabBar(),
                )
                if x.isVisible()
            ]
            for x in self._hidden_for_full_screen:
                x.hide()
            self.w.showFullScreen()

    def leave_full_screen(self) -> None:
        for x in self._hidden_for_full_screen:
            x.show()
        self._hidden_for_full_screen = []
        self.w.showNormal()

    def _fill_walls_menu(self) -> None:
        self.walls_menu.clear()
        for n, screen in enumerate(QGuiApplication.screens(), start=1):
            g = screen.geometry()
            action = self.walls_menu.addAction(translate("WindowActions", "Screen {n}: {name} ({width}x{height})").format(n=n, name=screen.name(), width=g.width(), height=g.height()))
            action.triggered.connect(lambda *_, s=screen: self.w.open_wall(s))

    def save_named_layout(self) -> None:
        name = self.layout_combo.currentText().strip()
        if not name:
            self.w.notices.notify(
                translate("WindowActions", "Type a name for the layout first (in the layout box of the toolbar)."), "info"
            )
            return
        self.w.layouts.save(self.w.grid.named_layout(name))
        self.reload_layout_names()
        self.layout_combo.setCurrentText(name)
        self.w.notices.notify(translate("WindowActions", "Layout '{name}' saved.").format(name=name), "info")

    def reload_layout_names(self) -> None:
        text = self.layout_combo.currentText()
        self.layout_combo.clear()
        self.layout_combo.addItems(self.w.layouts.names())
        self.layout_combo.setCurrentText(text)

    def _on_layout_combo_activated(self, index: int) -> None:
        layout = self.w.layouts.load(self.layout_combo.itemText(index))
        if layout is not None:
            self.w.grid.apply_named(layout)

    def _on_grid_layout_changed(self, name: str) -> None:
        self.grid_combo.setCurrentIndex(max(0, self.grid_combo.findData(name)))
