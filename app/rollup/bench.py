"""``vigil bench --rollup``: simulated stations publish at mall rates into a real broker while a roll-up
ingests; reports ingestion rate, end-to-end delay (created -> committed) p50/p95 and CPU.

Without ``--broker`` a private Mosquitto is started on a free 127.0.0.1 port (anonymous, localhost only).
Mall rate per camera: ``people_per_min`` compliance updates (a minute row is re-sent on every change) and
``events_per_min`` events. The load generator shares this process (its CPU is included in ``cpu_pct``)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil

from app.errors import UserError
from app.publish.broker import parse_broker_url
from app.rollup.subscriber import Rollup


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_rollup_bench(
    stations: int, cameras: int, seconds: float = 30.0, broker_url: str = "",
    people_per_min: float = 10.0, events_per_min: float = 1.0, clients: int = 8,
) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vigil-rollup-bench-") as tmp:
        proc = None
        if not broker_url:
            if not shutil.which("mosquitto"):
                raise UserError("mosquitto is not installed (apt-get install mosquitto), or pass --broker URL")
            port = _free_port()
            conf = Path(tmp) / "m.conf"
            conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n")
            proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
            broker_url = f"mqtt://127.0.0.1:{port}"
            time.sleep(0.5)
        try:
            return _run(stations, cameras, seconds, broker_url, people_per_min, events_per_min, clients, Path(tmp))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)


def _run(stations: int, cameras: int, seconds: float, url: str, ppm: float, epm: float, nclients: int,
         tmp: Path) -> dict[str, Any]:  # fmt: skip
    broker = parse_broker_url(url)
    rollup = Rollup(tmp / "rollup.db", broker, client_id=f"bench-rollup-{time.time_ns()}", keep_delays=True)
    rollup.start()
    if not rollup.connected.wait(10):
        rollup.stop()
        raise UserError(f"cannot connect to {broker.display()}: {rollup.refused or 'no answer'}")
    gens = []
    for i in range(max(1, nclients)):
        c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-gen-{i}")
        if broker.username:
            c.username_pw_set(broker.username, broker.password)
        c.max_inflight_messages_set(1000)
        c.connect(broker.host, broker.port)
        c.loop_start()
        gens.append(c)
    rate = stations * cameras * (ppm + epm) / 60.0  # messages per second, whole city
    seqs = [0] * stations
    sent = 0
    me = psutil.Process()
    cpu0, t0 = me.cpu_times(), time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        due = int((time.monotonic() - t0) * rate)
        while sent < due:
            st = sent % stations
            cam = (sent // stations) % cameras
            seqs[st] += 1
            sid = f"mall-{st:03d}"
            now = time.time()
            is_event = (sent // stations) % int(max(1, round((ppm + epm) / max(epm, 1e-9)))) == 0
            if is_event:
                kind, data = "events", {"id": seqs[st], "at": now, "camera_id": f"{sid}-c{cam}", "kind": "no_mask"}
            else:
                data = {"camera_id": f"{sid}-c{cam}", "minute": int(now // 60), "people": seqs[st] % 50,
                        "masked": 1, "unmasked": 0, "incorrect": 0, "uncertain": 0, "unknown": 0, "live_s": 30.0}
                kind = "compliance"
            msg = {"v": 1, "station": sid, "seq": seqs[st], "kind": kind, "created_at": now, "data": data}
            gens[st % len(gens)].publish(f"vigil/{sid}/{kind}", json.dumps(msg), qos=1)
            sent += 1
        time.sleep(0.01)
    # let the roll-up catch up (bounded)
    deadline = time.monotonic() + 30
    while rollup.stats.stored + rollup.stats.duplicates < sent and time.monotonic() < deadline:
        time.sleep(0.1)
    wall = time.monotonic() - t0
    cpu1 = me.cpu_times()
    for c in gens:
        c.loop_stop()
        c.disconnect()
    rollup.stop()
    delays = sorted(rollup.stats.delays or [0.0])

    def pct(p: float) -> float:
        return round(delays[min(len(delays) - 1, int(p * len(delays)))], 3)

    return {
        "stations": stations,
        "cameras_per_station": cameras,
        "offered_msgs_per_s": round(rate, 1),
        "sent": sent,
        "stored": rollup.stats.stored,
        "ingest_msgs_per_s": round(rollup.stats.stored / wall, 1),
        "delay_p50_s": pct(0.50),
        "delay_p95_s": pct(0.95),
        "cpu_pct_of_one_core_incl_generator": round(
            100 * ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall, 1
        ),
        "seconds": round(wall, 1),
    }
