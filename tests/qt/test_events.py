"""EventTableModel without a window (bounded, newest first, filters), and the panel's acknowledge flow."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

from app.domain import Event, EventKind
from tests.qt.scripted_station import make_config
from widgets.events.event_model import AckRole, EventFilterModel, EventTableModel
from widgets.events.event_panel import EventPanel


def _event(
    i: int, cam: str = "cam0", kind: EventKind = EventKind.NO_MASK, thumb: bytes | None = None
) -> Event:
    return Event(at=time.time() + i, camera_id=cam, kind=kind, track_id=i, thumbnail_jpeg=thumb)


def test_newest_first_and_bounded(qapp) -> None:
    model = EventTableModel(make_config(2), max_rows=50)
    for i in range(120):
        model.add_event(_event(i))
    assert model.rowCount() == 50
    assert model.event_at(0).track_id == 119
    assert model.event_at(49).track_id == 70
    assert model.data(model.index(0, 2)) == "No mask  #119"
    assert model.data(model.index(0, 3)) == "Entrance 0"
    assert model.data(model.index(0, 4)) == "Mall A"


def test_thumbnail_is_decoded_from_event_jpeg(qapp) -> None:
    ok, jpeg = cv2.imencode(".jpg", np.full((80, 64, 3), 200, np.uint8))
    assert ok
    model = EventTableModel(make_config(1))
    model.add_event(_event(1, thumb=jpeg.tobytes()))
    model.add_event(_event(2, kind=EventKind.CAMERA_OFFLINE))
    assert model.data(model.index(0, 1), Qt.ItemDataRole.DecorationRole) is None
    pix = model.data(model.index(1, 1), Qt.ItemDataRole.DecorationRole)
    assert isinstance(pix, QPixmap) and not pix.isNull() and pix.height() == 56


def test_filter_by_site_camera_and_kind(qapp) -> None:
    model = EventTableModel(make_config(4, sites=2))  # cam0, cam2 in site0; cam1, cam3 in site1
    for i in range(8):
        kind = EventKind.CAMERA_OFFLINE if i % 4 == 3 else EventKind.NO_MASK
        model.add_event(_event(i, cam=f"cam{i % 4}", kind=kind))
    proxy = EventFilterModel()
    proxy.setSourceModel(model)
    assert proxy.rowCount() == 8
    proxy.set_site("site1")
    assert {proxy.data(proxy.index(r, 3)) for r in range(proxy.rowCount())} == {"Entrance 1", "Entrance 3"}
    proxy.set_kinds(frozenset({EventKind.CAMERA_OFFLINE}))
    assert proxy.rowCount() == 2
    proxy.set_site(None)
    proxy.set_kinds(None)
    proxy.set_camera("cam2")
    assert proxy.rowCount() == 2


def test_acknowledge(qapp) -> None:
    model = EventTableModel(make_config(1))
    model.add_event(_event(1))
    assert model.unacknowledged_count() == 1
    assert model.acknowledge(0) is not None
    assert model.acknowledge(0) is None  # only once
    assert model.data(model.index(0, 0), AckRole) is True
    assert model.unacknowledged_count() == 0


@pytest.fixture
def panel(qtbot) -> EventPanel:
    p = EventPanel(EventTableModel())
    p.set_config(make_config(4, sites=2))
    qtbot.addWidget(p)
    p.show()
    return p


def test_panel_selection_names_camera_and_acknowledges(qtbot, panel: EventPanel) -> None:
    panel.model.add_event(_event(1, cam="cam1"))
    panel.model.add_event(_event(2, cam="cam2"))
    with qtbot.waitSignal(panel.camera_selected) as sig:
        panel.select_row(1)
    assert sig.args == ["cam1"]
    with qtbot.waitSignal(panel.acknowledged) as ack:
        assert panel.acknowledge_selected()
    assert ack.args[0].camera_id == "cam1"
    assert panel.model.is_acknowledged(1) and not panel.model.is_acknowledged(0)


def test_panel_filters_follow_combo_boxes(panel: EventPanel) -> None:
    for i in range(4):
        panel.model.add_event(_event(i, cam=f"cam{i}"))
    panel.site_filter.setCurrentIndex(panel.site_filter.findData("site0"))
    assert panel.proxy.rowCount() == 2
    panel.camera_filter.setCurrentIndex(panel.camera_filter.findData("cam2"))
    assert panel.proxy.rowCount() == 1


@pytest.mark.parametrize("sites", [1, 2])
def test_event_text_is_never_squeezed_in_a_narrow_dock(qtbot, sites: int) -> None:
    from app.config import CameraConfig

    config = make_config(2, sites=sites)
    long_name = CameraConfig("cam0", "Street crosswalk north entrance camera", "site0", "a.mp4")
    config = config.__class__(sites=config.sites, cameras=(long_name, *config.cameras[1:]))
    model = EventTableModel(config)
    panel = EventPanel(model)
    qtbot.addWidget(panel)
    panel.set_config(config)
    panel.resize(370, 500)  # the events dock on a 1920-px screen
    panel.show()
    model.add_event(_event(1, cam="cam0", kind=EventKind.INCORRECT_MASK))
    qtbot.waitExposed(panel)
    header, metrics = panel.table.horizontalHeader(), panel.table.fontMetrics()
    text = model.data(model.index(0, 2))
    # "Mask worn incorrectly  #1" whole (the header resizes to contents once the view has laid out)
    qtbot.waitUntil(lambda: header.sectionSize(2) >= metrics.horizontalAdvance(text), timeout=2000)
    assert panel.table.isColumnHidden(4) is (sites == 1)  # one mall: no site column
    assert header.length() <= panel.table.viewport().width() + 1  # no sideways scrolling
