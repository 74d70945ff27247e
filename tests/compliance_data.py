"""Scripted compliance data written through the real StoreWriter: malls, entrance cameras opening and
closing, a camera outage, and people with mask verdicts whose rate and compliance vary over the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from app.domain import CameraStatus, Event, EventKind, Health, MaskState
from app.store import CameraRecord, SiteRecord, StoreWriter, TrackUpdate

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True, slots=True)
class Mall:
    id: str
    name: str
    cameras: tuple[str, ...]
    compliance: float  # share of clear verdicts that are "mask"


MALLS = (
    Mall("north", "North Mall", ("n1", "n2"), 0.93),
    Mall("south", "South Mall", ("s1", "s2"), 0.78),
)


def scripted_store(
    path: Path,
    first_day: date,
    days: int,
    *,
    rate_per_min: float = 0.6,
    open_hours: tuple[int, int] = (8, 21),
    outage: tuple[str, int, int] | None = ("s2", 1, 15),  # (camera, day index, local hour) one dark hour
    seed: int = 7,
) -> Path:
    """A store at ``path`` with ``days`` days of both malls from ``first_day`` (Europe/Berlin)."""
    rng = np.random.default_rng(seed)
    w = StoreWriter(path, flush_interval_s=0.05, max_batch=2000)
    w.start()
    try:
        for mall in MALLS:
            w.submit(SiteRecord(mall.id, mall.name, "Europe/Berlin"))
            for i, cam in enumerate(mall.cameras):
                w.submit(CameraRecord(cam, f"{mall.name.split()[0]} entrance {'AB'[i]}", mall.id))
        track = 0
        for d in range(days):
            day = first_day + timedelta(days=d)
            opens = datetime(day.year, day.month, day.day, open_hours[0], tzinfo=BERLIN).timestamp()
            closes = datetime(day.year, day.month, day.day, open_hours[1], tzinfo=BERLIN).timestamp()
            for mall in MALLS:
                for cam in mall.cameras:
                    dark = outage is not None and outage[0] == cam and outage[1] == d
                    w.submit(CameraStatus(cam, Health.LIVE, opens))
                    if dark:
                        assert outage is not None
                        t_off = datetime(day.year, day.month, day.day, outage[2], tzinfo=BERLIN).timestamp()
                        w.submit(CameraStatus(cam, Health.OFFLINE, t_off))
                        w.submit(CameraStatus(cam, Health.LIVE, t_off + 3600))
                    for minute in range(int((closes - opens) // 60)):
                        t = opens + minute * 60
                        if dark and 0 <= t - t_off < 3600:
                            continue
                        hour = open_hours[0] + minute / 60
                        busy = (
                            1.0
                            + 1.2 * np.exp(-(((hour - 12.5) / 1.2) ** 2))
                            + np.exp(-(((hour - 18) / 1.5) ** 2))
                        )
                        # compliance drops in the evening rush and on the weekend
                        p_mask = (
                            mall.compliance
                            - 0.12 * np.exp(-(((hour - 18) / 1.0) ** 2))
                            - 0.05 * (day.weekday() >= 5)
                        )
                        for _ in range(rng.poisson(rate_per_min * busy)):
                            track += 1
                            u = rng.random()
                            verdict = (
                                MaskState.UNCERTAIN
                                if u < 0.05
                                else MaskState.MASK
                                if rng.random() < p_mask
                                else (MaskState.NO_MASK if rng.random() < 0.7 else MaskState.INCORRECT)
                            )
                            seen = t + rng.random() * 59
                            w.submit(TrackUpdate(cam, track, seen, seen + 3, 60.0, verdict, 15))
                            kind = {
                                MaskState.NO_MASK: EventKind.NO_MASK,
                                MaskState.INCORRECT: EventKind.INCORRECT_MASK,
                            }
                            if verdict in kind:
                                w.submit(
                                    Event(seen + 1, cam, kind[verdict], track, {"verdict": verdict.value})
                                )
                    w.submit(CameraStatus(cam, Health.OFFLINE, closes))
        assert w.flush(60)
    finally:
        w.stop()
    return path
