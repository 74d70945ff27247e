"""Compliance minutes through the real StoreWriter into a real SQLite file: counts, once per person,
live seconds and offline exclusion, minute and day boundaries, DST changes, migration backfill."""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlite_utils import Database

from app.domain import CameraStatus, Health, MaskState
from app.store import CameraRecord, SiteRecord, StoreWriter, TrackUpdate, open_db
from app.store.buckets import DAY, HOUR, MINUTE, bucket_edges
from app.store.compliance_query import ComplianceReader
from app.store.live_ticker import LiveTicker
from app.store.migrations import MIGRATIONS, migrate
from app.store.records import LiveTick

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=BERLIN).timestamp()  # a Tuesday, 10:00 local (09:00 UTC)


def _local(*args: int) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()  # type: ignore[misc]


class Station:
    """A real writer on a temp file, with the sites and cameras registered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = StoreWriter(path, flush_interval_s=0.01)
        self.writer.start()
        self.writer.submit(SiteRecord("north", "North Mall", "Europe/Berlin"))
        self.writer.submit(CameraRecord("a", "Entrance A", "north"))
        self.writer.submit(CameraRecord("b", "Entrance B", "north"))
        self._next = 0

    def person(self, cam: str, at: float, verdict: MaskState, track: int | None = None) -> int:
        if track is None:
            self._next += 1
            track = self._next
        self.writer.submit(TrackUpdate(cam, track, at, at + 4.0, 60.0, verdict, 20))
        return track

    def status(self, cam: str, health: Health, at: float) -> None:
        self.writer.submit(CameraStatus(cam, health, at))

    def reader(self) -> ComplianceReader:
        assert self.writer.flush(10)
        return ComplianceReader(self.path)

    def site(self, reader: ComplianceReader):  # type: ignore[no-untyped-def]
        return next(s for s in reader.sites() if s.id == "north")


@pytest.fixture
def station(tmp_path: Path):
    s = Station(tmp_path / "vigil.sqlite3")
    yield s
    s.writer.stop()


def _minute_rows(path: Path) -> dict[tuple[str, int], tuple[float, ...]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT * FROM compliance_minutes").fetchall()
    finally:
        conn.close()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def test_people_are_counted_per_minute_of_first_sighting_by_verdict(station: Station) -> None:
    station.status("a", Health.LIVE, T0)
    for i, v in enumerate(
        [MaskState.MASK] * 6 + [MaskState.NO_MASK, MaskState.INCORRECT, MaskState.UNCERTAIN]
    ):
        station.person("a", T0 + 5 + i, v)
    station.person("a", T0 + 65, MaskState.UNKNOWN)  # next minute; mask model unavailable
    station.status("a", Health.OFFLINE, T0 + 120)
    assert station.writer.flush(10)
    rows = _minute_rows(station.path)
    m = int(T0 // 60)
    # people, masked, unmasked, incorrect, uncertain, unknown, live_s
    assert rows[("a", m)] == (9, 6, 1, 1, 1, 0, 60.0)
    assert rows[("a", m + 1)] == (1, 0, 0, 0, 0, 1, 60.0)
    with station.reader() as reader:
        series = reader.site_series(station.site(reader), T0, T0 + 120, MINUTE, BERLIN)
        assert series.people.tolist() == [9, 1]
        # 6 masked of 8 with a clear verdict; uncertain and unknown people are visitors, not in the ratio
        assert series.compliance[0] == pytest.approx(75.0)
        assert math.isnan(series.compliance[1])
        totals = series.totals()
        assert (totals.people, totals.decided, totals.unknown) == (10, 8, 1)
        assert totals.compliance == pytest.approx(75.0)


def test_a_repeated_update_of_one_track_counts_the_person_once(station: Station) -> None:
    station.status("a", Health.LIVE, T0)
    t = station.person("a", T0 + 10, MaskState.UNCERTAIN)
    station.person("a", T0 + 10, MaskState.UNCERTAIN, track=t)  # same update again
    station.person("a", T0 + 10, MaskState.NO_MASK, track=t)  # the verdict settled later
    station.writer.submit(TrackUpdate("a", t, T0 + 10, T0 + 30, 80.0, MaskState.UNKNOWN, 40))  # keeps no_mask
    assert station.writer.flush(10)
    rows = _minute_rows(station.path)
    assert rows[("a", int(T0 // 60))][:6] == (1, 0, 1, 0, 0, 0)
    # an update that moves first_seen into the previous minute moves the person, it does not add one
    station.writer.submit(TrackUpdate("a", t, T0 - 30, T0 + 30, 80.0, MaskState.MASK, 40))
    assert station.writer.flush(10)
    rows = _minute_rows(station.path)
    assert rows[("a", int(T0 // 60) - 1)][:6] == (1, 1, 0, 0, 0, 0)
    assert rows[("a", int(T0 // 60))][:6] == (0, 0, 0, 0, 0, 0)


def test_live_seconds_follow_status_changes_and_ticks(station: Station) -> None:
    m = int(T0 // 60)
    station.status("a", Health.LIVE, T0 + 30)  # live from the middle of minute m
    station.writer.submit(LiveTick("a", T0 + 100))
    assert station.writer.flush(10)
    live = {k[1]: v[-1] for k, v in _minute_rows(station.path).items()}
    assert live == {m: 30.0, m + 1: 40.0}  # the current minute fills in before any status change
    station.status("a", Health.STALLED, T0 + 150)  # stalled is not live
    station.writer.submit(LiveTick("a", T0 + 170))  # ignored: not live
    station.status("a", Health.LIVE, T0 + 200)
    station.status("a", Health.OFFLINE, T0 + 210)
    assert station.writer.flush(10)
    live = {k[1]: v[-1] for k, v in _minute_rows(station.path).items()}
    assert live == {m: 30.0, m + 1: 60.0, m + 2: 30.0, m + 3: 10.0}


def test_an_interval_left_open_by_a_crash_counts_only_up_to_its_last_tick(tmp_path: Path) -> None:
    path = tmp_path / "vigil.sqlite3"
    first = StoreWriter(path, flush_interval_s=0.01)
    first.start()
    first.submit(CameraStatus("a", Health.LIVE, T0))
    first.submit(LiveTick("a", T0 + 45))
    first.stop()  # like a crash or a stop: no status closes the interval
    second = StoreWriter(path, flush_interval_s=0.01)
    second.start()
    second.submit(CameraStatus("a", Health.CONNECTING, T0 + 3600))  # an hour later, a new run
    second.submit(CameraStatus("a", Health.LIVE, T0 + 3610))
    second.submit(LiveTick("a", T0 + 3620))
    second.stop()
    total = sum(v[-1] for v in _minute_rows(path).values())
    assert total == pytest.approx(45.0 + 10.0)


def test_a_dark_camera_is_offline_and_never_reads_as_full_compliance(station: Station) -> None:
    station.status("a", Health.LIVE, T0)
    station.status("b", Health.LIVE, T0)
    for i in range(10):
        station.person("a", T0 + 60 * i, MaskState.MASK)
        station.person("a", T0 + 60 * i + 1, MaskState.NO_MASK)
    station.status("a", Health.OFFLINE, T0 + 600)
    station.status("b", Health.OFFLINE, T0 + 600)
    station.status("a", Health.LIVE, T0 + 2 * 3600)
    station.status("a", Health.OFFLINE, T0 + 2 * 3600 + 600)
    with station.reader() as reader:
        site = reader.site_series(station.site(reader), T0, T0 + 3 * 3600, HOUR, BERLIN)
        assert site.offline.tolist() == [False, True, False]
        assert site.compliance[0] == pytest.approx(50.0)
        assert math.isnan(site.compliance[1]) and math.isnan(site.compliance[2])
        assert site.column("live_s").tolist() == [1200.0, 0.0, 600.0]
        cams = reader.camera_series(["a", "b"], T0, T0 + 3 * 3600, HOUR, BERLIN)
        assert cams["b"].offline.tolist() == [False, True, True]
        assert cams["b"].label == "Entrance B"
        assert np.isnan(cams["b"].compliance).all()  # b saw nobody: no figure, not 100 %
        assert site.totals().compliance == pytest.approx(50.0)


def test_minute_and_local_day_boundaries(station: Station) -> None:
    station.person("a", _local(2026, 3, 10, 23, 59, 59) + 0.9, MaskState.MASK)
    station.person("a", _local(2026, 3, 11, 0, 0, 0), MaskState.NO_MASK)
    with station.reader() as reader:
        site = station.site(reader)
        mins = reader.site_series(
            site, _local(2026, 3, 10, 23, 59), _local(2026, 3, 11, 0, 1), MINUTE, BERLIN
        )
        assert mins.people.tolist() == [1, 1]
        assert mins.column("masked").tolist() == [1, 0]
        days = reader.site_series(site, _local(2026, 3, 10), _local(2026, 3, 12), DAY, BERLIN)
        assert days.column("masked").tolist() == [1, 0]
        assert days.column("unmasked").tolist() == [0, 1]


def test_spring_forward_day_has_23_hours_and_no_2_am(station: Station) -> None:
    # 2026-03-29, Europe/Berlin: 02:00 CET jumps to 03:00 CEST (01:00 UTC)
    station.person("a", _local(2026, 3, 29, 1, 30), MaskState.MASK)
    station.person("a", _local(2026, 3, 29, 3, 30), MaskState.NO_MASK)
    station.person("a", _local(2026, 3, 29, 23, 59, 30), MaskState.INCORRECT)
    station.person("a", _local(2026, 3, 30, 0, 0, 30), MaskState.MASK)
    with station.reader() as reader:
        site = station.site(reader)
        hours = reader.site_series(site, _local(2026, 3, 29), _local(2026, 3, 30), HOUR, BERLIN)
        labels = [datetime.fromtimestamp(s, BERLIN).strftime("%H") for s in hours.starts]
        assert len(hours) == 23 and "02" not in labels
        assert hours.column("masked")[labels.index("01")] == 1
        assert hours.column("unmasked")[labels.index("03")] == 1
        days = reader.site_series(site, _local(2026, 3, 28), _local(2026, 3, 31), DAY, BERLIN)
        assert np.diff(days.edges).tolist() == [24 * 3600, 23 * 3600, 24 * 3600]
        assert days.people.tolist() == [0, 3, 1]
        assert days.column("incorrect").tolist() == [0, 1, 0]


def test_fall_back_day_has_25_hours_and_two_2_am_hours(station: Station) -> None:
    # 2026-10-25, Europe/Berlin: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:xx happens twice
    first_230 = datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("UTC")).timestamp()  # 02:30 CEST
    second_230 = datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("UTC")).timestamp()  # 02:30 CET
    station.person("a", first_230, MaskState.MASK)
    station.person("a", second_230, MaskState.NO_MASK)
    with station.reader() as reader:
        site = station.site(reader)
        hours = reader.site_series(site, _local(2026, 10, 25), _local(2026, 10, 26), HOUR, BERLIN)
        assert len(hours) == 25
        labels = [datetime.fromtimestamp(s, BERLIN).strftime("%H %Z") for s in hours.starts]
        assert labels[2:4] == ["02 CEST", "02 CET"]
        assert hours.column("masked")[2] == 1 and hours.column("unmasked")[3] == 1
        days = reader.site_series(site, _local(2026, 10, 24), _local(2026, 10, 27), DAY, BERLIN)
        assert np.diff(days.edges).tolist() == [24 * 3600, 25 * 3600, 24 * 3600]
        assert days.people.tolist() == [0, 2, 0]


def test_bucket_edges_in_a_half_hour_zone_start_on_local_hours() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30
    lo = int(datetime(2026, 1, 1, 0, 0, tzinfo=kolkata).timestamp() // 60)
    edges = bucket_edges(kolkata, lo, lo + 3 * 60, HOUR)
    assert [datetime.fromtimestamp(e * 60, kolkata).strftime("%H:%M") for e in edges] == [
        "00:00",
        "01:00",
        "02:00",
        "03:00",
    ]


def test_migration_rebuilds_minutes_from_an_older_store(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = Database(sqlite3.connect(path))
    migrate(db, path, [m for m in MIGRATIONS if m.version <= 3])
    conn = db.conn
    conn.execute("INSERT INTO runs(id, started_at, pid) VALUES (1, ?, 1), (2, ?, 1)", (T0 - 10, T0 + 3600))
    conn.execute("INSERT INTO cameras VALUES ('a', 'Entrance A', 'north', 1, 0)")
    for i, v in enumerate(["mask", "mask", "no_mask", "unknown"]):
        conn.execute(
            "INSERT INTO tracks(camera_id, run_id, track_id, first_seen, last_seen, verdict) VALUES ('a', 1, ?, ?, ?, ?)",
            (i, T0 + i, T0 + i + 5, v),
        )
    conn.execute("INSERT INTO camera_status(camera_id, at, health) VALUES ('a', ?, 'live')", (T0,))
    # no closing status: the station crashed; run 2 starts an hour later
    conn.execute(
        "INSERT INTO camera_status(camera_id, at, health) VALUES ('a', ?, 'connecting')", (T0 + 7200,)
    )
    conn.commit()
    db.close()
    open_db(path).close()
    rows = _minute_rows(path)
    assert rows[("a", int(T0 // 60))][:6] == (4, 2, 1, 0, 0, 1)
    assert sum(v[-1] for v in rows.values()) == pytest.approx(3600.0)


def test_live_ticker_ticks_live_cameras_and_closes_on_stop() -> None:
    got: list[LiveTick] = []
    ticker = LiveTicker(got.append, interval_s=60, clock=lambda: 500.0)
    ticker.on_item(CameraStatus("a", Health.LIVE, 100.0))
    ticker.on_item(CameraStatus("b", Health.LIVE, 100.0))
    ticker.on_item(CameraStatus("b", Health.OFFLINE, 200.0))
    ticker.tick()
    assert got == [LiveTick("a", 500.0)]
    ticker.on_item(CameraStatus("a", Health.STOPPED, 300.0))
    assert got[-1] == LiveTick("a", 300.0)  # STOPPED is not stored: credit up to the stop
    ticker.start()
    ticker.on_item(CameraStatus("c", Health.LIVE, 400.0))
    ticker.stop()
    assert got[-1] == LiveTick("c", 500.0)


def test_the_hour_roll_up_agrees_with_the_minutes_across_dst_and_partial_hours(tmp_path: Path) -> None:
    from datetime import date

    from tests.compliance_data import scripted_store

    path = scripted_store(tmp_path / "v.sqlite3", date(2026, 10, 24), 3, rate_per_min=0.2)
    conn = sqlite3.connect(path)
    by_minute = conn.execute(
        "SELECT sum(people), sum(masked), sum(live_s) FROM compliance_minutes"
    ).fetchone()
    by_hour = conn.execute("SELECT sum(people), sum(masked), sum(live_s) FROM compliance_hours").fetchone()
    conn.close()
    assert by_minute == by_hour and by_minute[0] > 0
    lo, hi = _local(2026, 10, 24, 9, 17), _local(2026, 10, 26, 20, 43)  # ends inside hours
    with ComplianceReader(path) as reader:
        cams = ["n1", "n2", "s1", "s2"]
        for size in (HOUR, DAY):
            fast = reader.camera_series(cams, lo, hi, size, BERLIN)
            slow = reader.camera_series(cams, lo, hi, size, BERLIN, hours=False)
            for cam in cams:
                np.testing.assert_array_equal(fast[cam].edges, slow[cam].edges)
                np.testing.assert_allclose(fast[cam].counts, slow[cam].counts)
        kolkata = reader.camera_series(cams, lo, hi, HOUR, ZoneInfo("Asia/Kolkata"))  # minutes only
        assert sum(s.totals().people for s in kolkata.values()) == sum(
            s.totals().people for s in fast.values()
        )


@pytest.mark.parametrize(
    ("now", "starts", "expected"),
    [
        ("2026-03-10 10:30", ("06:00", "14:00", "22:00"), "2026-03-10 06:00"),
        (
            "2026-03-10 03:00",
            ("06:00", "14:00", "22:00"),
            "2026-03-09 22:00",
        ),  # the night shift began yesterday
        ("2026-03-10 07:29", ("07:30", "19:30"), "2026-03-09 19:30"),
        ("2026-03-10 07:30", ("07:30", "19:30"), "2026-03-10 07:30"),
        ("2026-03-29 04:00", ("00:30", "12:30"), "2026-03-29 00:30"),  # across the spring DST change (Berlin)
    ],
)
def test_this_shift_starts_at_the_configured_local_time(
    now: str, starts: tuple[str, ...], expected: str
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.store.buckets import preset_range

    zone = ZoneInfo("Europe/Berlin")
    now_s = datetime.fromisoformat(now).replace(tzinfo=zone).timestamp()
    start, end = preset_range("shift", now_s, zone, starts)
    assert datetime.fromtimestamp(start, zone).strftime("%Y-%m-%d %H:%M") == expected
    assert end > now_s
