"""Screenshots of the real ``vigil`` window (real station, real analysis) logged in through the environment.

``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_station OUTDIR SECONDS VIDEO...``
writes OUTDIR/wall.png, compliance.png, export.png and locked.png (throwaway user dirs; an admin ``admin`` is created;
``SHOT_LANG=ru`` for the Russian window).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

if __name__ == "__main__":
    out, seconds, videos = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vigil-station-shot-")
    os.environ["VIGIL_CONFIG_DIR"] = os.path.join(tmp, "config")
    os.environ["VIGIL_DATA_DIR"] = os.path.join(tmp, "data")
    os.environ["VIGIL_PASSWORD"] = "correct horse battery"

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.__main__ import main as vigil_main
    from app.security import create_first_admin
    from app.store import open_db

    db_path = Path(tmp) / "vigil.sqlite3"
    db = open_db(db_path)
    create_first_admin(db, "admin", os.environ["VIGIL_PASSWORD"])
    db.conn.close()
    app = QApplication(sys.argv[:1])

    def window():  # noqa: ANN202
        return next(w for w in app.topLevelWidgets() if type(w).__name__ == "StationWindow" and w.isVisible())

    def prepare() -> None:
        w = window()
        w.resize(1920, 1050)
        w.grid.set_grid(os.environ.get("SHOT_GRID", "2x2"))

    def shoot_wall() -> None:
        w = window()
        if w.events.rowCount():
            w.event_panel.select_row(0)
        w.clock.tick()
        app.processEvents()
        w.grab().save(str(out / "wall.png"))
        print(f"wall: events {w.events.rowCount()}; {w.status.cameras.text()}; mask {w.station.mask_error()}")
        w.show_compliance()
        view = w.compliance.view
        view.preset.setCurrentIndex(0)  # last hour

    def shoot_compliance() -> None:
        w = window()
        w.grab().save(str(out / "compliance.png"))
        w.show_wall()
        dialog = w.roles.export_selected()
        dialog.reason_edit.setText("theft reported by shop 12")
        dialog.case_edit.setText("PD-2025/0412")

    def shoot_export() -> None:
        w = window()
        dialog = w.roles.export_dialog
        dialog.grab().save(str(out / "export.png"))
        dialog.close()
        w.gate.lock()  # as after 15 idle minutes

    def shoot_locked() -> None:
        app.primaryScreen().grabWindow(0).save(str(out / "locked.png"))  # the login dialog is its own window
        window().close()

    QTimer.singleShot(1500, prepare)
    QTimer.singleShot(int(seconds * 1000), shoot_wall)
    QTimer.singleShot(int(seconds * 1000) + 3000, shoot_compliance)
    QTimer.singleShot(int(seconds * 1000) + 4500, shoot_export)
    QTimer.singleShot(int(seconds * 1000) + 6000, shoot_locked)
    args = ["--no-config", "--db", str(db_path), "--user", "admin", "--site", "North Mall"]
    if os.environ.get("SHOT_LANG"):  # SHOT_LANG=ru: the window in Russian
        args += ["--lang", os.environ["SHOT_LANG"]]
    for v in videos:
        args += ["--source", v]
    sys.exit(vigil_main(args))
