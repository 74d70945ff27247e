"""The city station list on a real roll-up database."""

from __future__ import annotations

import time
from pathlib import Path

from app.rollup.store import open_rollup, store
from widgets.city.station_list import StationList


def test_station_list_shows_state_heartbeat_cameras_backlog(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "city.db"
    conn = open_rollup(db)
    now = time.time()
    store(conn, "mall-a", "heartbeat", {"at": now, "cameras_live": 5, "cameras_total": 6, "backlog": 12})
    store(conn, "mall-a", "state", {"online": True, "at": now})
    store(conn, "mall-b", "state", {"online": False, "at": now})
    conn.close()
    w = StationList(db)
    qtbot.addWidget(w)
    cells = [[w.table.item(r, c).text() for c in range(6)] for r in range(w.table.rowCount())]
    assert cells[0][:2] == ["mall-a", "online"] and cells[0][3:5] == ["5/6", "12"]
    assert cells[1][:2] == ["mall-b", "offline"] and cells[1][2] == "never"
    assert w.summary.text() == "1 of 2 stations online"
