"""CameraTile: paints one camera's newest frame (borrowed, never copied) and the newest analysis result.

A tile never polls by itself: the display clock calls ``refresh()`` and the tile repaints only when its
slot holds a newer frame or result, when the camera's health changes, or once a second while it is not live
(to age the "last frame N s ago" text).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QMimeData, QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.domain import Frame, FrameResult, Health
from app.i18n import QT_TRANSLATE_NOOP
from app.station_api import CameraFeed
from widgets.i18n import number, translate
from widgets.paint.frame_image import BorrowedImage
from widgets.paint.overlay import OverlayOptions, draw_faces, fit_rect, result_applies

CAMERA_MIME = "application/x-vigil-camera-id"

STATE_STYLE: dict[Health, tuple[str, QColor]] = {
    Health.CONNECTING: (QT_TRANSLATE_NOOP("CameraTile", "CONNECTING"), QColor(90, 160, 255)),
    Health.STALLED: (QT_TRANSLATE_NOOP("CameraTile", "RECONNECTING"), QColor(255, 170, 0)),
    Health.OFFLINE: (QT_TRANSLATE_NOOP("CameraTile", "OFFLINE"), QColor(255, 50, 50)),
    Health.STOPPED: (QT_TRANSLATE_NOOP("CameraTile", "STOPPED"), QColor(150, 150, 150)),
}
BACKGROUND = QColor(8, 10, 12)
HIGHLIGHT = QColor(64, 156, 255)
ALERT = QColor(255, 40, 40)


class CameraTile(QWidget):
    """One cell of the video wall."""

    activated = Signal(int)  # double-click or Enter: maximise / restore (tile index)
    clicked = Signal(int)
    camera_dropped = Signal(int, str)  # (tile index, camera id) dropped from the camera list or a tile

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(32, 24)
        self._feed: CameraFeed | None = None
        self._site_name = ""
        self._options = OverlayOptions()
        self._image: BorrowedImage | None = None
        self._result: FrameResult | None = None
        self._frame_version = -1
        self._result_version = -1
        self._health: Health | None = None
        self._second = -1
        self._flash_until = 0.0
        self._highlighted = False
        self._press_pos: QPoint | None = None
        self.paints = 0  # paints since creation (a new frame or a new analysis result each)
        self.frames_shown = 0  # distinct camera frames painted (the GUI benchmark's tile fps)
        self._shown_seq = -1
        self.smooth = (
            True  # bilinear scaling; skipped below half size (4x4 walls) to keep the GUI thread free
        )

    # -- what the grid sets -------------------------------------------------------------------------
    @property
    def camera_id(self) -> str | None:
        return self._feed.camera.id if self._feed is not None else None

    @property
    def feed(self) -> CameraFeed | None:
        return self._feed

    def set_feed(self, feed: CameraFeed | None, site_name: str = "") -> None:
        if feed is self._feed and site_name == self._site_name:
            return
        self._feed, self._site_name = feed, site_name
        self._image, self._result = None, None
        self._frame_version = self._result_version = -1
        self._health = None
        self.setToolTip(f"{feed.camera.name} ({site_name})" if feed is not None else "")
        self.update()

    def set_options(self, options: OverlayOptions) -> None:
        self._options = options
        self.update()

    def set_highlighted(self, on: bool) -> None:
        if on != self._highlighted:
            self._highlighted = on
            self.update()

    def flash(self, seconds: float = 3.0) -> None:
        """Blink a red border for ``seconds`` (a new unmasked person on this camera)."""
        self._flash_until = time.monotonic() + seconds
        self.update()

    def current_image(self) -> QImage | None:
        """The QImage painted last; it points at the newest frame's own memory."""
        return self._image.image if self._image is not None else None

    def current_frame(self) -> Frame | None:
        return self._image.frame if self._image is not None else None

    # -- display clock ------------------------------------------------------------------------------
    def refresh(self, now_mono: float) -> bool:
        """Pull newer data from the feed's slots; schedule a repaint if anything visible changed."""
        feed = self._feed
        if feed is None or not self.isVisible():
            return False
        dirty = False
        version = feed.frames.version
        if version != self._frame_version:
            frame = feed.frames.peek()
            self._frame_version = version
            if frame is not None:
                self._image = BorrowedImage(frame)
                dirty = True
        rversion = feed.results.version
        if rversion != self._result_version:
            self._result_version = rversion
            self._result = feed.results.peek()
            dirty = True
        health = feed.status().health
        if health != self._health:
            self._health = health
            dirty = True
        if health is not Health.LIVE:
            second = int(now_mono)
            if second != self._second:
                self._second = second
                dirty = True
        if self._flash_until and now_mono < self._flash_until + 0.3:
            dirty = True
        if dirty:
            self.update()
        return dirty

    # -- painting -----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        try:
            self.paint_into(painter, time.monotonic())
        finally:
            painter.end()

    def paint_into(self, painter: QPainter, now_mono: float) -> None:
        """Everything the tile shows, painted with ``painter`` (also used by tests and the benchmark)."""
        self.paints += 1
        area = QRectF(self.rect())
        painter.fillRect(area, BACKGROUND)
        if self._feed is None:
            self._centred_text(painter, area, self.tr("drop a camera here"), QColor(110, 118, 129), 0.06)
            return
        target = QRectF()
        borrowed = self._image
        if borrowed is not None:
            target = fit_rect(borrowed.image.width(), borrowed.image.height(), area)
            # Bilinear scaling of 16 x 720p frames costs the GUI thread ~40 ms per refresh; at less than half
            # size nearest-neighbour looks nearly the same on a wall, so big tiles only get the smooth path.
            if self.smooth and target.width() >= 0.5 * borrowed.image.width():
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(target, borrowed.image)
            if borrowed.frame.seq != self._shown_seq:
                self._shown_seq = borrowed.frame.seq
                self.frames_shown += 1
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            if result_applies(self._result, borrowed.frame) and self._result is not None:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                draw_faces(painter, self._result, target, self._options)
                painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._options.info:
            self._draw_info(painter, area)
        self._draw_state(painter, area, now_mono)
        self._draw_border(painter, area, now_mono)

    def _draw_info(self, painter: QPainter, area: QRectF) -> None:
        assert self._feed is not None
        cam = self._feed.camera
        px = int(max(11.0, min(18.0, area.height() / 22.0)))
        bar = QRectF(area.left(), area.top(), area.width(), px * 1.6)
        painter.fillRect(bar, QColor(0, 0, 0, 150))
        font = QFont(self.font())
        font.setPixelSize(px)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        painter.setPen(QColor(235, 240, 245))
        inner = bar.adjusted(px * 0.4, 0, -px * 0.4, 0)
        title = f"{cam.name}  ·  {self._site_name}" if self._site_name else cam.name
        fps = f"{self._feed.stats().fps:.0f} fps"
        frame = self.current_frame()
        clock = time.strftime("%H:%M:%S", time.localtime(frame.captured_at)) if frame is not None else ""
        # The camera's name matters most at a distance: drop the clock, then the fps, before eliding it.
        right = ""
        for candidate in (f"{fps}   {clock}".strip(), fps, ""):
            room = inner.width() - metrics.horizontalAdvance(candidate) - px
            if metrics.horizontalAdvance(cam.name) + 2 * px <= room or not candidate:
                right = candidate
                break
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), right)
        room_rect = inner.adjusted(0, 0, -(metrics.horizontalAdvance(right) + px if right else 0), 0)
        elided = metrics.elidedText(title, Qt.TextElideMode.ElideRight, int(room_rect.width()))
        painter.drawText(room_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided)

    def _draw_state(self, painter: QPainter, area: QRectF, now_mono: float) -> None:
        assert self._feed is not None
        health = self._health or self._feed.status().health
        if health is Health.LIVE and self._image is not None:
            return
        text, colour = STATE_STYLE.get(health, (QT_TRANSLATE_NOOP("CameraTile", "NO VIDEO"), QColor(150, 150, 150)))
        text = self.tr(text)
        last = self._feed.stats().last_frame_mono
        if last is None and self._image is not None:
            last = self._image.frame.captured_mono
        detail = self.tr("last frame {age} ago").format(age=_age_text(now_mono - last)) if last is not None else self.tr("no frame yet")
        if health is not Health.CONNECTING and self._image is not None:
            painter.fillRect(area, QColor(colour.red() // 4, colour.green() // 4, colour.blue() // 4, 150))
        self._centred_text(painter, area, text, colour, 0.11, detail)

    def _centred_text(
        self, painter: QPainter, area: QRectF, text: str, colour: QColor, scale: float, detail: str = ""
    ) -> None:
        font = QFont(self.font())
        font.setPixelSize(int(max(12.0, min(48.0, area.height() * scale))))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(colour)
        height = painter.fontMetrics().height()
        top = area.adjusted(0, 0, 0, -height if detail else 0)
        painter.drawText(top, int(Qt.AlignmentFlag.AlignCenter), text)
        if detail:
            font.setPixelSize(max(11, font.pixelSize() // 2))
            font.setBold(False)
            painter.setFont(font)
            painter.setPen(QColor(225, 230, 235))
            painter.drawText(area.adjusted(0, height, 0, 0), int(Qt.AlignmentFlag.AlignCenter), detail)

    def _draw_border(self, painter: QPainter, area: QRectF, now_mono: float) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if now_mono < self._flash_until and int(now_mono * 4) % 2 == 0:
            painter.setPen(QPen(ALERT, 6))
            painter.drawRect(area.adjusted(3, 3, -3, -3))
        elif self._highlighted:
            painter.setPen(QPen(HIGHLIGHT, 4))
            painter.drawRect(area.adjusted(2, 2, -2, -2))
        elif self.hasFocus():
            painter.setPen(QPen(QColor(200, 205, 210), 1))
            painter.drawRect(area.adjusted(0, 0, -1, -1))

    # -- input --------------------------------------------------------------------------------------
    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802, ANN001
        self.activated.emit(self.index)

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position().toPoint()
            self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        # Drag a tile onto another tile to swap them.
        if self._press_pos is None or self.camera_id is None:
            return
        if (event.position().toPoint() - self._press_pos).manhattanLength() < 12:
            return
        self._press_pos = None
        mime = QMimeData()
        mime.setData(CAMERA_MIME, self.camera_id.encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.MoveAction)

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated.emit(self.index)
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802, ANN001
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802, ANN001
        data = event.mimeData()
        if data.hasFormat(CAMERA_MIME):
            camera_id = bytes(data.data(CAMERA_MIME).data()).decode()
            event.acceptProposedAction()
            self.camera_dropped.emit(self.index, camera_id)


def _age_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return translate("CameraTile", "{n} s").format(n=f"{seconds:.0f}")
    if seconds < 5400:
        return translate("CameraTile", "{n} min").format(n=f"{seconds / 60:.0f}")
    return translate("CameraTile", "{n} h").format(n=number(seconds / 3600, 1))
