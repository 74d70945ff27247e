"""Stations publish over a real Mosquitto broker into a roll-up: store-and-forward through a broker outage,
kill -9 of a station, duplicates, a wrong password, malformed messages."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from app.publish.broker import parse_broker_url
from app.rollup.subscriber import Rollup
from tests.integration.mosquitto_helpers import Broker

ROOT = Path(__file__).resolve().parents[2]
STATIONS = ("mall-a", "mall-b", "mall-c")
OUTAGE_S = float(os.environ.get("VIGIL_MQTT_OUTAGE_S", "6"))  # the full target: VIGIL_MQTT_OUTAGE_S=60


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[Broker]:
    users = {s: f"pw-{s}" for s in STATIONS} | {"rollup": "pw-rollup"}
    (tmp_path / "broker").mkdir()
    b = Broker(tmp_path / "broker", users)
    b.start()
    yield b
    b.stop()


def _station(broker: Broker, tmp: Path, sid: str, duration: float, drain: float = 90.0) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "app.publish.simulate", "--db", str(tmp / f"{sid}.db"),
           "--broker", broker.url(sid, f"pw-{sid}"), "--station", sid, "--duration", str(duration),
           "--rate", "15", "--drain-timeout", str(drain), "--seed", str(hash(sid) % 1000)]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE)


def _rows(db: Path, sql: str) -> set[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return set(conn.execute(sql).fetchall())
    finally:
        conn.close()


def _wait(pred: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


COMPLIANCE = "SELECT camera_id, minute, people, masked, unmasked, incorrect, uncertain, unknown FROM compliance_minutes"
EVENTS = "SELECT id, camera_id, kind FROM events"


def test_outage_and_kill9_lose_nothing_and_duplicate_nothing(broker: Broker, tmp_path: Path) -> None:
    rdb = tmp_path / "rollup.db"
    rollup = Rollup(rdb, parse_broker_url(broker.url("rollup", "pw-rollup")), client_id="rollup-test")
    rollup.start()
    assert rollup.connected.wait(10)
    procs = {s: _station(broker, tmp_path, s, duration=OUTAGE_S + 6) for s in STATIONS}
    time.sleep(2)
    broker.stop()  # the broker (or WAN) is away; stations keep writing into their outboxes
    time.sleep(OUTAGE_S / 2)
    procs["mall-b"].send_signal(signal.SIGKILL)  # a station dies hard, mid-outage, with a backlog
    procs["mall-b"].wait()
    time.sleep(OUTAGE_S / 2)
    broker.start()
    procs["mall-b"] = _station(broker, tmp_path, "mall-b", duration=2)  # restarted on the same store
    for s, p in procs.items():
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"{s}: {err.decode()[-2000:]}"
    for s in STATIONS:
        sdb = tmp_path / f"{s}.db"
        assert _rows(sdb, "SELECT count(*) FROM outbox") == {(0,)}
        want_c, want_e = _rows(sdb, COMPLIANCE), _rows(sdb, EVENTS)
        assert want_c and want_e
        q_c = COMPLIANCE.replace("FROM compliance_minutes", f"FROM compliance_minutes WHERE station_id = '{s}'")
        q_e = EVENTS.replace("FROM events", f"FROM events WHERE station_id = '{s}'")
        same = lambda q_c=q_c, want_c=want_c, q_e=q_e, want_e=want_e: (  # noqa: E731
            _rows(rdb, q_c) == want_c and _rows(rdb, q_e) == want_e
        )
        assert _wait(same, 30), s
        # exactly once: as many roll-up rows as station rows (a set comparison alone would hide doubles)
        assert _rows(rdb, f"SELECT count(*) FROM events WHERE station_id = '{s}'") == {(len(want_e),)}
        # event times survive to 10 us (SQLite's JSON writes 15 significant digits)
        at = dict(_rows(sdb, "SELECT id, at FROM events"))
        got = dict(_rows(rdb, f"SELECT id, at FROM events WHERE station_id = '{s}'"))
        assert max(abs(float(got[k]) - float(v)) for k, v in at.items()) < 1e-4  # type: ignore[arg-type]
    rollup.stop()
    assert _rows(rdb, "SELECT station_id, online FROM stations") == {(s, 0) for s in STATIONS}
    # vigil report on the roll-up database: one row per mall, events counted as the stations stored them
    out = tmp_path / "city.csv"
    done = subprocess.run(
        [sys.executable, "-m", "app", "report", "--db", str(rdb), "--all", "--from", "2000-01-01",
         "--to", "2100-01-01", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert [ln.split(",")[0] for ln in lines[1:]] == sorted(STATIONS)
    for ln in lines[1:]:
        sid, events = ln.split(",")[0], int(ln.split(",")[9])
        assert events == _rows(tmp_path / f"{sid}.db", "SELECT count(*) FROM events").pop()[0]


def _raw_client(broker: Broker, user: str, pw: str) -> mqtt.Client:
    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=f"raw-{user}")
    c.username_pw_set(user, pw)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    return c


def test_duplicate_delivery_stored_once_and_malformed_skipped(broker: Broker, tmp_path: Path) -> None:
    rdb = tmp_path / "rollup.db"
    rollup = Rollup(rdb, parse_broker_url(broker.url("rollup", "pw-rollup")), client_id="rollup-dup")
    rollup.start()
    assert rollup.connected.wait(10)
    c = _raw_client(broker, "mall-a", "pw-mall-a")
    event = {"v": 1, "station": "mall-a", "seq": 7, "kind": "event", "created_at": time.time(),
             "data": {"id": 3, "at": 1.0e9, "camera_id": "cam1", "kind": "no_mask", "details": {}}}  # fmt: skip
    for payload in (json.dumps(event), json.dumps(event), b"{not json", json.dumps({"v": 1, "station": "mall-b"}),
                    json.dumps({**event, "seq": 8, "data": {"id": "x"}})):  # fmt: skip
        c.publish("vigil/mall-a/events", payload, qos=1).wait_for_publish(5)
    c.loop_stop()
    c.disconnect()
    assert _wait(lambda: rollup.stats.malformed == 3, 10), rollup.stats
    assert rollup.stats.stored == 1 and rollup.stats.duplicates == 1
    rollup.stop()
    assert _rows(rdb, "SELECT station_id, id, camera_id FROM events") == {("mall-a", 3, "cam1")}


def test_wrong_password_one_clear_line(broker: Broker, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app", "rollup", "--broker", broker.url("rollup", "wrong-secret"),
         "--db", str(tmp_path / "r.db"), "--duration", "20"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert "refused the login" in last and "check the user and password" in last
    assert "wrong-secret" not in out.stderr


def test_station_cannot_write_another_stations_topics(broker: Broker, tmp_path: Path) -> None:
    rollup = Rollup(tmp_path / "r.db", parse_broker_url(broker.url("rollup", "pw-rollup")), client_id="rollup-acl")
    rollup.start()
    assert rollup.connected.wait(10)
    c = _raw_client(broker, "mall-a", "pw-mall-a")
    forged = {"v": 1, "station": "mall-b", "seq": 1, "kind": "event", "created_at": 0,
              "data": {"id": 1, "at": 1.0, "camera_id": "x", "kind": "no_mask"}}  # fmt: skip
    # Mosquitto either drops the denied message silently or drops the client that sent it (newer brokers):
    # both keep the forged event out; the station then reconnects.
    with contextlib.suppress(RuntimeError):
        c.publish("vigil/mall-b/events", json.dumps(forged), qos=1).wait_for_publish(5)
    c.loop_stop()
    c.disconnect()
    c = _raw_client(broker, "mall-a", "pw-mall-a")
    c.publish("vigil/mall-a/heartbeat", json.dumps({"v": 1, "station": "mall-a", "at": time.time()}), qos=1).wait_for_publish(5)
    assert _wait(lambda: _rows(tmp_path / "r.db", "SELECT station_id FROM stations") == {("mall-a",)}, 10)
    c.loop_stop()
    c.disconnect()
    rollup.stop()
    assert _rows(tmp_path / "r.db", "SELECT count(*) FROM events") == {(0,)}


def test_bench_rollup_small() -> None:
    from app.rollup.bench import run_rollup_bench
    from tests.integration.mosquitto_helpers import need_mosquitto

    need_mosquitto()
    r = run_rollup_bench(5, 2, seconds=2.0, clients=1, people_per_min=300.0, events_per_min=30.0)
    assert r["sent"] > 0 and r["stored"] == r["sent"]  # a private broker: every message is ingested
    assert 0 <= r["delay_p95_s"] < 5
