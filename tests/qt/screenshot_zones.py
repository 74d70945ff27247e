"""``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_zones OUT.png CLIP``: the zone editor of
the camera manager on the first frame of CLIP, with an exclusion zone and a counting zone drawn."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.config import CameraConfig, SiteConfig, StationConfig
    from app.zones import Zone, ZoneKind
    from widgets.cameras.camera_manager import CameraManagerDialog
    from widgets.shell.theme import apply_theme

    out, clip = Path(sys.argv[1]), sys.argv[2]
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    desk = Zone(
        ZoneKind.EXCLUDE,
        ((0.14, 0.458), (0.258, 0.458), (0.336, 0.667), (0.336, 0.833), (0.1875, 0.917), (0.125, 0.694)),
    )
    door = Zone(ZoneKind.COUNT, ((0.3, 0.3), (0.75, 0.3), (0.75, 0.95), (0.3, 0.95)))
    cam = CameraConfig("lobby", "Lobby", "hq", clip, zones=(desk, door))
    dialog = CameraManagerDialog(StationConfig(sites=(SiteConfig("hq", "Head office"),), cameras=(cam,)))
    dialog.show()
    editor = dialog.form.open_zone_editor()
    assert editor is not None

    def shoot() -> None:
        for p in ((0.8, 0.1), (0.95, 0.1), (0.9, 0.25)):
            editor.canvas.add_point(p)  # a polygon being drawn
        editor.zone_list.setCurrentRow(0)
        editor.grab().save(str(out))
        app.quit()

    QTimer.singleShot(3000, shoot)
    app.exec()
