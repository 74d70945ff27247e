"""``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_timeline OUT.png``: the compliance
tab in the dark theme on a scripted store of two malls over a week (hourly buckets, closed nights shaded
as offline, one dark hour of a South Mall camera), as in the README (docs/screenshot-timeline.png)."""

from __future__ import annotations

import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

if __name__ == "__main__":
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.config import StationConfig
    from tests.compliance_data import BERLIN, scripted_store
    from widgets.compliance.compliance_view import PRESET_LABELS, ComplianceView
    from widgets.shell.theme import apply_theme

    out = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        db = scripted_store(Path(tmp) / "vigil.sqlite3", date(2026, 3, 23), 7, rate_per_min=0.3)
        view = ComplianceView(db, StationConfig())
        view.refresh_timer.stop()
        view.clock = lambda: datetime(2026, 3, 29, 21, 30, tzinfo=BERLIN).timestamp()
        view.resize(1000, 600)
        view.show()
        view.preset.setCurrentIndex(list(PRESET_LABELS).index("7d"))
        view.reload()

        def shoot() -> None:
            view.grab().save(str(out))
            view.close()
            app.quit()

        QTimer.singleShot(4000, shoot)
        app.exec()
