"""Vector overlays drawn over a tile's frame: face boxes by verdict, track ids, sizes, watchlist labels.

Pure painting helpers: no state, no Qt widgets. Boxes come in the analysed frame's pixel coordinates
(``FrameResult.frame_size``) and are mapped onto the rectangle where the shown frame is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from app.domain import Face, Frame, FrameResult, MaskState
from app.i18n import QT_TRANSLATE_NOOP
from widgets.i18n import translate

STALE_RESULT_S = 0.5
"""A result captured more than this before the shown frame is not drawn on it (boxes would lag)."""

VERDICT_COLOURS: dict[MaskState, QColor] = {
    MaskState.MASK: QColor(48, 209, 88),
    MaskState.NO_MASK: QColor(255, 40, 40),
    MaskState.INCORRECT: QColor(255, 159, 10),
    MaskState.UNCERTAIN: QColor(255, 214, 10),
    MaskState.UNKNOWN: QColor(160, 170, 185),
}
VERDICT_LABELS: dict[MaskState, str] = {
    MaskState.MASK: QT_TRANSLATE_NOOP("overlay", "mask"),
    MaskState.NO_MASK: QT_TRANSLATE_NOOP("overlay", "NO MASK"),
    MaskState.INCORRECT: QT_TRANSLATE_NOOP("overlay", "incorrect"),
    MaskState.UNCERTAIN: QT_TRANSLATE_NOOP("overlay", "uncertain"),
    MaskState.UNKNOWN: "",
}


NOT_COUNTED = "not counted"  # label of a face outside the counting zone


@dataclass(frozen=True, slots=True)
class OverlayOptions:
    """What the operator chose to see on the tiles."""

    boxes: bool = True
    labels: bool = True  # track id, face size, verdict and watchlist text next to each box
    info: bool = True  # camera name, site, fps and clock bar


def face_state(face: Face) -> MaskState:
    """The per-person verdict once the track has settled, else this frame's classification."""
    return face.verdict if face.verdict is not MaskState.UNKNOWN else face.mask


def result_applies(result: FrameResult | None, frame: Frame | None) -> bool:
    """Whether ``result`` may be drawn on ``frame``: same camera and not older than STALE_RESULT_S."""
    if result is None or frame is None or result.camera_id != frame.camera_id:
        return False
    return frame.captured_mono - result.captured_mono <= STALE_RESULT_S


def fit_rect(src_w: int, src_h: int, area: QRectF) -> QRectF:
    """The largest rectangle of aspect ``src_w:src_h`` centred in ``area`` (letterboxing)."""
    if src_w <= 0 or src_h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    scale = min(area.width() / src_w, area.height() / src_h)
    w, h = src_w * scale, src_h * scale
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


def draw_faces(painter: QPainter, result: FrameResult, target: QRectF, options: OverlayOptions) -> None:
    """Draw every face of ``result`` mapped from ``result.frame_size`` onto ``target``."""
    fw, fh = result.frame_size
    if not options.boxes or fw <= 0 or fh <= 0 or target.isEmpty():
        return
    sx, sy = target.width() / fw, target.height() / fh
    pen_w = max(2.0, min(4.0, target.width() / 320.0))
    font = QFont(painter.font())
    font.setPixelSize(int(max(11.0, min(18.0, target.height() / 28.0))))
    font.setBold(True)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    for face in result.faces:
        b = face.bbox
        rect = QRectF(target.x() + b.x1 * sx, target.y() + b.y1 * sy, b.width * sx, b.height * sy)
        colour = QColor(face.match.colour) if face.match is not None else VERDICT_COLOURS[face_state(face)]
        pen = QPen(colour, pen_w)
        if not face.counted:  # outside the camera's counting zone: tracked, shown, not in the %
            colour = QColor(colour.red(), colour.green(), colour.blue(), 150)
            pen = QPen(colour, max(1.0, pen_w / 2), Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        if options.labels:
            _draw_label(painter, metrics, rect, _face_text(face), colour, target)


def _face_text(face: Face) -> str:
    parts = []
    if face.track_id is not None:
        parts.append(f"#{face.track_id}")
    verdict = translate("overlay", VERDICT_LABELS[face_state(face)]) if VERDICT_LABELS[face_state(face)] else ""
    if verdict:
        parts.append(verdict)
    parts.append(f"{face.bbox.size:.0f}px")
    if not face.counted:
        parts.append(NOT_COUNTED)
    if face.match is not None:
        parts.append(face.match.watchlist_name)
    return "  ".join(parts)


def _draw_label(
    painter: QPainter, metrics: QFontMetricsF, box: QRectF, text: str, colour: QColor, frame: QRectF
) -> None:
    pad = 3.0
    w, h = metrics.horizontalAdvance(text) + 2 * pad, metrics.height() + pad
    top = box.top() - h if box.top() - h >= frame.top() else box.bottom()
    left = max(frame.left(), min(box.left(), frame.right() - w))  # keep the label inside the picture
    bg = QRectF(left, top, w, h)
    painter.fillRect(bg, QColor(0, 0, 0, 170))
    painter.setPen(colour)
    painter.drawText(QPointF(bg.left() + pad, bg.top() + metrics.ascent() + pad / 2), text)
