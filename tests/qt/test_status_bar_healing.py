"""A restarted analysis process shows in the status bar (a field that appears after the first restart,
with the last health line as its tooltip) and as a notice, without a dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from app.analysis.healing import HealthBoard
from tests.qt.scripted_station import ScriptedStation, make_config
from widgets.shell.main_window import StationWindow


def test_analysis_restart_shows_in_status_bar_and_notice_strip(qtbot, tmp_path: Path) -> None:
    station = ScriptedStation(make_config(4, sites=1))
    board = HealthBoard()  # what the process runners post to
    station.analysis_health = board.health  # type: ignore[attr-defined]
    w = StationWindow(station, QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.status.update_figures()
    assert w.status.healing.isHidden()  # nothing to say while analysis never failed

    board.post("warning", "analysis process 4242 stopped (killed by signal 9 (SIGKILL)); restarting it")
    w.status.update_figures()
    assert w.status.healing.isHidden()
    assert "SIGKILL" in w.notices.text() and w.notices.isVisible()

    board.post(
        "info",
        "analysis process restarted in 3.1 s (process 4250); 4 cameras analysed again, 2 open tracks kept",
        restarted=True,
    )
    w.status.update_figures()
    assert w.status.healing.isVisible()
    assert w.status.healing.text() == "Analysis restarted 1×"
    assert "2 open tracks kept" in w.status.healing.toolTip()
    assert "restarted in 3.1 s" in w.notices.text()
    w.status.update_figures()  # the same line is not shown twice
    assert len([h for h in w.notices.history if "restarted in" in h[2]]) == 1
