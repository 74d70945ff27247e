"""ZoneEditorDialog: draw a camera's exclusion zones and counting zone on a live frame of that camera.

Opened from the camera form (so admin-only, like every camera edit). The frame comes from the connection
probe in a background thread; the zones go back to the form, and into the config with the manager's Save.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.config import CameraConfig
from app.zones import Zone, ZoneKind
from widgets.cameras.connection_probe import ConnectionTester, ProbeResult
from widgets.cameras.zone_canvas import ZoneCanvas


class ZoneEditorDialog(QDialog):
    """The frame with its zones on the left; zone kind, the list of zones and help on the right."""

    def __init__(self, camera: CameraConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._camera = camera
        self.setWindowTitle(self.tr("Zones: %1").replace("%1", camera.name))
        self.canvas = ZoneCanvas()
        self.canvas.set_zones(camera.zones)
        self.exclude = QRadioButton(self.tr("&Exclusion zone (E)"))
        self.exclude.setToolTip(
            self.tr("Faces centred here are ignored: signs, posters, screens, staff desks.")
        )
        self.count = QRadioButton(self.tr("&Counting zone (C)"))
        self.count.setToolTip(self.tr("Only people seen inside it count for compliance; one per camera."))
        self.exclude.setChecked(True)
        kinds = QButtonGroup(self)
        kinds.addButton(self.exclude)
        kinds.addButton(self.count)
        self.zone_list = QListWidget()
        self.delete_button = QPushButton(self.tr("&Delete zone (Del)"))
        self.grab_button = QPushButton(self.tr("&New frame (F5)"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("InlineError")
        self.message.setWordWrap(True)
        self.message.hide()
        help_text = QLabel(
            self.tr(
                "Click to place points. Double-click or Enter closes the polygon; right-click or Backspace "
                "removes the last point; Esc drops it. Select a zone in the list and press Del to delete it."
            )
        )
        help_text.setWordWrap(True)
        help_text.setObjectName("Hint")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Keep zones"))

        side = QVBoxLayout()
        side.addWidget(QLabel(self.tr("Draw")))
        side.addWidget(self.exclude)
        side.addWidget(self.count)
        side.addSpacing(8)
        side.addWidget(QLabel(self.tr("Zones of this camera")))
        side.addWidget(self.zone_list, 1)
        side.addWidget(self.delete_button)
        side.addWidget(help_text)
        side.addWidget(self.message)
        row = QHBoxLayout()
        row.addWidget(self.grab_button)
        row.addWidget(self.status, 1)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(row)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)
        self.resize(1180, 620)

        self.tester = ConnectionTester(self)
        self.tester.finished.connect(self._on_tester_finished)
        self.exclude.toggled.connect(self._on_kind_toggled)
        self.zone_list.currentRowChanged.connect(self.canvas.select)
        self.canvas.zones_changed.connect(self._refresh_list)
        self.canvas.draft_changed.connect(self._on_canvas_draft_changed)
        self.delete_button.clicked.connect(self.delete_zone)
        self.grab_button.clicked.connect(self.grab_frame)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for keys, slot in (
            ("E", lambda: self.exclude.setChecked(True)),
            ("C", lambda: self.count.setChecked(True)),
            (QKeySequence.StandardKey.Refresh, self.grab_frame),
            (QKeySequence.StandardKey.Undo, self.canvas.undo_point),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self, activated=self.delete_zone)
        self._refresh_list()
        self.canvas.setFocus()
        self.grab_frame()

    def zones(self) -> tuple[Zone, ...]:
        return self.canvas.zones()

    def grab_frame(self) -> None:
        """One frame from the camera, read in a background thread (the probe of "Test connection")."""
        self.status.setText(self.tr("Reading a frame from the camera…"))
        self.tester.test(self._camera.source)

    def delete_zone(self) -> None:
        if not self.canvas.delete_selected():
            self._show(self.tr("Select a zone in the list first."))

    def accept(self) -> None:
        if self.canvas.draft:
            self._show(self.tr("Close the polygon you are drawing (double-click or Enter) or drop it (Esc)."))
            return
        super().accept()

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        self.tester.wait(0.1)
        super().closeEvent(event)

    def _show(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def _on_tester_finished(self, result: ProbeResult) -> None:
        if result.request != self.tester.request:
            return
        if result.image is None:
            self.status.setText(result.message)
            return
        self.canvas.set_frame(result.image)
        h, w = result.image.shape[:2]
        self.status.setText(
            self.tr("Frame from the camera, %1x%2").replace("%1", str(w)).replace("%2", str(h))
        )

    def _on_kind_toggled(self, exclude: bool) -> None:
        self.canvas.kind = ZoneKind.EXCLUDE if exclude else ZoneKind.COUNT

    def _on_canvas_draft_changed(self) -> None:
        n = len(self.canvas.draft)
        if n:
            self._show("")
            self.status.setText(self.tr("%1 point(s): double-click or Enter to close").replace("%1", str(n)))

    def _refresh_list(self) -> None:
        self.zone_list.blockSignals(True)
        self.zone_list.clear()
        for i, zone in enumerate(self.canvas.zones()):
            what = self.tr("exclusion") if zone.kind is ZoneKind.EXCLUDE else self.tr("counting")
            text = self.tr("%1. %2 · %3 pts · %4 %")
            for key, value in (("%1", str(i + 1)), ("%2", what), ("%3", str(len(zone.points))),
                               ("%4", f"{100 * zone.area():.0f}")):  # fmt: skip
                text = text.replace(key, value)
            item = QListWidgetItem(text)
            item.setToolTip(self.tr("%1 % of the frame").replace("%1", f"{100 * zone.area():.1f}"))
            self.zone_list.addItem(item)
        self.zone_list.setCurrentRow(self.canvas.selected if self.canvas.selected is not None else -1)
        self.zone_list.blockSignals(False)
        self._show("")


def zone_summary(zones: tuple[Zone, ...], tr) -> str:  # noqa: ANN001
    """One line for the camera form: how many zones of each kind."""
    n_ex = sum(1 for z in zones if z.kind is ZoneKind.EXCLUDE)
    has_count = any(z.kind is ZoneKind.COUNT for z in zones)
    if not zones:
        return str(tr("No zones: every face in the picture counts."))
    text = str(tr("%1 exclusion zone(s)")).replace("%1", str(n_ex))
    return text + (str(tr(", counting zone set")) if has_count else "")
