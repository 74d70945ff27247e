"""TimelinePlot offscreen: pixels of a known series (compliance line, target line, offline shading),
curves updated in place, hover figures, clicks, stacked panels, the zone-aware axis."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage

from app.store.buckets import MINUTE
from app.store.compliance import COUNT_COLUMNS
from app.store.compliance_query import ComplianceSeries
from widgets.compliance.timeline import PALETTE, TARGET_COLOUR, TimelinePlot, ZoneDateAxis

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=BERLIN).timestamp()
N = 60


def _series(key: str, masked: int, unmasked: int, offline: slice | None = None) -> ComplianceSeries:
    counts = np.zeros((N, len(COUNT_COLUMNS)))
    counts[:, 0] = masked + unmasked  # people
    counts[:, 1] = masked
    counts[:, 2] = unmasked
    counts[:, 6] = 60.0  # live_s
    if offline is not None:
        counts[offline] = 0.0
    edges = T0 + 60.0 * np.arange(N + 1)
    return ComplianceSeries(key, key.title(), MINUTE, edges, counts)


def _near(img: QImage, x: int, y: int, colour: str, tol: int = 40, dy: int = 2) -> bool:
    want = QColor(colour)
    for yy in range(y - dy, y + dy + 1):
        c = img.pixelColor(x, yy)
        if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) <= tol:
            return True
    return False


def _to_image_xy(plot: TimelinePlot, x: float, y: float) -> tuple[int, int]:
    vb = plot.panels()[0].vb
    scene = vb.mapViewToScene(QPointF(x, y))
    pt = plot.graphics.mapFromScene(scene)
    pt = plot.graphics.mapTo(plot, pt)
    return pt.x(), pt.y()


@pytest.fixture
def plot(qtbot):  # type: ignore[no-untyped-def]
    w = TimelinePlot(zone=BERLIN)
    qtbot.addWidget(w)
    w.resize(700, 420)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_compliance_line_target_line_and_offline_shading_are_drawn_where_they_belong(plot, qtbot) -> None:  # type: ignore[no-untyped-def]
    s = _series("north", masked=1, unmasked=1, offline=slice(40, 60))  # 50 %, dark for the last 20 minutes
    plot.set_target(95.0)
    plot.set_series([s], (T0, T0 + N * 60))
    qtbot.wait(50)
    img = plot.grab().toImage()
    x_on, y50 = _to_image_xy(plot, T0 + 15 * 60, 50.0)
    assert _near(img, x_on, y50, PALETTE[0]), "the 50 % compliance line is not at 50 %"
    _, y95 = _to_image_xy(plot, T0 + 15 * 60, 95.0)
    assert _near(img, x_on, y95, TARGET_COLOUR), "the target line is not at 95 %"
    _, y75 = _to_image_xy(plot, T0 + 15 * 60, 75.0)
    assert not _near(img, x_on, y75, PALETTE[0], dy=0)  # nothing blue half-way up
    x_off, _ = _to_image_xy(plot, T0 + 50 * 60, 50.0)
    assert not _near(img, x_off, y50, PALETTE[0]), "an offline stretch must not read as a compliance figure"
    _, y90 = _to_image_xy(plot, T0, 90.0)  # above the visitor bars
    shade = img.pixelColor(x_off, y90)
    live_bg = img.pixelColor(x_on, y90)
    assert live_bg.lightness() < 40, "the plot is not on the dark control-room ground"
    assert shade.lightness() > live_bg.lightness() + 10, "the offline stretch is not shaded"


def test_updates_reuse_the_same_curves_and_move_the_line(plot, qtbot) -> None:  # type: ignore[no-untyped-def]
    plot.set_series([_series("north", 1, 1)], (T0, T0 + N * 60))
    line = plot._curves["north"].line
    plot.set_series([_series("north", 3, 1)], (T0, T0 + N * 60))
    assert plot._curves["north"].line is line  # setData on the existing item, not a new plot
    qtbot.wait(50)
    img = plot.grab().toImage()
    x, y75 = _to_image_xy(plot, T0 + 15 * 60, 75.0)
    assert _near(img, x, y75, PALETTE[0])


def test_hover_shows_exact_figures_and_click_names_the_bucket(plot, qtbot) -> None:  # type: ignore[no-untyped-def]
    plot.set_series([_series("north", 3, 1, offline=slice(50, 60))], (T0, T0 + N * 60))
    text = plot.hover_at(T0 + 5 * 60 + 30)
    assert "10:05–10:06 CET" in text and "3 masked" in text
    # the % says what it rests on, and that 4 decided people are too few to trust it
    assert "75.0 % (4 decided of 4 people - too few)" in text and "undecided 0" in text
    assert plot.hover_label.text() == text
    assert "offline" in plot.hover_at(T0 + 55 * 60)
    with qtbot.waitSignal(plot.point_clicked) as blocker:
        plot.click_at(T0 + 7 * 60 + 10)
    assert blocker.args == ["north", T0 + 7 * 60, T0 + 8 * 60]


def test_stacked_mode_gives_each_series_its_own_linked_panel(plot) -> None:  # type: ignore[no-untyped-def]
    series = [_series("north", 1, 1), _series("south", 1, 3)]
    plot.set_series(series, (T0, T0 + N * 60))
    assert len(plot.panels()) == 1
    plot.set_mode("stacked")
    assert len(plot.panels()) == 2
    assert plot.panels()[1].vb.linkedView(0) is plot.panels()[0].vb
    assert "25.0 %" in plot.hover_at(T0 + 60, panel_index=1)


def test_axis_labels_are_in_the_site_zone_not_the_computer_zone(plot, qtbot) -> None:  # type: ignore[no-untyped-def]
    plot.set_zone(ZoneInfo("America/New_York"))
    utc_noon = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    s = _series("north", 1, 1)
    shifted = ComplianceSeries("north", "North", MINUTE, s.edges - T0 + utc_noon, s.counts)
    plot.set_series([shifted], (utc_noon - 1800, utc_noon + 1800))
    qtbot.wait(50)
    plot.grab()
    axis = plot.panels()[0].getAxis("bottom")
    assert isinstance(axis, ZoneDateAxis)
    ticks = axis.tickValues(utc_noon - 1800, utc_noon + 1800, 600)
    spacing, values = ticks[-1]
    strings = axis.tickStrings(values, 1.0, spacing)
    assert "08:00" in strings and "12:00" not in strings  # EDT (UTC-4), not UTC nor the machine's zone


def test_switching_layout_leaves_no_stale_items_in_the_scene(plot) -> None:  # type: ignore[no-untyped-def]
    plot.set_series([_series("north", 1, 1), _series("south", 1, 3)], (T0, T0 + N * 60))
    boxes_before = sum(1 for i in plot.graphics.scene().items() if type(i).__name__ == "ViewBox")
    plot.set_mode("stacked")
    plot.set_mode("overlay")
    plot.set_series([_series("a", 1, 1)], (T0, T0 + N * 60))
    plot.set_series([_series("north", 1, 1), _series("south", 1, 3)], (T0, T0 + N * 60))
    assert sum(1 for i in plot.graphics.scene().items() if type(i).__name__ == "ViewBox") == boxes_before
