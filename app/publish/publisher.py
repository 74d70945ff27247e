"""The station side: drains the outbox to the broker (QoS 1), oldest first, and deletes a row only when
the broker acknowledged it. Also publishes a retained ``state`` (online, with an ``offline`` last will)
and a ``heartbeat`` with the backlog and cameras live.

After a (re)connect everything still in the outbox is sent again: rows written since the connect ("live")
go out at once; the older backlog drains at ``backlog_rate`` messages per second, oldest first, so a
long outage neither floods the broker nor holds back the current minute. A row that was sent before the
outage and is sent again is stored once by the roll-up (it keys on station id and sequence number).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from app.errors import UserError
from app.publish import outbox
from app.publish.broker import (
    KIND_TOPIC,
    SCHEMA_VERSION,
    BrokerUrl,
    describe_connect_failure,
    make_client,
    topic,
)
from app.store.db import BUSY_TIMEOUT_S
from app.store.writer import StoreWriter

log = logging.getLogger("vigil.publish")

STATION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
LIVE_BATCH = 500  # live rows per loop turn
MAX_OUTSTANDING = 2000  # sent, not yet acknowledged


def outbox_message(station_id: str, row: tuple[int, str, dict[str, Any], float]) -> tuple[str, str]:
    """(topic, JSON payload) of one outbox row (seq, kind, data, created_at), as the broker gets it."""
    seq, kind, data, created_at = row
    msg = {
        "v": SCHEMA_VERSION, "station": station_id, "seq": seq, "kind": kind,
        "created_at": created_at, "sent_at": time.time(), "data": data,
    }  # fmt: skip
    return topic(station_id, KIND_TOPIC[kind]), json.dumps(msg, separators=(",", ":"))


def check_station_id(station_id: str) -> str:
    if not STATION_ID.match(station_id or ""):
        raise UserError(
            f"station id {station_id!r} must be 1-64 letters, digits, '.', '_' or '-' (it is an MQTT topic level)"
        )
    return station_id


@dataclass(frozen=True, slots=True)
class PublishStatus:
    connected: bool
    backlog: int
    dropped: int
    sent: int
    acked: int
    full: bool
    message: str
    outstanding: int = 0  # sent, not yet acknowledged


class Publisher:
    def __init__(
        self,
        writer: StoreWriter,
        broker: BrokerUrl,
        station_id: str,
        *,
        backlog_rate: float = 200.0,
        max_rows: int = 1_000_000,
        heartbeat_s: float = 10.0,
        allow_images: bool = False,
        on_status: Callable[[str], None] | None = None,
        cameras_live: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self.writer = writer
        self.broker = broker
        self.station_id = check_station_id(station_id)
        self.backlog_rate = max(1.0, float(backlog_rate))
        self.max_rows = max(1, int(max_rows))
        self.heartbeat_s = max(0.5, float(heartbeat_s))
        self.allow_images = allow_images
        self._on_status = on_status
        self._cameras_live = cameras_live
        self._lock = threading.Lock()
        self._connected = False
        self._mids: dict[int, int] = {}  # paho message id -> outbox seq
        self._acked: list[int] = []  # seqs to delete
        self._live_mark = 0  # max seq at connect: rows above are live
        self._live_cursor = 0
        self._backlog_cursor = 0
        self._sent = self._acked_n = 0
        self._backlog = 0
        self._dropped = 0
        self._full = False
        self._last_message = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._read: sqlite3.Connection | None = None
        self.client = make_client(broker, client_id=f"vigil-station-{station_id}")
        self.client.will_set(topic(station_id, "state"), self._state_payload(False), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_connect_fail = lambda c, u: self._status(
            f"MQTT {self.broker.display()}: cannot reach the broker; messages wait in the outbox"
        )
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)

    # ----- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.writer.call(lambda db: outbox.set_state(db.conn, outbox.ON)).result(10)
        self._read = sqlite3.connect(str(self.writer.path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        self._read.execute("PRAGMA query_only = 1")
        self._status(f"publishing to {self.broker.display()} as station {self.station_id}")
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what can be sent within ``timeout``, mark the station offline, disconnect. What is not
        acknowledged stays in the outbox for the next start."""
        deadline = time.monotonic() + timeout
        while self._connected and time.monotonic() < deadline - 1.0 and self._pending_rows() > 0:
            time.sleep(0.1)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(max(0.1, deadline - time.monotonic()))
        self._delete_acked()
        if self._connected:
            info = self.client.publish(
                topic(self.station_id, "state"), self._state_payload(False), qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.1, min(2.0, deadline - time.monotonic())))
        self.client.disconnect()
        self.client.loop_stop()
        if self._read is not None:
            self._read.close()
            self._read = None

    def status(self) -> PublishStatus:
        with self._lock:
            return PublishStatus(
                self._connected, self._backlog, self._dropped, self._sent, self._acked_n, self._full,
                self._last_message, len(self._mids),
            )  # fmt: skip

    def _pending_rows(self) -> int:
        assert self._read is not None
        return outbox.backlog(self._read)

    # ----- paho callbacks (network thread) ------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._status(f"MQTT {self.broker.display()}: {describe_connect_failure(reason)}")
            return
        client.publish(topic(self.station_id, "state"), self._state_payload(True), qos=1, retain=True)
        with self._lock:
            self._connected = True
            self._mids.clear()
            self._live_mark = -1  # set by the worker on its next turn
        self._status(f"MQTT {self.broker.display()}: connected")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        with self._lock:
            was, self._connected = self._connected, False
        if was and not self._stop.is_set():
            self._status(
                f"MQTT {self.broker.display()}: connection lost ({reason}); messages wait in the outbox"
            )

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        with self._lock:
            seq = self._mids.pop(mid, None)
            if seq is not None:
                self._acked.append(seq)
                self._acked_n += 1

    # ----- worker ------------------------------------------------------------------------------------
    def _run(self) -> None:
        next_beat = next_check = 0.0
        last = time.monotonic()
        budget = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            budget = min(self.backlog_rate, budget + (now - last) * self.backlog_rate)
            last = now
            try:
                self._delete_acked()
                if now >= next_check:
                    self._check_cap()
                    next_check = now + 2.0
                if self._connected:
                    budget -= self._send_turn(int(budget))
                    if now >= next_beat:
                        self._heartbeat()
                        next_beat = now + self.heartbeat_s
            except sqlite3.Error as exc:
                self._status(f"outbox: {exc}; retrying")
                time.sleep(1.0)
            except Exception:
                log.exception("publisher turn failed")
                time.sleep(1.0)
            self._stop.wait(0.05)

    def _send_turn(self, backlog_budget: int) -> int:
        assert self._read is not None
        with self._lock:
            if self._live_mark < 0:
                mark = int(self._read.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0])
                self._live_mark = self._live_cursor = mark
                self._backlog_cursor = 0
            room = MAX_OUTSTANDING - len(self._mids)
        if room <= 0:
            return 0
        live = self._read.execute(
            "SELECT seq, kind, payload, created_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (self._live_cursor, min(LIVE_BATCH, room)),
        ).fetchall()
        for row in live:
            self._publish(row)
            self._live_cursor = row[0]
        room -= len(live)
        n = min(backlog_budget, room)
        if n <= 0 or self._backlog_cursor >= self._live_mark:
            return 0
        old = self._read.execute(
            "SELECT seq, kind, payload, created_at FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (self._backlog_cursor, self._live_mark, n),
        ).fetchall()
        for row in old:
            self._publish(row)
            self._backlog_cursor = row[0]
        if not old:
            self._backlog_cursor = self._live_mark
        return len(old)

    def _publish(self, row: tuple[int, str, str, float]) -> None:
        seq, kind, payload, created_at = row
        data = json.loads(payload)
        if kind == "event" and self.allow_images:
            self._attach_thumbnail(data)
        info = self.client.publish(*outbox_message(self.station_id, (seq, kind, data, created_at)), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return  # not connected any more: the row stays and is sent after the reconnect
        with self._lock:
            self._mids[info.mid] = seq
            self._sent += 1

    def _attach_thumbnail(self, data: dict[str, Any]) -> None:
        assert self._read is not None
        row = self._read.execute("SELECT jpeg FROM event_thumbnails WHERE event_id = ?", (data.get("id"),)).fetchone()
        if row:
            data["thumbnail_jpeg_b64"] = base64.b64encode(row[0]).decode("ascii")

    def _delete_acked(self) -> None:
        with self._lock:
            seqs, self._acked = self._acked, []
        if not seqs:
            return

        def delete(db: Any) -> None:
            with db.conn:
                db.conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

        try:
            self.writer.call(delete).result(30)
        except Exception as exc:
            with self._lock:
                self._acked.extend(seqs)
            log.warning("outbox: could not delete acknowledged rows: %s", exc)

    def _check_cap(self) -> None:
        assert self._read is not None
        n = outbox.backlog(self._read)
        dropped = outbox.dropped(self._read)
        with self._lock:
            self._backlog, self._dropped = n, dropped
            full = self._full
        if not full and n >= self.max_rows:
            self.writer.call(lambda db: outbox.set_state(db.conn, outbox.FULL)).result(10)
            with self._lock:
                self._full = True
            self._status(
                f"outbox full: {n} messages wait for the broker (cap {self.max_rows}); new compliance "
                "changes and events are stored here but not queued for the city view until it drains"
            )
        elif full and n < self.max_rows * 0.9:
            self.writer.call(lambda db: outbox.set_state(db.conn, outbox.ON)).result(10)
            with self._lock:
                self._full = False
            self._status(f"outbox below its cap again ({n} waiting); {dropped} changes were not queued")

    def _heartbeat(self) -> None:
        live, total = self._cameras_live() if self._cameras_live else (0, 0)
        with self._lock:
            body = {
                "v": SCHEMA_VERSION,
                "station": self.station_id,
                "at": time.time(),
                "backlog": self._backlog,
                "dropped": self._dropped,
                "outbox_full": self._full,
                "cameras_live": live,
                "cameras_total": total,
            }
        self.client.publish(topic(self.station_id, "heartbeat"), json.dumps(body), qos=0)

    def _state_payload(self, online: bool) -> str:
        return json.dumps(
            {"v": SCHEMA_VERSION, "station": self.station_id, "online": online, "at": time.time()}
        )

    def _status(self, msg: str) -> None:
        with self._lock:
            if msg == self._last_message:
                return
            self._last_message = msg
        log.info("%s", msg)
        if self._on_status is not None:
            try:
                self._on_status(msg)
            except Exception:
                log.exception("publish status callback failed")


