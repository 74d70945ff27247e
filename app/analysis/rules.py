"""Pure rules that turn camera health changes into events (debounced: one offline event per outage)."""

from __future__ import annotations

from app.domain import CameraStatus, Event, EventKind, Health


class CameraHealthRules:
    """Emits ``camera_offline`` once when a camera goes down (or never comes up) and ``camera_online``
    when it is live again after an outage. Reconnect attempts in between stay silent."""

    def __init__(self) -> None:
        self._down: dict[str, float] = {}  # camera id -> when the outage started

    def on_status(self, status: CameraStatus) -> Event | None:
        cid = status.camera_id
        if status.health is Health.OFFLINE and cid not in self._down:
            self._down[cid] = status.at
            return Event(status.at, cid, EventKind.CAMERA_OFFLINE, details={"reason": status.message})
        if status.health is Health.LIVE and cid in self._down:
            since = self._down.pop(cid)
            return Event(
                status.at, cid, EventKind.CAMERA_ONLINE, details={"offline_s": round(status.at - since, 1)}
            )
        return None

    def forget(self, camera_id: str) -> None:
        self._down.pop(camera_id, None)
