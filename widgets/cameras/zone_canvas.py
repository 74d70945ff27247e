"""ZoneCanvas: a camera frame with its zones; click points to draw a polygon, double-click or Enter closes it.

Coordinates are stored normalised (0-1 of the frame), so a zone drawn on a main-stream frame also fits the
analysed frame of any size. Painting only; what a zone means is in ``app.zones``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.zones import MAX_POINTS, MIN_POINTS, Point, Zone, ZoneKind
from widgets.paint.frame_image import _as_bgr
from widgets.paint.overlay import fit_rect

ZONE_COLOURS = {ZoneKind.EXCLUDE: QColor(255, 80, 80), ZoneKind.COUNT: QColor(48, 209, 88)}
DRAFT_COLOUR = QColor(255, 214, 10)


class ZoneCanvas(QWidget):
    """Draws the frame letterboxed, the zones filled, the polygon being drawn, and takes the clicks."""

    zones_changed = Signal()
    draft_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._zones: list[Zone] = []
        self._draft: list[Point] = []
        self.kind = ZoneKind.EXCLUDE
        self.selected: int | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(480, 270)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # -- state ----------------------------------------------------------------------------------------
    def set_frame(self, image: np.ndarray) -> None:
        arr = _as_bgr(image)
        h, w = arr.shape[:2]
        # copy(): the canvas keeps its own pixels, not a view of a probe thread's array
        self._image = QImage(arr.data, w, h, int(arr.strides[0]), QImage.Format.Format_BGR888).copy()
        self.update()

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return None if self._image is None else (self._image.width(), self._image.height())

    def zones(self) -> tuple[Zone, ...]:
        return tuple(self._zones)

    def set_zones(self, zones: tuple[Zone, ...]) -> None:
        self._zones = list(zones)
        self._draft = []
        self.selected = None
        self.update()

    @property
    def draft(self) -> tuple[Point, ...]:
        return tuple(self._draft)

    def picture_rect(self) -> QRectF:
        """Where the frame is drawn (letterboxed in the widget)."""
        w, h = self.frame_size or (16, 9)
        return fit_rect(w, h, QRectF(self.rect()).adjusted(4, 4, -4, -4))

    def to_widget(self, p: Point) -> QPointF:
        r = self.picture_rect()
        return QPointF(r.x() + p[0] * r.width(), r.y() + p[1] * r.height())

    def to_frame(self, pos: QPointF) -> Point | None:
        r = self.picture_rect()
        if r.isEmpty() or not r.adjusted(-1, -1, 1, 1).contains(pos):
            return None
        x = min(max((pos.x() - r.x()) / r.width(), 0.0), 1.0)
        y = min(max((pos.y() - r.y()) / r.height(), 0.0), 1.0)
        return (round(x, 4), round(y, 4))

    # -- editing ----------------------------------------------------------------------------------------
    def add_point(self, p: Point) -> None:
        if len(self._draft) < MAX_POINTS:
            self._draft.append(p)
            self.draft_changed.emit()
            self.update()

    def undo_point(self) -> None:
        if self._draft:
            self._draft.pop()
            self.draft_changed.emit()
            self.update()

    def cancel_draft(self) -> None:
        self._draft = []
        self.draft_changed.emit()
        self.update()

    def close_draft(self) -> Zone | None:
        """Make the drawn points a zone of ``self.kind``; None if they enclose no area. A new counting zone
        replaces the old one (a camera has at most one)."""
        pts = _dedupe(self._draft)
        zone = Zone(self.kind, tuple(pts))
        if len(pts) < MIN_POINTS or zone.area() < 1e-5:
            return None
        if zone.kind is ZoneKind.COUNT:
            self._zones = [z for z in self._zones if z.kind is not ZoneKind.COUNT]
        self._zones.append(zone)
        self._draft = []
        self.selected = len(self._zones) - 1
        self.draft_changed.emit()
        self.zones_changed.emit()
        self.update()
        return zone

    def delete_selected(self) -> bool:
        if self.selected is None or not 0 <= self.selected < len(self._zones):
            return False
        del self._zones[self.selected]
        self.selected = None
        self.zones_changed.emit()
        self.update()
        return True

    def select(self, index: int | None) -> None:
        self.selected = index if index is not None and 0 <= index < len(self._zones) else None
        self.update()

    # -- events -------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus()
        if event.button() == Qt.MouseButton.RightButton:
            self.undo_point()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            p = self.to_frame(event.position())
            if p is not None:
                self.add_point(p)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        # the press before the double-click already added this point: the double-click only closes
        if event.button() == Qt.MouseButton.LeftButton:
            self.close_draft()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._draft:
            self.close_draft()
        elif key == Qt.Key.Key_Escape and self._draft:
            self.cancel_draft()
        elif key == Qt.Key.Key_Backspace and self._draft:
            self.undo_point()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
        else:
            super().keyPressEvent(event)  # Esc with no draft closes the dialog, as usual

    # -- painting -----------------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        r = self.picture_rect()
        if self._image is not None:
            p.drawImage(r, self._image)
        else:
            p.setPen(QColor(157, 167, 179))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.tr("Waiting for a frame from the camera…"))
        for i, zone in enumerate(self._zones):
            colour = ZONE_COLOURS[zone.kind]
            fill = QColor(colour)
            fill.setAlpha(70 if zone.kind is ZoneKind.EXCLUDE else 45)
            width = 4.0 if i == self.selected else 2.0
            p.setPen(
                QPen(colour, width, Qt.PenStyle.SolidLine if i == self.selected else Qt.PenStyle.DashLine)
            )
            p.setBrush(QBrush(fill, Qt.BrushStyle.SolidPattern))
            poly = QPolygonF([self.to_widget(pt) for pt in zone.points])
            p.drawPolygon(poly)
            if zone.kind is ZoneKind.EXCLUDE:  # hatched: nothing in here is looked at
                p.setBrush(QBrush(colour, Qt.BrushStyle.BDiagPattern))
                p.drawPolygon(poly)
            self._label(p, poly.boundingRect(), f"{i + 1}", colour)
        if self._draft:
            pts = [self.to_widget(pt) for pt in self._draft]
            p.setPen(QPen(DRAFT_COLOUR, 2.0, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPolyline(QPolygonF(pts))
            p.setBrush(DRAFT_COLOUR)
            for pt in pts:
                p.drawEllipse(pt, 4.0, 4.0)
        p.end()

    def _label(self, p: QPainter, box: QRectF, text: str, colour: QColor) -> None:
        tag = QRectF(box.x(), box.y(), 22, 20)
        p.fillRect(tag, QColor(0, 0, 0, 190))
        p.setPen(colour)
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


def _dedupe(points: list[Point]) -> list[Point]:
    """Drop repeated consecutive points (a double-click lands twice on the same place)."""
    out: list[Point] = []
    for pt in points:
        if not out or abs(pt[0] - out[-1][0]) > 1e-3 or abs(pt[1] - out[-1][1]) > 1e-3:
            out.append(pt)
    if len(out) > 1 and abs(out[0][0] - out[-1][0]) <= 1e-3 and abs(out[0][1] - out[-1][1]) <= 1e-3:
        out.pop()
    return out
