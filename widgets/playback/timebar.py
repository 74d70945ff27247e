"""TimeBar: recording coverage per camera (gaps visible), event marks by kind, bookmarks and evidence locks,
in/out marks and the playback cursor, over a time axis that zooms from a week to seconds.

Press and drag to scrub (``scrubbed`` while moving, ``seek_requested`` on release), wheel to zoom around the
mouse, Shift+wheel or drag the axis to pan, double-click an event mark to jump to it. Times are UTC epoch
seconds; labels are local time. Painting only: the view hands it the data (``set_data``)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.playback.lookup import EventMark
from app.playback.query import TimelineData
from widgets.i18n import local_strftime

AXIS_H = 24
ROW_H = 18
ROW_GAP = 4
NAME_W = 110
MARK_ROW_H = 14
MIN_SPAN_S = 10.0
MAX_SPAN_S = 7 * 86400.0
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)

KIND_COLOURS = {
    "no_mask": QColor(255, 40, 40),
    "incorrect_mask": QColor(255, 159, 10),
    "watchlist_match": QColor(230, 60, 255),
    "camera_offline": QColor(140, 150, 170),
    "camera_online": QColor(48, 160, 88),
}
COVERED = QColor(31, 111, 235)
GAP = QColor(60, 24, 28)
BOOKMARK = QColor(88, 166, 255)
LOCK = QColor(227, 179, 65)
MARK_IN_OUT = QColor(63, 185, 80)
CURSOR = QColor(255, 255, 255)


TimeBarData = TimelineData  # what the bar draws, per visible range (made by app/playback/query.py)


class TimeBar(QWidget):
    """``scrubbed(t)`` while dragging, ``seek_requested(t)`` on a click or at the end of a drag,
    ``event_activated(EventMark)`` on a double-click on an event, ``view_changed(start, end)`` after zoom/pan."""

    scrubbed = Signal(float)
    seek_requested = Signal(float)
    event_activated = Signal(object)
    view_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PlaybackTimeBar")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.cameras: list[tuple[str, str]] = []
        self.data = TimeBarData()
        self.position = time.time()
        self.start = self.position - 1800.0
        self.span = 3600.0
        self.mark_in: float | None = None
        self.mark_out: float | None = None
        self._drag: str | None = None  # "scrub" | "pan"
        self._drag_origin = (0.0, 0.0)
        self._hover_x: float | None = None
        self._update_height()

    # -- model --------------------------------------------------------------------------------------
    def set_cameras(self, cameras: Sequence[tuple[str, str]]) -> None:
        self.cameras = list(cameras)
        self._update_height()
        self.update()

    def set_data(self, data: TimeBarData) -> None:
        self.data = data
        self.update()

    def set_position(self, t: float, follow: bool = True, reveal: bool = False) -> None:
        """Move the cursor; with ``follow``, the view pages on when playing carries the cursor off its edge
        (a view the user panned or zoomed away from the cursor stays where it is); with ``reveal`` (a seek
        or jump) the view always pages to the cursor."""
        end = self.start + self.span
        was_in = self.start <= self.position <= end
        self.position = t
        if follow and self._drag is None and (was_in or reveal) and not (self.start <= t <= end):
            self.set_view(t - self.span * 0.25, self.span)
        self.update()

    def set_marks(self, mark_in: float | None, mark_out: float | None) -> None:
        self.mark_in, self.mark_out = mark_in, mark_out
        self.update()

    def set_view(self, start: float, span: float) -> None:
        self.span = min(max(span, MIN_SPAN_S), MAX_SPAN_S)
        self.start = start
        self.update()
        self.view_changed.emit(self.start, self.start + self.span)

    def centre_on(self, t: float, span: float | None = None) -> None:
        s = self.span if span is None else span
        self.set_view(t - s / 2, s)

    def zoom(self, factor: float, around: float | None = None) -> None:
        """``factor`` < 1 zooms in; ``around`` stays where it is on screen."""
        at = self.position if around is None else around
        new_span = min(max(self.span * factor, MIN_SPAN_S), MAX_SPAN_S)
        frac = (at - self.start) / self.span if self.span else 0.5
        self.set_view(at - frac * new_span, new_span)

    def visible(self) -> tuple[float, float]:
        return self.start, self.start + self.span

    # -- geometry -----------------------------------------------------------------------------------
    def _update_height(self) -> None:
        rows = max(1, len(self.cameras))
        self.setFixedHeight(AXIS_H + MARK_ROW_H + rows * (ROW_H + ROW_GAP) + 6)

    def _track(self) -> QRectF:
        return QRectF(NAME_W, 0, max(1.0, self.width() - NAME_W - 8), self.height())

    def x_of(self, t: float) -> float:
        r = self._track()
        return r.left() + (t - self.start) / self.span * r.width()

    def t_of(self, x: float) -> float:
        r = self._track()
        return self.start + (x - r.left()) / r.width() * self.span

    def row_rect(self, index: int) -> QRectF:
        r = self._track()
        y = AXIS_H + MARK_ROW_H + index * (ROW_H + ROW_GAP)
        return QRectF(r.left(), y, r.width(), ROW_H)

    # -- painting -----------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self.rect(), QColor(11, 15, 20))
        track = self._track()
        end = self.start + self.span
        self._paint_axis(p, track)
        small = QFont(self.font())
        small.setPixelSize(12)
        p.setFont(small)
        for i, (cid, name) in enumerate(self.cameras):
            row = self.row_rect(i)
            p.setPen(QColor(157, 167, 179))
            p.drawText(QRectF(6, row.top(), NAME_W - 10, ROW_H), Qt.AlignmentFlag.AlignVCenter, name)
            p.fillRect(row, GAP)  # what is not covered below stays a gap
            left, right, scale = row.left(), row.right(), track.width() / self.span
            top = row.top() + 2
            for r in self.data.coverage.get(cid, []):
                if r.end < self.start or r.start > end:
                    continue  # loaded for panning, off screen now
                x1 = max(left, left + (r.start - self.start) * scale)
                x2 = min(right, left + (r.end - self.start) * scale)
                if x2 > x1:
                    p.fillRect(QRectF(x1, top, max(1.0, x2 - x1), ROW_H - 4), COVERED)
        # in/out selection
        if self.mark_in is not None or self.mark_out is not None:
            a = self.mark_in if self.mark_in is not None else self.start
            b = self.mark_out if self.mark_out is not None else end
            x1, x2 = self.x_of(min(a, b)), self.x_of(max(a, b))
            shade = QColor(MARK_IN_OUT)
            shade.setAlpha(45)
            p.fillRect(QRectF(x1, AXIS_H, x2 - x1, self.height() - AXIS_H), shade)
            p.setPen(QPen(MARK_IN_OUT, 2))
            for t, sign in ((self.mark_in, 1), (self.mark_out, -1)):
                if t is not None:
                    x = self.x_of(t)
                    p.drawLine(QPointF(x, AXIS_H), QPointF(x, self.height()))
                    p.drawLine(QPointF(x, AXIS_H), QPointF(x + 6 * sign, AXIS_H))
                    p.drawLine(QPointF(x, self.height() - 1), QPointF(x + 6 * sign, self.height() - 1))
        self._paint_bookmarks(p)
        self._paint_events(p)
        # cursor
        if self.start <= self.position <= end:
            x = self.x_of(self.position)
            p.setPen(QPen(CURSOR, 2))
            p.drawLine(QPointF(x, 2), QPointF(x, self.height()))
        if self._drag == "scrub" or self._hover_x is not None:
            self._paint_bubble(p)
        p.end()

    def _paint_axis(self, p: QPainter, track: QRectF) -> None:
        p.fillRect(QRectF(0, 0, self.width(), AXIS_H), QColor(22, 27, 34))
        step = next((s for s in TICK_STEPS if track.width() / self.span * s >= 90), TICK_STEPS[-1])
        first = math.ceil(self._local(self.start) / step) * step - self._offset()
        font = QFont(self.font())
        font.setPixelSize(12)
        p.setFont(font)
        fmt = "%H:%M:%S" if step < 60 else "%H:%M"
        t = first
        while t <= self.start + self.span:
            x = self.x_of(t)
            lt = time.localtime(t)
            major = lt.tm_hour == 0 and lt.tm_min == 0 and lt.tm_sec == 0
            p.setPen(QColor(110, 118, 129))
            p.drawLine(QPointF(x, AXIS_H - 6), QPointF(x, AXIS_H))
            p.setPen(QPen(QColor(48, 54, 61), 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(x, AXIS_H), QPointF(x, self.height()))
            p.setPen(QColor(230, 237, 243) if major else QColor(157, 167, 179))
            label = local_strftime("%a %d %b" if major and step >= 3600 else fmt, lt)
            p.drawText(QRectF(x + 3, 2, 120, AXIS_H - 6), Qt.AlignmentFlag.AlignVCenter, label)
            t += step
        p.setPen(QColor(157, 167, 179))
        day = local_strftime("%d %b %Y", time.localtime(self.start + self.span / 2))
        p.drawText(QRectF(6, 2, NAME_W - 10, AXIS_H - 4), Qt.AlignmentFlag.AlignVCenter, day)

    def _paint_events(self, p: QPainter) -> None:
        """One tick per camera row and screen pixel (the newest event of that pixel gives its colour): a
        3-day view holds thousands of events, and drawing each one cost ~70 ms a paint on the GUI thread."""
        tops = {cid: self.row_rect(i).top() for i, (cid, _n) in enumerate(self.cameras)}
        end = self.start + self.span
        track = self._track()
        left, scale = track.left(), track.width() / self.span
        ticks: dict[tuple[float, int], str] = {}
        for e in self.data.events:
            top = tops.get(e.camera_id)
            if top is None or not self.start <= e.at <= end:
                continue
            ticks[(top, round(left + (e.at - self.start) * scale))] = e.kind
        other = QColor(200, 200, 200)
        for (top, x), kind in ticks.items():
            colour = KIND_COLOURS.get(kind, other)
            p.fillRect(QRectF(x - 1.5, top, 3, ROW_H), colour)
            p.fillRect(QRectF(x - 3, top - 3, 6, 3), colour)

    def _paint_bookmarks(self, p: QPainter) -> None:
        rows = {cid: i for i, (cid, _n) in enumerate(self.cameras)}
        now = time.time()
        for b in self.data.bookmarks:
            if b.camera_id not in rows:
                continue
            colour = LOCK if b.lock_active(now) else BOOKMARK
            x1, x2 = self.x_of(b.start), self.x_of(b.end)
            if x2 < 0 or x1 > self.width():
                continue
            row = self.row_rect(rows[b.camera_id])
            if b.is_range:
                band = QColor(colour)
                band.setAlpha(70)
                p.fillRect(QRectF(x1, row.top(), max(2.0, x2 - x1), ROW_H), band)
                p.fillRect(QRectF(x1, row.bottom() - 3, max(2.0, x2 - x1), 3), colour)
            p.setPen(QPen(colour, 2))  # a flag on the camera's own row
            p.drawLine(QPointF(x1, row.top() - 4), QPointF(x1, row.bottom()))
            p.fillRect(QRectF(x1, row.top() - 4, 8, 6), colour)

    def _paint_bubble(self, p: QPainter) -> None:
        t = self.position if self._drag == "scrub" else self.t_of(self._hover_x or 0.0)
        x = self.x_of(t)
        text = local_strftime("%d %b %H:%M:%S", time.localtime(t))
        font = QFont(self.font())
        font.setPixelSize(12)
        font.setBold(True)
        p.setFont(font)
        w = 130
        left = min(max(x - w / 2, NAME_W), self.width() - w - 2)
        box = QRectF(left, 2, w, AXIS_H - 4)
        p.fillRect(box, QColor(31, 111, 235) if self._drag == "scrub" else QColor(48, 54, 61))
        p.setPen(QColor(255, 255, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _offset(self) -> int:
        return int(time.localtime(self.start).tm_gmtoff)

    def _local(self, t: float) -> float:
        return t + self._offset()

    # -- input --------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        x = event.position().x()
        if event.button() == Qt.MouseButton.LeftButton and x >= NAME_W:
            if event.position().y() < AXIS_H:
                self._drag = "pan"
                self._drag_origin = (x, self.start)
            else:
                self._drag = "scrub"
                self.position = self.t_of(x)
                self.scrubbed.emit(self.position)
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        x = event.position().x()
        if self._drag == "scrub":
            self.position = self.t_of(min(max(x, NAME_W), self.width() - 8))
            self.scrubbed.emit(self.position)
        elif self._drag == "pan":
            ox, ostart = self._drag_origin
            self.set_view(ostart - (x - ox) / self._track().width() * self.span, self.span)
        else:
            self._hover_x = x if x >= NAME_W else None
            self.setToolTip(self._tooltip_at(event.position()))
        self.update()

    def leaveEvent(self, _event) -> None:  # noqa: N802, ANN001
        self._hover_x = None
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag == "scrub":
            self.seek_requested.emit(self.position)
        self._drag = None
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        mark = self.event_near(event.position())
        if mark is not None:
            self.event_activated.emit(mark)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.set_view(self.start - delta / 1200 * self.span, self.span)
        else:
            self.zoom(0.8 if delta > 0 else 1.25, self.t_of(event.position().x()))
        event.accept()

    def event_near(self, pos: QPointF, px: float = 5.0) -> EventMark | None:
        rows = {cid: i for i, (cid, _n) in enumerate(self.cameras)}
        best: tuple[float, EventMark] | None = None
        for e in self.data.events:
            i = rows.get(e.camera_id)
            if i is None:
                continue
            row = self.row_rect(i)
            if not row.top() - 4 <= pos.y() <= row.bottom():
                continue
            d = abs(self.x_of(e.at) - pos.x())
            if d <= px and (best is None or d < best[0]):
                best = (d, e)
        return best[1] if best else None

    def _tooltip_at(self, pos: QPointF) -> str:
        mark = self.event_near(pos)
        if mark is not None:
            when = time.strftime("%H:%M:%S", time.localtime(mark.at))
            return self.tr("{kind} at {when} (double-click: play from 10 s before)").format(
                kind=mark.kind.replace("_", " "), when=when
            )
        for b in self.data.bookmarks:
            x1, x2 = self.x_of(b.start), self.x_of(b.end)
            if abs(x1 - pos.x()) <= 5 or (b.is_range and x1 <= pos.x() <= x2):
                what = self.tr("Evidence lock") if b.lock_active() else self.tr("Bookmark")
                return f"{what} #{b.id}: {b.name}" + (f" - {b.lock_reason}" if b.lock_active() else "")
        return ""
