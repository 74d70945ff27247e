"""Glue for ``vigil run``: start a Publisher on a running station from ``[publish]`` or the command line."""

from __future__ import annotations

import sys
from typing import Any

from app.config import PublishConfig
from app.domain import Health
from app.errors import UserError
from app.publish.broker import parse_broker_url
from app.publish.publisher import Publisher, check_station_id


def publish_settings(cfg: PublishConfig, url: str | None, station_id: str | None) -> PublishConfig | None:
    """The effective settings (command line over config), or None when this run does not publish."""
    broker, sid = url or cfg.broker, station_id or cfg.station_id
    if not broker and not sid:
        return None
    if not broker or not sid:
        raise UserError("publishing needs both a broker (--publish URL or [publish] broker) and a station id")
    check_station_id(sid)
    return PublishConfig(**{**{f: getattr(cfg, f) for f in cfg.__slots__}, "broker": broker, "station_id": sid})


def start_publisher(station: Any, cfg: PublishConfig, quiet: bool = False) -> Publisher:
    broker = parse_broker_url(cfg.broker, cfg.ca_file, cfg.cert_file, cfg.key_file)

    def cameras_live() -> tuple[int, int]:
        feeds = station.feeds()
        return sum(1 for f in feeds.values() if f.status().health is Health.LIVE), len(feeds)

    pub = Publisher(
        station.writer, broker, cfg.station_id, backlog_rate=cfg.backlog_rate, max_rows=cfg.max_outbox,
        allow_images=cfg.allow_images, cameras_live=cameras_live,
        on_status=None if quiet else (lambda m: print(m, file=sys.stderr, flush=True)),
    )  # fmt: skip
    pub.start()
    return pub
