"""The city window on a real roll-up database: three malls' station stores written by the real StoreWriter,
their outbox messages ingested by the roll-up's own code; timeline, events panel and the mall filter."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.rollup.store import is_rollup_db, open_rollup
from tests.rollup_data import StationData, ingest_all, station_data
from widgets.city.city_window import CityWindow
from widgets.events.event_model import EventTableModel

SITE_COL = EventTableModel.COLUMNS.index("Site")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, StationData]]:
    tmp = tmp_path_factory.mktemp("city")
    start = (time.time() // 60 - 30) * 60  # the last half hour: inside "Last hour"
    malls = {
        sid: station_data(tmp, sid, start, 20, per_min=per_min, mask_share=share, seed=i)
        for i, (sid, per_min, share) in enumerate((("mall-a", 4, 0.95), ("mall-b", 3, 0.6), ("mall-c", 5, 0.8)))
    }
    db = tmp / "city.db"
    conn = open_rollup(db)
    for m in malls.values():
        ingest_all(conn, m.messages)
        ingest_all(conn, m.messages[: len(m.messages) // 2])  # QoS 1 re-delivery: stored once
    conn.close()
    assert is_rollup_db(db)
    return db, malls


def _window(qtbot, db: Path) -> CityWindow:  # type: ignore[no-untyped-def]
    w = CityWindow(db, refresh_ms=60_000)
    qtbot.addWidget(w)
    w.compliance.preset.setCurrentIndex(w.compliance.preset.findData("hour"))
    return w


def _people(m: StationData, camera: str | None = None) -> int:
    return sum(v[0] for (cam, _), v in m.minutes.items() if camera is None or cam == camera)


def _shown_events(w: CityWindow) -> list[tuple[str, str]]:
    p = w.event_panel.proxy
    return [(p.index(r, SITE_COL).data(), p.index(r, 3).data()) for r in range(p.rowCount())]


def test_city_window_shows_every_mall(qtbot, city) -> None:  # type: ignore[no-untyped-def]
    db, malls = city
    w = _window(qtbot, db)
    total = sum(m.events for m in malls.values())
    qtbot.waitUntil(lambda: w.events_model.rowCount() == total, timeout=10_000)
    qtbot.waitUntil(lambda: [s.key for s in w.compliance.timeline.series()] == list(malls), timeout=10_000)
    # one line per mall, each with exactly the people of that mall's own store
    shown = {s.key: int(s.people.sum()) for s in w.compliance.timeline.series()}
    assert shown == {sid: _people(m) for sid, m in malls.items()}
    assert [w.compliance.scope.itemData(i) for i in range(w.compliance.scope.count())] == ["", *malls]
    # the events panel lists every event with its mall (the same camera ids "cam0".. in every mall)
    assert not w.event_panel.table.isColumnHidden(SITE_COL)
    sites = [site for site, _ in _shown_events(w)]
    assert {sid: sites.count(sid) for sid in malls} == {sid: m.events for sid, m in malls.items()}
    assert {cam for _, cam in _shown_events(w)} <= {"cam0", "cam1", "cam2"}
    assert [w.event_panel.site_filter.itemData(i) for i in range(w.event_panel.site_filter.count())] == [None, *malls]
    assert "3 malls, 9 cameras" in w.status_line.text()
    w.close()


def test_double_click_on_a_station_filters_timeline_and_events(qtbot, city) -> None:  # type: ignore[no-untyped-def]
    db, malls = city
    w = _window(qtbot, db)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.events_model.rowCount() == sum(m.events for m in malls.values()), timeout=10_000)
    qtbot.waitUntil(lambda: len(w.compliance.timeline.series()) == 3, timeout=10_000)
    table = w.stations.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "mall-b")
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.compliance.scope.currentData() == "mall-b"
    keys = ["mall-b/cam0", "mall-b/cam1", "mall-b/cam2"]
    qtbot.waitUntil(lambda: [s.key for s in w.compliance.timeline.series()] == keys, timeout=10_000)
    b = malls["mall-b"]
    assert {s.label: int(s.people.sum()) for s in w.compliance.timeline.series()} == {
        cam: _people(b, cam) for cam in ("cam0", "cam1", "cam2")
    }
    assert w.event_panel.site_filter.currentData() == "mall-b"
    assert [site for site, _ in _shown_events(w)] == ["mall-b"] * b.events
    # the camera filter lists that mall's cameras only
    cams = [w.event_panel.camera_filter.itemData(i) for i in range(w.event_panel.camera_filter.count())]
    assert cams == [None, *keys]

    # a clicked minute lists that mall's events of the minute (the events table under the timeline)
    ev_minute = next(k for k in b.minutes if b.minutes[k][2] > 0)  # a minute with an unmasked person
    cam, minute = ev_minute
    w.compliance.show_events(f"mall-b/{cam}", minute * 60.0, minute * 60.0 + 60.0)
    assert w.compliance.events.rowCount() >= 1
    assert {w.compliance.events.item(r, 1).text() for r in range(w.compliance.events.rowCount())} == {cam}

    # back to all malls: the events panel follows the timeline's choice
    w.compliance.scope.setCurrentIndex(0)
    assert w.event_panel.site_filter.currentData() is None
    assert len(_shown_events(w)) == sum(m.events for m in malls.values())
    w.close()


def test_new_events_arrive_on_refresh(qtbot, city, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, malls = city
    w = _window(qtbot, db)
    total = sum(m.events for m in malls.values())
    qtbot.waitUntil(lambda: w.events_model.rowCount() == total, timeout=10_000)
    late = station_data(tmp_path, "mall-d", time.time() - 300, 3, per_min=6, mask_share=0.3, seed=9)
    conn = open_rollup(db)
    ingest_all(conn, late.messages)
    conn.close()
    w.feed.poll()
    qtbot.waitUntil(lambda: w.events_model.rowCount() == total + late.events, timeout=10_000)
    qtbot.waitUntil(lambda: w.event_panel.site_filter.findData("mall-d") > 0, timeout=10_000)
    assert w.compliance.scope.findData("mall-d") > 0
    w.close()
