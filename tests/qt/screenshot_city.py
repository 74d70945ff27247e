"""Screenshot of the city window on a roll-up database with three malls (docs/screenshot-city.png).

``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_city OUT.png [--lang ru]``
Three station stores written by the real StoreWriter (3 hours, 3 entrance cameras each), their outbox
messages ingested by the roll-up's own code, heartbeats as the publisher sends them; throwaway dirs.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

if __name__ == "__main__":
    out = sys.argv[1]
    lang = sys.argv[sys.argv.index("--lang") + 1] if "--lang" in sys.argv else "en"
    tmp = Path(tempfile.mkdtemp(prefix="vigil-city-shot-"))
    os.environ["VIGIL_CONFIG_DIR"] = str(tmp / "config")
    os.environ["VIGIL_DATA_DIR"] = str(tmp / "data")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.rollup.store import open_rollup, store
    from tests.rollup_data import ingest_all, station_data
    from widgets.city.city_window import CityWindow
    from widgets.i18n import install_language
    from widgets.shell.theme import apply_theme

    now = time.time()
    start = (now // 60 - 180) * 60
    malls = {
        "mall-017": station_data(tmp, "mall-017", start, 180, per_min=6, mask_share=0.93, wave=0.04, seed=1),
        "mall-042": station_data(tmp, "mall-042", start, 180, per_min=4, mask_share=0.72, wave=0.12, seed=2),
        "mall-108": station_data(tmp, "mall-108", start, 150, per_min=5, mask_share=0.85, wave=0.08, seed=3),
    }
    db = tmp / "city.db"
    conn = open_rollup(db)
    for m in malls.values():
        ingest_all(conn, m.messages)
    conn.execute("BEGIN")
    beats = {"mall-017": (now - 4, 3, 0), "mall-042": (now - 7, 2, 1240), "mall-108": (now - 1850, 3, 0)}
    for sid, (at, live, backlog) in beats.items():
        store(conn, sid, "state", {"online": sid != "mall-108", "at": at})
        store(conn, sid, "heartbeat", {"at": at, "cameras_live": live, "cameras_total": 3, "backlog": backlog})
    conn.execute("UPDATE stations SET online = 0 WHERE station_id = 'mall-108'")
    conn.execute("COMMIT")
    conn.close()

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    install_language(lang)
    window = CityWindow(db)
    window.resize(1920, 1050)
    window.show()

    def click_minute() -> None:
        b = malls["mall-042"]
        cam, minute = max((k for k in b.minutes if b.minutes[k][2] > 0), key=lambda k: k[1])
        window.compliance.show_events("mall-042", (minute // 10) * 600.0, (minute // 10 + 1) * 600.0)
        window.event_panel.select_row(0)

    def shoot() -> None:
        app.processEvents()
        window.grab().save(out)
        print(f"saved {out}; events {window.events_model.rowCount()}; {window.status_line.text()}")
        window.close()

    QTimer.singleShot(2500, click_minute)
    QTimer.singleShot(4000, shoot)
    app.exec()
