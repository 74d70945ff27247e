"""ComplianceView on a real scripted store: malls, drill-down to entrances, events of a clicked bucket,
live refresh in place, and a report written from the window in the background."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from app.config import StationConfig
from app.domain import MaskState
from app.reports import ReportRequest
from app.store import StoreWriter, TrackUpdate
from tests.compliance_data import BERLIN, scripted_store
from widgets.compliance.compliance_report import ReportJob
from widgets.compliance.compliance_view import ComplianceView

DAY = date(2026, 3, 24)
NOW = datetime(2026, 3, 24, 15, 30, tzinfo=BERLIN).timestamp()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scripted_store(
        tmp_path_factory.mktemp("tl") / "vigil.sqlite3", DAY, 1, rate_per_min=0.3, outage=None
    )


@pytest.fixture
def view(qtbot, store: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    db = tmp_path / "vigil.sqlite3"
    src = sqlite3.connect(store)
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    v = ComplianceView(db, StationConfig())
    v.refresh_timer.stop()  # the tests drive refreshes themselves
    v.clock = lambda: NOW
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    v.reload()
    qtbot.waitUntil(lambda: len(v.timeline.series()) > 0, timeout=5000)
    return v


def test_all_malls_then_drill_down_to_entrances(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert [s.key for s in view.timeline.series()] == ["north", "south"]
    assert [view.scope.itemText(i) for i in range(view.scope.count())] == [
        "All malls",
        "North Mall › entrances",
        "South Mall › entrances",
    ]
    north = view.timeline.series()[0]
    assert north.bucket_min == 15 and north.totals().people > 0  # "today" in quarter hours
    view.scope.setCurrentIndex(1)
    qtbot.waitUntil(lambda: [s.key for s in view.timeline.series()] == ["n1", "n2"], timeout=5000)
    entrances = view.timeline.series()
    assert entrances[0].label == "North entrance A"
    assert entrances[0].totals().people + entrances[1].totals().people == north.totals().people


def test_clicking_a_bucket_lists_its_events(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(view.db_path)
    (at,) = conn.execute(
        "SELECT at FROM events WHERE camera_id IN ('s1', 's2') ORDER BY at LIMIT 1 OFFSET 40"
    ).fetchone()
    south = view.timeline.series()[1]
    i = int(np.searchsorted(south.edges, at, side="right")) - 1
    lo, hi = south.edges[i], south.edges[i + 1]
    expected = conn.execute(
        "SELECT count(*) FROM events WHERE camera_id IN ('s1', 's2') AND at >= ? AND at < ?", (lo, hi)
    ).fetchone()[0]
    conn.close()
    view.timeline.click_at(at, y=float(south.compliance[i]))  # on the South Mall line
    assert view.events.rowCount() == expected > 0
    a = datetime.fromtimestamp(lo, BERLIN)
    assert view.events_title.text().startswith(f"{expected} event(s) · South Mall · {a:%Y-%m-%d %H:%M}–")
    assert view.events.item(0, 2).text() in ("No mask", "Mask worn incorrectly")  # the event list's (translated) names
    assert view.events.item(0, 1).text().startswith("South entrance")


def test_live_refresh_updates_the_existing_curves(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    line = view.timeline._curves["north"].line
    before = view.timeline.series()[0].people.copy()
    w = StoreWriter(view.db_path, flush_interval_s=0.01)
    w.start()
    for i in range(7):
        w.submit(TrackUpdate("n1", 900_000 + i, NOW - 30, NOW - 20, 60.0, MaskState.MASK, 10))
    w.stop()
    view._on_refresh_timer_timeout()
    qtbot.waitUntil(lambda: view.timeline.series()[0].people.sum() == before.sum() + 7, timeout=5000)
    assert view.timeline._curves["north"].line is line
    after = view.timeline.series()[0]
    i = int(np.searchsorted(after.edges, NOW - 30, side="right")) - 1
    assert after.people[i] == before[i] + 7


def test_report_from_the_window_runs_in_the_background(view, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "day.csv"
    req = ReportRequest(
        start=datetime(2026, 3, 24, tzinfo=BERLIN),
        end=datetime(2026, 3, 25, tzinfo=BERLIN),
        out=out,
        sites=("north",),
    )
    job = ReportJob(view.db_path, req)
    seen: list[int] = []
    job.progressed.connect(lambda pct, _: seen.append(pct))
    with qtbot.waitSignal(job.finished, timeout=10000) as blocker:
        job.start()
    assert blocker.args[0].rows == 24 and out.read_text().count("\n") == 25
    assert seen and seen[-1] == 100
    bad = ReportJob(view.db_path, ReportRequest(req.start, req.end, out, sites=("nowhere",)))
    with qtbot.waitSignal(bad.failed, timeout=10000) as failed:
        bad.start()
    assert "unknown site 'nowhere'" in failed.args[0]


def test_this_shift_uses_the_configured_shift_starts(view) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    view.config = replace(view.config, shift_starts=("07:00", "15:15", "23:30"))
    view.preset.setCurrentIndex(view.preset.findData("shift"))
    start, _ = view.current_range()
    assert datetime.fromtimestamp(start, view.current_zone()).strftime("%H:%M") == "15:15"  # NOW is 15:30


def test_status_says_how_many_people_each_percent_rests_on(view, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: "decided of" in view.status.text(), timeout=5000)
    text = view.status.text()
    for s in view.timeline.series():
        t = s.totals()
        assert t.decided >= 10  # a busy day: enough people, so no "too few" mark
        pct = round(100.0 * t.masked / t.decided)
        assert f"{s.label}: {pct} % ({t.decided} decided of {t.people} people)" in text
    assert "too few" not in text


def test_a_percent_from_fewer_than_ten_decided_people_is_marked() -> None:
    import numpy as np

    from app.store.compliance_query import ComplianceSeries
    from widgets.compliance.compliance_view import series_basis

    # people, masked, unmasked, incorrect, uncertain, unknown, live_s: 11 people, 8 decided (5 masked)
    counts = np.array([[11, 5, 2, 1, 3, 0, 60.0]])
    s = ComplianceSeries("north", "North Mall", 1, np.array([0.0, 60.0]), counts)
    assert series_basis([s]) == " · North Mall: 62 % (8 decided of 11 people - too few)"
    empty = ComplianceSeries(
        "south", "South Mall", 1, np.array([0.0, 60.0]), np.array([[2, 0, 0, 0, 2, 0, 60.0]])
    )
    assert series_basis([empty]) == " · South Mall: no clear verdict (0 decided of 2 people)"
