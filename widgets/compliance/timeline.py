"""Compliance timeline: per series a compliance line (left axis, %) and visitor bars (right axis), offline
buckets shaded, a target line; series overlaid in one plot or stacked in linked plots.

X is UTC epoch seconds; the axis shows the wall time of the site's zone. Updates go through ``setData``
on the existing curves (``set_series`` with the same keys), never a clear-and-replot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.reports.basis import compliance_text
from app.store.buckets import DAY, station_zone
from app.store.compliance_query import ComplianceSeries
from widgets.i18n import local_strftime, translate
from widgets.i18n import number as _n
from widgets.paint import colours

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
TARGET_COLOUR = "#e8a200"
# The dark control-room theme: the plot on the theme's base colour, light axes, offline buckets a lighter
# grey band (on the dark ground a shade reads lighter, not darker).
BACKGROUND = colours.BASE
FOREGROUND = colours.MUTED_TEXT  # axes, tick labels, titles
OFFLINE_BRUSH = (139, 148, 158, 50)
CURSOR_PEN = (230, 237, 243, 130)
LEGEND_BRUSH = (22, 28, 36, 230)
Y_MAX = 105.0


class ZoneDateAxis(pg.DateAxisItem):
    """DateAxisItem whose ticks and labels follow ``zone`` (DST-aware), not the computer's zone."""

    def __init__(self, zone: tzinfo, **kwargs: object) -> None:
        super().__init__(orientation="bottom", **kwargs)
        self.zone = zone

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802 (Qt naming)
        mid = (minVal + maxVal) / 2.0
        if math.isfinite(mid) and 0 < mid < 32_503_680_000:
            off = datetime.fromtimestamp(mid, self.zone).utcoffset()
            self.utcOffset = -int(off.total_seconds()) if off is not None else 0
        return super().tickValues(minVal, maxVal, size)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        fmt = spec.format if spec is not None else "%H:%M"
        fmt = "%a %d" if fmt == "%d" else fmt  # day ticks: "Sat 28"
        out = []
        for v in values:
            try:
                out.append(local_strftime(fmt, datetime.fromtimestamp(v, self.zone)))
            except (OverflowError, ValueError, OSError):
                out.append("")
        return out


@dataclass(slots=True, eq=False)
class _Curves:
    """The items of one series on one panel (kept, and updated with setData)."""

    series: ComplianceSeries
    line: pg.PlotDataItem
    bars: pg.PlotDataItem
    offline: pg.PlotDataItem
    panel: int


class _Panel:
    """One PlotItem with a second ViewBox for visitors on the right axis."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, zone: tzinfo, title: str) -> None:
        self.axis = ZoneDateAxis(zone)
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=0, axisItems={"bottom": self.axis})
        p = self.plot
        p.setTitle(title, size="9pt", color=FOREGROUND)
        p.showGrid(x=True, y=True, alpha=0.15)
        p.setLabel("left", translate("TimelinePlot", "compliance"), units="%", color=FOREGROUND)
        p.setYRange(0, Y_MAX, padding=0)
        p.setLimits(yMin=-5, yMax=Y_MAX + 5)
        p.setMouseEnabled(x=True, y=False)
        p.showAxis("right")
        p.getAxis("right").setLabel(translate("TimelinePlot", "visitors"), color=FOREGROUND)
        for name in ("left", "bottom", "right"):
            p.getAxis(name).setPen(FOREGROUND)
            p.getAxis(name).setTextPen(FOREGROUND)
        self.visitors = pg.ViewBox()
        self.visitors.setMouseEnabled(x=False, y=False)
        p.scene().addItem(self.visitors)
        p.getAxis("right").linkToView(self.visitors)
        self.visitors.setXLink(p)
        self.visitors.disableAutoRange()
        self.visitors.setZValue(-10)
        p.vb.sigResized.connect(self._sync)
        self.target = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(TARGET_COLOUR, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        self.target.setZValue(5)
        p.addItem(self.target, ignoreBounds=True)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(CURSOR_PEN, width=1))
        self.cursor.setVisible(False)
        p.addItem(self.cursor, ignoreBounds=True)
        self._sync()

    def vb_disconnect(self) -> None:
        self.plot.vb.sigResized.disconnect(self._sync)

    def _sync(self) -> None:
        self.visitors.setGeometry(self.plot.vb.sceneBoundingRect())
        self.visitors.linkedViewChanged(self.plot.vb, self.visitors.XAxis)


class TimelinePlot(QWidget):
    """Compliance lines, visitor bars, offline shading and a target line for several series."""

    point_clicked = Signal(str, float, float)  # series key, bucket start, bucket end (UTC s)
    point_double_clicked = Signal(str)  # series key
    view_changed = Signal(float, float)  # visible x range after a zoom or pan (debounced)

    def __init__(self, parent: QWidget | None = None, zone: tzinfo | None = None) -> None:
        super().__init__(parent)
        self.zone = zone or station_zone()
        self.mode = "overlay"
        self._target: float | None = 95.0
        self._curves: dict[str, _Curves] = {}
        self._panels: list[_Panel] = []
        self._keys: tuple[str, ...] = ()
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.hover_label = QLabel(" ")
        self.hover_label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.hover_label)
        self._ignore_range = False
        self._range_timer = QTimer(self, singleShot=True, interval=400)
        self._range_timer.timeout.connect(self._emit_view)
        scene = self.graphics.scene()
        scene.sigMouseMoved.connect(self._on_scene_mouse_moved)
        scene.sigMouseClicked.connect(self._on_scene_mouse_clicked)

    # ----- configuration ---------------------------------------------------------------------------
    def set_zone(self, zone: tzinfo) -> None:
        self.zone = zone
        for panel in self._panels:
            panel.axis.zone = zone
            panel.axis.picture = None
            panel.axis.update()

    def set_target(self, percent: float | None) -> None:
        self._target = percent
        for panel in self._panels:
            panel.target.setVisible(percent is not None)
            if percent is not None:
                panel.target.setValue(percent)

    def set_mode(self, mode: str) -> None:
        if mode not in ("overlay", "stacked"):
            raise ValueError(f"unknown timeline mode {mode!r}")
        if mode != self.mode:
            self.mode = mode
            series = [c.series for c in self._curves.values()]
            self._keys = ()
            self.set_series(series)

    def shows(self, start: float, end: float) -> bool:
        """True when the view is (about) the whole range [start, end]."""
        if not self._panels:
            return True
        lo, hi = self._panels[0].plot.vb.viewRange()[0]
        slack = 0.05 * (end - start)
        return lo <= start + slack and hi >= end - slack

    def series(self) -> list[ComplianceSeries]:
        return [c.series for c in self._curves.values()]

    def panels(self) -> list[pg.PlotItem]:
        return [p.plot for p in self._panels]

    # ----- data --------------------------------------------------------------------------------------
    def set_series(self, series: list[ComplianceSeries], x_range: tuple[float, float] | None = None) -> None:
        """Show ``series``; with the same keys as before only the curve data changes (setData)."""
        keys = tuple(s.key for s in series)
        if keys != self._keys:
            self._build(series)
            self._keys = keys
        for s in series:
            self._update(self._curves[s.key], s)
        for i, panel in enumerate(self._panels):
            # visitors' zero on the compliance axis' zero: both ranges start at 0 with no padding
            top = max(
                (
                    float(c.series.people.max())
                    for c in self._curves.values()
                    if c.panel == i and len(c.series)
                ),
                default=0.0,
            )
            panel.visitors.setYRange(0, max(1.0, top) * Y_MAX / 100.0 * 1.25, padding=0)
        if x_range is not None:
            self._ignore_range = True
            for panel in self._panels:
                panel.plot.setXRange(*x_range, padding=0.01)
            self._ignore_range = False

    def _build(self, series: list[ComplianceSeries]) -> None:
        for panel in self._panels:  # the visitors boxes live in the scene, outside the layout
            panel.vb_disconnect()
            self.graphics.scene().removeItem(panel.visitors)
        self.graphics.clear()
        self._panels, self._curves = [], {}
        n_panels = 1 if self.mode == "overlay" else max(1, len(series))
        for i in range(n_panels):
            title = "" if self.mode == "overlay" or not series else series[i].label
            panel = _Panel(self.graphics.ci, i, self.zone, title)
            if i:
                panel.plot.setXLink(self._panels[0].plot)
            panel.plot.sigXRangeChanged.connect(self._on_plot_x_range_changed)
            self._panels.append(panel)
        if self.mode == "overlay" and len(series) > 1:
            self._panels[0].plot.addLegend(offset=(10, 5), brush=LEGEND_BRUSH, labelTextColor=FOREGROUND)
        for i, s in enumerate(series):
            idx = 0 if self.mode == "overlay" else i
            self._curves[s.key] = self._make_curves(self._panels[idx], idx, i, s)
        self.set_target(self._target)

    def _make_curves(self, panel: _Panel, idx: int, i: int, s: ComplianceSeries) -> _Curves:
        colour = QColor(PALETTE[i % len(PALETTE)])
        bar = QColor(colour)
        bar.setAlpha(110)  # visible on the dark ground
        offline = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=OFFLINE_BRUSH, pen=None)
        offline.setZValue(-20)
        panel.plot.addItem(offline)
        line = pg.PlotDataItem(pen=pg.mkPen(colour, width=2), name=s.label, connect="finite")
        line.setClipToView(True)
        line.setDownsampling(auto=True, method="peak")
        line.setZValue(10)
        panel.plot.addItem(line)
        bars = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=bar, pen=pg.mkPen(bar, width=1))
        panel.visitors.addItem(bars)
        return _Curves(s, line, bars, offline, idx)

    def _update(self, c: _Curves, s: ComplianceSeries) -> None:
        c.series = s
        if len(s) == 0:
            for item in (c.line, c.bars, c.offline):
                item.setData([], [])
            return
        mids = (s.edges[:-1] + s.edges[1:]) / 2.0
        c.line.setData(mids, s.compliance, connect="finite")
        c.bars.setData(s.edges, s.people, stepMode="center", fillLevel=0)
        c.offline.setData(s.edges, np.where(s.offline, Y_MAX, 0.0), stepMode="center", fillLevel=0)

    # ----- hover and click --------------------------------------------------------------------------
    def _locate(self, scene_pos: QPointF) -> tuple[_Panel, float, float] | None:
        for panel in self._panels:
            vb = panel.plot.vb
            if vb.sceneBoundingRect().contains(scene_pos):
                pt = vb.mapSceneToView(scene_pos)
                return panel, pt.x(), pt.y()
        return None

    def _at(self, panel: _Panel, x: float, y: float | None = None) -> tuple[_Curves, int] | None:
        """The series (nearest compliance value to ``y`` in overlay mode) and bucket index at ``x``."""
        idx = self._panels.index(panel)
        best: tuple[float, _Curves, int] | None = None
        for c in self._curves.values():
            if c.panel != idx or len(c.series) == 0:
                continue
            i = int(np.searchsorted(c.series.edges, x, side="right")) - 1
            if not 0 <= i < len(c.series):
                continue
            v = c.series.compliance[i]
            dist = abs(v - y) if (y is not None and math.isfinite(v)) else 1e9
            if best is None or dist < best[0]:
                best = (dist, c, i)
        return None if best is None else (best[1], best[2])

    def describe(self, series: ComplianceSeries, i: int) -> str:
        """The exact figures of bucket ``i`` in one line."""
        start, end = float(series.edges[i]), float(series.edges[i + 1])
        a, b = datetime.fromtimestamp(start, self.zone), datetime.fromtimestamp(end, self.zone)
        when = (
            local_strftime("%a %Y-%m-%d", a) if series.bucket_min >= DAY else local_strftime("%a %Y-%m-%d %H:%M", a) + f"–{b:%H:%M %Z}"
        )
        row = series.counts[i]
        people, masked, unmasked, incorrect, uncertain, unknown, live = (float(v) for v in row)
        if series.offline[i]:
            return self.tr("{label} · {when}: offline (no camera live)").format(label=series.label, when=when)
        decided = masked + unmasked + incorrect
        return (
            self.tr("{label} · {when}: {compliance} · {masked} masked, {unmasked} unmasked, {incorrect} incorrect · "
                    "undecided {undecided} (uncertain {uncertain}, no verdict {unknown}) · live {live} camera-min")
            .format(label=series.label, when=when, compliance=compliance_text(masked, decided, people, 1, translate),
                    masked=_n(masked), unmasked=_n(unmasked), incorrect=_n(incorrect), undecided=_n(people - decided),
                    uncertain=_n(uncertain), unknown=_n(unknown), live=_n(live / 60.0))
        )

    def hover_at(self, x: float, panel_index: int = 0, y: float | None = None) -> str:
        """Show the figures at ``x`` (as the mouse does); returns the text."""
        if not 0 <= panel_index < len(self._panels):
            return ""
        panel = self._panels[panel_index]
        found = self._at(panel, x, y)
        for p in self._panels:
            p.cursor.setVisible(found is not None)
            p.cursor.setValue(x)
        text = self.describe(found[0].series, found[1]) if found else " "
        self.hover_label.setText(text)
        return text

    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        hit = self._locate(pos)
        if hit is not None:
            self.hover_at(hit[1], self._panels.index(hit[0]), hit[2])

    def _on_scene_mouse_clicked(self, ev: object) -> None:
        button = ev.button()  # type: ignore[attr-defined]
        if button != pg.QtCore.Qt.MouseButton.LeftButton:
            return
        hit = self._locate(ev.scenePos())  # type: ignore[attr-defined]
        if hit is None:
            return
        found = self._at(hit[0], hit[1], hit[2])
        if found is None:
            return
        c, i = found
        if ev.double():  # type: ignore[attr-defined]
            self.point_double_clicked.emit(c.series.key)
        else:
            self.point_clicked.emit(c.series.key, float(c.series.edges[i]), float(c.series.edges[i + 1]))

    def click_at(self, x: float, panel_index: int = 0, y: float | None = None) -> None:
        """Emit ``point_clicked`` for the bucket at ``x`` (what a mouse click does)."""
        found = self._at(self._panels[panel_index], x, y) if self._panels else None
        if found is not None:
            c, i = found
            self.point_clicked.emit(c.series.key, float(c.series.edges[i]), float(c.series.edges[i + 1]))

    # ----- zoom and pan -----------------------------------------------------------------------------
    def _on_plot_x_range_changed(self, *_: object) -> None:
        if not self._ignore_range:
            self._range_timer.start()

    def _emit_view(self) -> None:
        if self._panels:
            lo, hi = self._panels[0].plot.vb.viewRange()[0]
            self.view_changed.emit(float(lo), float(hi))
