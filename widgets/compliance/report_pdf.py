"""PDF compliance report with Qt's own writer (QPdfWriter + QPainter; QtGui only, works offscreen and
off the GUI thread). One A4 page per site: summary figures, chart, table, worst hours."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
)

from app import paths
from app.errors import UserError
from app.i18n import QT_TRANSLATE_NOOP
from app.reports.basis import too_few
from app.reports.model import ReportRow, SiteReport, hour_rows, regroup
from app.reports.output import atomic_path
from widgets.i18n import local_strftime, number, translate

DPI = 96  # painter units are 1/96 inch: A4 is about 794 x 1123
GREEN = QColor("#1b7f3b")
AMBER = QColor("#b26a00")  # a % from too few decided people
BARS = QColor("#9cc3e6")
OFFLINE = QColor(0, 0, 0, 28)
GRID = QColor("#d0d0d0")
TEXT = QColor("#202020")
MUTED = QColor("#666666")
MAX_TABLE_ROWS = 32


def write_pdf(
    reports: Sequence[SiteReport], out: Path, progress: Callable[[float], None] | None = None
) -> int:
    """Write one page per site to ``out`` atomically; returns the page count."""
    with atomic_path(out) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setResolution(DPI)
        writer.setTitle(translate("ReportPdf", "Vigil mask compliance report"))
        writer.setCreator("Vigil")
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(15, 15, 15, 15),
            )
        )
        painter = QPainter()
        if not painter.begin(writer):
            raise UserError(f"cannot write the PDF report {out}; choose another --out")  # CLI text: English
        try:
            for i, rep in enumerate(reports):
                if i:
                    writer.newPage()
                rect = QRectF(writer.pageLayout().paintRectPixels(DPI))
                _page(painter, rect.translated(-rect.topLeft()), rep)
                if progress is not None:
                    progress((i + 1) / max(1, len(reports)))
        finally:
            painter.end()
    return len(reports)


_FAMILY: list[str] = []


def report_font_family() -> str:
    """The bundled DejaVu Sans (Latin and Cyrillic: a Russian report never shows empty boxes), loaded once;
    the system's DejaVu Sans if the bundled file is missing."""
    if not _FAMILY:
        family = "DejaVu Sans"
        for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
            fid = QFontDatabase.addApplicationFont(str(paths.resource("resources", "fonts", name)))
            families = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
            family = families[0] if families else family
        _FAMILY.append(family)
    return _FAMILY[0]


def _font(size: float, bold: bool = False) -> QFont:
    f = QFont(report_font_family())
    f.setPointSizeF(size)
    f.setBold(bold)
    return f


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{number(v, 1)} %"


def _page(p: QPainter, r: QRectF, rep: SiteReport) -> None:
    zone = rep.zone
    y = r.top()
    p.setPen(TEXT)
    p.setFont(_font(16, True))
    p.drawText(
        QRectF(r.left(), y, r.width(), 30), Qt.AlignmentFlag.AlignLeft, translate("ReportPdf", "{site} – mask compliance").format(site=rep.site.name)
    )
    y += 32
    fmt = "%Y-%m-%d %H:%M"
    span = (
        f"{datetime.fromtimestamp(rep.start, zone).strftime(fmt)} – {datetime.fromtimestamp(rep.end, zone).strftime(fmt)}"
        + translate("ReportPdf", " ({zone}) · {cameras} camera(s) · generated {when}").format(
            zone=rep.zone_name, cameras=len(rep.site.cameras), when=time.strftime("%Y-%m-%d %H:%M"))
    )
    p.setPen(MUTED)
    p.setFont(_font(8.5))
    p.drawText(QRectF(r.left(), y, r.width(), 18), Qt.AlignmentFlag.AlignLeft, span)
    y += 28
    y = _summary(p, QRectF(r.left(), y, r.width(), 52), rep) + 14
    y = _chart(p, QRectF(r.left(), y, r.width(), 250), rep) + 16
    y = _worst(p, QRectF(r.left(), y, r.width(), 120), rep) + 10
    _table(p, QRectF(r.left(), y, r.width(), r.bottom() - y), rep)


def _summary(p: QPainter, r: QRectF, rep: SiteReport) -> float:
    t = rep.totals
    boxes = [
        (translate("ReportPdf", "Compliance - too few") if too_few(t.decided) else translate("ReportPdf", "Compliance"), _pct(t.compliance)),
        (translate("ReportPdf", "People · decided"), f"{number(t.people)} · {number(t.decided)}"),
        (translate("ReportPdf", "Masked / clear verdicts"), f"{number(t.masked)} / {number(t.decided)}"),
        (translate("ReportPdf", "Uncertain · no verdict"), f"{number(t.uncertain)} · {number(t.unknown)}"),
        (translate("ReportPdf", "Camera live time"), translate("ReportPdf", "{hours} h").format(hours=number(t.live_s / 3600.0, 1))),
    ]
    w = r.width() / len(boxes)
    for i, (label, value) in enumerate(boxes):
        box = QRectF(r.left() + i * w, r.top(), w - 8, r.height())
        p.fillRect(box, QColor("#f3f6f9"))
        p.setPen(MUTED)
        p.setFont(_font(7.5))
        p.drawText(box.adjusted(8, 6, -4, 0), Qt.AlignmentFlag.AlignLeft, label)
        p.setPen((AMBER if too_few(t.decided) else GREEN) if i == 0 else TEXT)
        p.setFont(_font(13, True))
        p.drawText(box.adjusted(8, 20, -4, 0), Qt.AlignmentFlag.AlignLeft, value)
    return r.bottom()


def _chart_rows(rep: SiteReport) -> list[ReportRow]:
    if rep.end - rep.start <= 3 * 86400:
        return hour_rows(rep.hours, rep.zone)
    return regroup(rep.hours, rep.zone, "day")


def _chart(p: QPainter, r: QRectF, rep: SiteReport) -> float:
    rows = _chart_rows(rep)
    p.setFont(_font(7.5))
    plot = QRectF(r.left() + 34, r.top() + 16, r.width() - 74, r.height() - 36)
    p.setPen(TEXT)
    p.drawText(
        QRectF(r.left(), r.top(), r.width(), 14),
        Qt.AlignmentFlag.AlignLeft,
        translate("ReportPdf", "Compliance % (line, left axis) · visitors (bars, right axis) · grey: no camera live"),
    )
    if not rows:
        return r.bottom()
    t0, t1 = rows[0].start, rows[-1].end
    people = np.array([row.totals.people for row in rows], dtype=float)
    top = max(1.0, float(people.max()) * 1.1)

    def x(t: float) -> float:
        return plot.left() + (t - t0) / max(1.0, t1 - t0) * plot.width()

    p.setPen(QPen(GRID, 0.6))
    for pct in (0, 25, 50, 75, 100):
        yy = plot.bottom() - pct / 100 * plot.height()
        p.drawLine(QPointF(plot.left(), yy), QPointF(plot.right(), yy))
        p.setPen(MUTED)
        p.drawText(QRectF(r.left(), yy - 7, 30, 14), Qt.AlignmentFlag.AlignRight, f"{pct}%")
        p.setPen(QPen(GRID, 0.6))
    p.setPen(MUTED)
    for frac in (0.0, 0.5, 1.0):
        yy = plot.bottom() - frac * plot.height()
        p.drawText(
            QRectF(plot.right() + 4, yy - 7, 40, 14), Qt.AlignmentFlag.AlignLeft, number(top / 1.1 * frac)
        )
    path = QPainterPath()
    drawing = False
    for row in rows:
        x0, x1 = x(row.start), x(row.end)
        offline = row.totals.live_s <= 0 and row.totals.people <= 0
        if offline:
            p.fillRect(QRectF(x0, plot.top(), x1 - x0, plot.height()), OFFLINE)
        h = row.totals.people / top * plot.height()
        p.fillRect(QRectF(x0 + 0.15 * (x1 - x0), plot.bottom() - h, 0.7 * (x1 - x0), h), BARS)
        c = row.totals.compliance
        if c is None:
            drawing = False
            continue
        pt = QPointF((x0 + x1) / 2, plot.bottom() - c / 100 * plot.height())
        if drawing:
            path.lineTo(pt)
        else:
            path.moveTo(pt)
            drawing = True
        p.setBrush(QBrush(GREEN))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(pt, 1.4, 1.4)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(GREEN, 1.6))
    p.drawPath(path)
    _x_labels(p, plot, rows, x, rep)
    return r.bottom()


def _x_labels(
    p: QPainter, plot: QRectF, rows: list[ReportRow], x: Callable[[float], float], rep: SiteReport
) -> None:
    p.setPen(MUTED)
    n = len(rows)
    step = max(1, math.ceil(n / 8))
    fmt = (
        "%H:%M"
        if rep.end - rep.start <= 86400
        else ("%a %d %H:%M" if rep.end - rep.start <= 3 * 86400 else "%b %d")
    )
    for i in range(0, n, step):
        label = local_strftime(fmt, datetime.fromtimestamp(rows[i].start, rep.zone))
        p.drawText(
            QRectF(x(rows[i].start) - 40, plot.bottom() + 3, 80, 14), Qt.AlignmentFlag.AlignHCenter, label
        )


def _worst(p: QPainter, r: QRectF, rep: SiteReport) -> float:
    p.setPen(TEXT)
    p.setFont(_font(10, True))
    p.drawText(QRectF(r.left(), r.top(), r.width(), 18), Qt.AlignmentFlag.AlignLeft, translate("ReportPdf", "Worst hours"))
    p.setFont(_font(8))
    y = r.top() + 20
    if not rep.worst:
        p.setPen(MUTED)
        p.drawText(
            QRectF(r.left(), y, r.width(), 14),
            Qt.AlignmentFlag.AlignLeft,
            translate("ReportPdf", "No hour with at least 5 clear verdicts."),
        )
        return y + 16
    for row in rep.worst:
        t = row.totals
        when = local_strftime("%a %Y-%m-%d %H:%M %Z", datetime.fromtimestamp(row.start, rep.zone))
        text = f"{when}    {_pct(t.compliance)}    " + translate("ReportPdf", "{masked} of {decided} masked, {unmasked} unmasked, {incorrect} incorrect").format(masked=t.masked, decided=t.decided, unmasked=t.unmasked, incorrect=t.incorrect)
        p.drawText(QRectF(r.left() + 8, y, r.width(), 14), Qt.AlignmentFlag.AlignLeft, text)
        y += 15
    return y


_HEAD = (
    QT_TRANSLATE_NOOP("ReportPdf", "Period"),
    QT_TRANSLATE_NOOP("ReportPdf", "People"),
    QT_TRANSLATE_NOOP("ReportPdf", "Masked"),
    QT_TRANSLATE_NOOP("ReportPdf", "Unmasked"),
    QT_TRANSLATE_NOOP("ReportPdf", "Incorrect"),
    QT_TRANSLATE_NOOP("ReportPdf", "Uncertain"),
    QT_TRANSLATE_NOOP("ReportPdf", "No verdict"),
    QT_TRANSLATE_NOOP("ReportPdf", "Compliance"),
    QT_TRANSLATE_NOOP("ReportPdf", "Live min"),
)
_WIDTHS = (0.22, 0.09, 0.09, 0.09, 0.09, 0.09, 0.1, 0.12, 0.11)


def _table(p: QPainter, r: QRectF, rep: SiteReport) -> None:
    rows = list(rep.table)
    more = 0
    fit = max(1, min(MAX_TABLE_ROWS, int((r.height() - 20) // 13) - 1))
    if len(rows) > fit:
        more, rows = len(rows) - (fit - 1), rows[: fit - 1]
    p.setFont(_font(7.5, True))
    p.setPen(TEXT)
    _row(p, r, r.top(), tuple(translate("ReportPdf", h) for h in _HEAD))
    p.setPen(QPen(GRID, 0.6))
    p.drawLine(QPointF(r.left(), r.top() + 14), QPointF(r.right(), r.top() + 14))
    p.setFont(_font(7.5))
    y = r.top() + 17
    for i, row in enumerate(rows):
        t = row.totals
        if i % 2:
            p.fillRect(QRectF(r.left(), y - 1, r.width(), 13), QColor("#f6f6f6"))
        p.setPen(TEXT)
        label = row.label.replace("T", " ") if rep.table_unit == "hour" else row.label
        cells = (
            label,
            t.people,
            t.masked,
            t.unmasked,
            t.incorrect,
            t.uncertain,
            t.unknown,
            _pct(t.compliance),
            number(t.live_s / 60),
        )
        _row(p, r, y, tuple(str(c) for c in cells))
        y += 13
    if more:
        p.setPen(MUTED)
        p.drawText(
            QRectF(r.left(), y + 2, r.width(), 13),
            Qt.AlignmentFlag.AlignLeft,
            translate("ReportPdf", "… {more} more rows: see the CSV report").format(more=more),
        )


def _row(p: QPainter, r: QRectF, y: float, cells: tuple[str, ...]) -> None:
    xx = r.left()
    for i, (cell, w) in enumerate(zip(cells, _WIDTHS, strict=True)):
        width = w * r.width()
        align = Qt.AlignmentFlag.AlignLeft if i == 0 else Qt.AlignmentFlag.AlignRight
        p.drawText(QRectF(xx + 2, y, width - 6, 13), align | Qt.AlignmentFlag.AlignVCenter, cell)
        xx += width
