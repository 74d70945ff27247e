"""The time bar's queries run on a worker thread over a real SQLite store with many rows: the GUI thread keeps
running (its timers fire) while a week of coverage and events is read, the answer comes through
``data_loaded``, and a burst of pans and zooms cancels the stale requests instead of queueing them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from app.playback.lookup import RecordingLookup
from tests.qt.bench_playback_queries import CAMERAS, T0, make_store
from tests.qt.playback_views import shown_view
from widgets.playback.view import PlaybackView

SEGMENTS = 20_000  # per camera: 10 s segments, about 2.3 days each
EVENTS = 100_000


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 000 recordings rows (a 30 s gap after every 100 segments) and 100 000 events."""
    d = tmp_path_factory.mktemp("bigstore")
    make_store(d, SEGMENTS, EVENTS)
    return d


@pytest.fixture
def view(qtbot, big_store: Path) -> PlaybackView:
    yield from shown_view(qtbot, big_store / "vigil.sqlite3", big_store / "recordings")


def test_a_week_of_data_loads_off_the_gui_thread_and_arrives_by_signal(qtbot, view: PlaybackView, big_store: Path) -> None:
    with qtbot.waitSignal(view.data_loaded, timeout=20000):
        view.open(CAMERAS, T0 + 3600.0)
    ticks: list[int] = []
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: ticks.append(1))
    probe.start()
    with qtbot.waitSignal(view.data_loaded, timeout=30000) as arrived:
        view.timebar.set_view(T0, 3 * 86400.0)  # zoom out to three days: ~80 000 segments, 5000 events
        assert view.timebar.data.span != view._asked_span  # the call returned before the data was read
    probe.stop()
    data = arrived.args[0]
    assert view.timebar.data is data
    assert ticks, "the GUI thread's timer never fired while the data was read"
    # the same answer as a direct query: one gap every 100 segments on every camera
    direct = RecordingLookup(big_store / "vigil.sqlite3")
    try:
        assert data.span is not None
        for cam in CAMERAS:
            assert list(data.coverage[cam]) == direct.coverage(cam, *data.span)
        assert len(data.coverage["cam0"]) == SEGMENTS // 100
        assert len(data.events) == 5000  # the bar's limit
    finally:
        direct.close()
    assert view.tiles[0].events == list(data.events)  # the overlays got the stored events too


def test_a_burst_of_pans_cancels_stale_requests_and_shows_the_last(qtbot, view: PlaybackView) -> None:
    with qtbot.waitSignal(view.data_loaded, timeout=20000):
        view.open(CAMERAS, T0 + 3600.0)
    arrived: list[object] = []
    view.data_loaded.connect(arrived.append)
    before = view.queries.cancelled
    for day in range(12):  # dragging the axis over twelve half-day views in a row
        view.timebar.set_view(T0 + day * 43200.0, 43200.0)
    last = view.queries.latest
    qtbot.waitUntil(lambda: bool(arrived), timeout=30000)
    qtbot.wait(300)  # anything else still on its way would have come by now
    assert [d.token for d in arrived] == [last]  # type: ignore[attr-defined]
    assert view.queries.cancelled > before
    start, end = view.timebar.visible()
    span = arrived[0].span  # type: ignore[attr-defined]
    assert span[0] <= start and end <= span[1]  # the data of what is on screen now
