"""PlaybackTile: one camera's recorded frame, the stored face boxes of that moment and an info bar that says
this is a recording (and of when). Pulls the newest decoded frame on the view's timer; paints only."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.domain import MaskState
from app.playback.analysed import MomentAnalyser
from app.playback.decoder import DecodedFrame
from app.playback.lookup import EventMark
from app.playback.overlays import OverlaySource, analysis_applies, boxes_at, overlay_source
from app.playback.source import PlaybackSource, SourceState
from widgets.paint.overlay import VERDICT_COLOURS, OverlayOptions, draw_faces, fit_rect

KIND_STATE = {
    "no_mask": MaskState.NO_MASK,
    "incorrect_mask": MaskState.INCORRECT,
    "watchlist_match": MaskState.UNCERTAIN,
}
INFO_H = 26


class PlaybackTile(QWidget):
    """Shows ``source``'s newest frame; ``refresh()`` on every display tick."""

    def __init__(self, source: PlaybackSource, name: str, analyser: MomentAnalyser | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.analyser = analyser
        self.setObjectName("PlaybackTile")
        self.source = source
        self.name = name
        self.options = OverlayOptions()
        self.events: Sequence[EventMark] = []
        self.events_span: tuple[float, float] | None = None  # the range ``events`` covers (None: not loaded)
        self.speed_text = ""
        self.shown: DecodedFrame | None = None
        self._array: np.ndarray | None = None  # the QImage below borrows this buffer: keep them together
        self._image: QImage | None = None
        self._version = -1
        self._state = SourceState.NO_RECORDING
        self._asked = 0.0
        self.overlay = OverlaySource.NONE  # where the boxes on the shown frame come from
        self._analysed_key: tuple[float, bool, str] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 110)

    def refresh(self) -> None:
        version = self.source.frames.version
        status = self.source.status
        changed = status.state is not self._state or (
            status.state is not SourceState.PLAYING and status.asked != self._asked
        )
        self._state, self._asked = status.state, status.asked
        if version != self._version:
            self._version = version
            frame = self.source.frames.peek()
            if frame is not None:
                arr = np.ascontiguousarray(frame.image)
                h, w = arr.shape[:2]
                self._array, self.shown = arr, frame
                self._image = QImage(arr.data, w, h, int(arr.strides[0]), QImage.Format.Format_BGR888)
                changed = True
        before = self.overlay
        changed = self._update_overlay() or changed or self.overlay is not before
        if changed:
            self.update()

    def _update_overlay(self) -> bool:
        """Pick the overlay source of the shown frame; ask for its analysis where the store has no boxes.
        True when what is drawn changed."""
        frame = self.shown
        if frame is None or not self.options.boxes or self._state is not SourceState.PLAYING:
            self.overlay = OverlaySource.NONE
            return False
        span = self.events_span
        if span is None or not span[0] <= frame.at < span[1]:
            self.overlay = OverlaySource.NONE  # the stored events of this moment are still on their way
            return False
        stored = boxes_at(self.events, self.source.camera_id, frame.at)
        self.overlay = overlay_source(stored, self.analyser is not None)
        if self.overlay is not OverlaySource.ANALYSED or self.analyser is None:
            return False
        self.analyser.request(frame)  # a no-op when this frame is analysed already
        moment = self.analyser.latest(self.source.camera_id)
        key = (moment.at if moment else 0.0, analysis_applies(moment, frame), self.analyser.error)
        if key != self._analysed_key:
            self._analysed_key = key
            return True
        return False

    def overlay_text(self) -> str:
        """The overlay source as the tile shows it."""
        if self.overlay is OverlaySource.STORED:
            return self.tr("overlay: stored")
        if self.overlay is OverlaySource.ANALYSED and self.analyser is not None:
            moment = self.analyser.latest(self.source.camera_id)
            if analysis_applies(moment, self.shown):
                assert moment is not None and moment.result is not None
                if not moment.result.faces:
                    return self.tr("overlay: analysed now, no face found")
                return self.tr("overlay: analysed now")
            if self.analyser.error:
                return self.tr("overlay: analysis unavailable ({why})").format(why=self.analyser.error)
            return self.tr("overlay: analysing…")
        return ""

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(5, 7, 10))
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        playing = self._state is SourceState.PLAYING and self._image is not None
        if playing and self._image is not None and self.shown is not None:
            target = fit_rect(self._image.width(), self._image.height(), area)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(target, self._image)
            if self.options.boxes:
                if self.overlay is OverlaySource.STORED:
                    self._paint_boxes(p, target)
                elif self.overlay is OverlaySource.ANALYSED:
                    self._paint_analysed(p, target)
                self._paint_source(p, target)
        else:
            p.setPen(QColor(157, 167, 179))
            font = QFont(self.font())
            font.setPixelSize(16)
            p.setFont(font)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message())
        if self.options.info:
            self._paint_info(p)
        p.setPen(QPen(QColor(48, 54, 61), 1))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()

    def message(self) -> str:
        """The one line shown instead of a picture: a gap, a damaged segment, a file that cannot be read."""
        status = self.source.status
        if self._state is SourceState.NO_RECORDING:
            when = time.strftime("%H:%M:%S", time.localtime(self._asked)) if self._asked else ""
            return self.tr("No recording at {when}").format(when=when)
        if self._state is SourceState.DAMAGED:
            when = time.strftime("%H:%M:%S", time.localtime(status.segment_start))
            return self.tr("Recording damaged at {when} ({why}); playback goes on with the next one").format(
                when=when, why=status.message
            )
        return self.tr("Cannot play this recording: {why}").format(why=status.message)

    def _paint_analysed(self, p: QPainter, target: QRectF) -> None:
        moment = self.analyser.latest(self.source.camera_id) if self.analyser is not None else None
        if moment is not None and moment.result is not None and analysis_applies(moment, self.shown):
            draw_faces(p, moment.result, target, self.options)

    def _paint_source(self, p: QPainter, target: QRectF) -> None:
        text = self.overlay_text()
        if not text:
            return
        font = QFont(self.font())
        font.setPixelSize(12)
        p.setFont(font)
        w = min(target.width() - 8, p.fontMetrics().horizontalAdvance(text) + 12)
        box = QRectF(target.left() + 4, target.bottom() - 24, w, 20)
        stored = self.overlay is OverlaySource.STORED
        p.fillRect(box, QColor(31, 111, 235, 200) if stored else QColor(110, 64, 170, 200))
        p.setPen(QColor(255, 255, 255))
        p.drawText(
            box,
            Qt.AlignmentFlag.AlignCenter,
            p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(w) - 8),
        )

    def _paint_boxes(self, p: QPainter, target: QRectF) -> None:
        frame = self.shown
        assert frame is not None and self._image is not None
        for e in boxes_at(self.events, self.source.camera_id, frame.at):
            assert e.box is not None
            fw, fh = e.frame_size or (self._image.width(), self._image.height())
            if fw <= 0 or fh <= 0:
                continue
            sx, sy = target.width() / fw, target.height() / fh
            rect = QRectF(target.left() + e.box.x1 * sx, target.top() + e.box.y1 * sy,
                          (e.box.x2 - e.box.x1) * sx, (e.box.y2 - e.box.y1) * sy)  # fmt: skip
            colour = VERDICT_COLOURS.get(KIND_STATE.get(e.kind, MaskState.UNKNOWN), QColor(200, 200, 200))
            if e.kind == "watchlist_match":
                colour = QColor(230, 60, 255)
            p.setPen(QPen(colour, 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            if self.options.labels:
                label = {"no_mask": self.tr("NO MASK"), "incorrect_mask": self.tr("incorrect"),
                         "watchlist_match": self.tr("watchlist")}.get(e.kind, e.kind)  # fmt: skip
                text = f"{label} #{e.id}" + (f" {e.label}" if e.label else "")
                font = QFont(self.font())
                font.setPixelSize(13)
                font.setBold(True)
                p.setFont(font)
                w = p.fontMetrics().horizontalAdvance(text) + 10
                box = QRectF(rect.left(), max(0.0, rect.top() - 20), w, 19)
                p.fillRect(box, colour)
                p.setPen(QColor(0, 0, 0))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_info(self, p: QPainter) -> None:
        bar = QRectF(0, 0, self.width(), INFO_H)
        p.fillRect(bar, QColor(0, 0, 0, 170))
        font = QFont(self.font())
        font.setPixelSize(13)
        font.setBold(True)
        p.setFont(font)
        tag = QRectF(4, 4, 84, INFO_H - 8)
        p.fillRect(tag, QColor(176, 48, 48))
        p.setPen(QColor(255, 255, 255))
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, self.tr("PLAYBACK"))
        p.drawText(
            bar.adjusted(96, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.name
        )
        if self.shown is not None and self._state is SourceState.PLAYING:
            ms = int((self.shown.at % 1) * 1000)
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.shown.at)) + f".{ms:03d}"
            p.drawText(bar.adjusted(0, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       f"{self.speed_text}  {when}")  # fmt: skip
