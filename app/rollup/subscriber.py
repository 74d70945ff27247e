"""The roll-up's subscriber: one persistent MQTT session (the broker keeps its messages while it is away)
on ``vigil/+/#``; messages are committed to the roll-up store in batches and acknowledged to the broker
only after the commit (paho manual acks), so a roll-up crash loses nothing either. The same writer thread
prunes the idempotency table ``received`` hourly (``keep_days``; see ``app.rollup.store``)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from app.publish.broker import BrokerUrl, describe_connect_failure, make_client
from app.rollup import store

log = logging.getLogger("vigil.rollup")
PRUNE_EVERY_S = 3600.0


@dataclass(slots=True)
class RollupStats:
    stored: int = 0
    duplicates: int = 0
    malformed: int = 0
    pruned: int = 0  # `received` rows pruned after the retention horizon
    delays: list[float] | None = None  # created_at -> stored, seconds (kept when asked for)


class Rollup:
    def __init__(
        self,
        db_path: Path | str,
        broker: BrokerUrl,
        client_id: str = "vigil-rollup",
        on_status: Callable[[str], None] | None = None,
        keep_delays: bool = False,
        keep_days: float = store.KEEP_DAYS,
    ) -> None:
        self.db_path = Path(db_path)
        self.broker = broker
        self._on_status = on_status
        self.keep_days = float(keep_days)
        self.stats = RollupStats(delays=[] if keep_delays else None)
        self._queue: queue.SimpleQueue[mqtt.MQTTMessage | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.refused = ""
        self._thread: threading.Thread | None = None
        self.conn = store.open_rollup(self.db_path)
        self.client = make_client(broker, client_id=client_id, clean_session=False, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_connect_fail = lambda c, u: self._status(
            f"roll-up: cannot reach {self.broker.display()}; retrying"
        )
        self.client.on_message = lambda c, u, m: self._queue.put(m)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rollup-writer", daemon=True)
        self._thread.start()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(10)
        self.conn.close()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.refused = f"MQTT {self.broker.display()}: {describe_connect_failure(reason)}"
            self._status(self.refused)
            return
        self.refused = ""
        # "connected" means subscribed: messages published between CONNACK and SUBACK of a first session
        # would not reach us, so a caller that waits on it and then publishes must wait for the SUBACK.
        client.subscribe("vigil/+/#", qos=1)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: Any, reasons: Any, props: Any) -> None:
        if any(getattr(r, "is_failure", False) for r in reasons):
            self.refused = f"MQTT {self.broker.display()}: subscription to vigil/+/# refused ({reasons})"
            self._status(self.refused)
            return
        self.connected.set()
        self._status(f"roll-up connected to {self.broker.display()}")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self.connected.is_set() and not self._stop.is_set():
            self._status(f"roll-up lost {self.broker.display()} ({reason}); reconnecting")
        self.connected.clear()

    def _run(self) -> None:
        next_prune = time.monotonic()  # once at start, then hourly
        while True:
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + (0.0 if self.prune() == store.PRUNE_CHUNK else PRUNE_EVERY_S)
            try:
                first = self._queue.get(timeout=max(0.0, next_prune - time.monotonic()))
            except queue.Empty:
                continue
            if first is None:
                return
            batch = [first]
            while len(batch) < 2000:
                try:
                    m = self._queue.get_nowait()
                except queue.Empty:
                    break
                if m is None:
                    self._commit(batch)
                    return
                batch.append(m)
            self._commit(batch)

    def prune(self) -> int:
        """Delete one chunk of ``received`` rows older than ``keep_days`` (writer thread only); 0 to keep all."""
        if self.keep_days <= 0:
            return 0
        try:
            n = store.prune_received(self.conn, time.time() - self.keep_days * 86400.0)
        except Exception as exc:  # a busy or failing store: the next turn tries again
            log.warning("roll-up: pruning received failed (%s)", exc)
            return 0
        if n:
            self.stats.pruned += n
            log.info("roll-up: pruned %d received row(s) older than %g days", n, self.keep_days)
        return n

    def _commit(self, batch: list[mqtt.MQTTMessage]) -> None:
        conn = self.conn
        delays: list[float] = []
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                n = dup = bad = 0
                for m in batch:
                    try:
                        kind, msg, fresh = store.ingest(conn, m.topic, m.payload)
                    except store.Malformed as exc:
                        bad += 1
                        log.warning("roll-up: skipped a malformed message: %s", exc)
                        self._status(f"roll-up: skipped a malformed message: {exc}")
                        continue
                    if fresh:
                        n += 1
                        if self.stats.delays is not None and "created_at" in msg:
                            delays.append(time.time() - float(msg["created_at"]))
                    elif kind not in ("heartbeat", "state"):
                        dup += 1
                conn.execute("COMMIT")
                break
            except Exception as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                log.warning("roll-up store write failed (%s); retrying", exc)
                self._status(f"roll-up store {self.db_path}: {exc}; retrying")
                time.sleep(1.0)
        self.stats.stored += n
        self.stats.duplicates += dup
        self.stats.malformed += bad
        if self.stats.delays is not None:
            self.stats.delays.extend(delays)
        for m in batch:
            if m.qos > 0:
                try:
                    self.client.ack(m.mid, m.qos)
                except Exception:
                    log.debug("ack failed", exc_info=True)

    def _status(self, msg: str) -> None:
        log.info("%s", msg)
        if self._on_status is not None:
            self._on_status(msg)
