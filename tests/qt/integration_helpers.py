"""The real station (capture only, ``analysis off``) with its real store, accounts and services, behind
the real window: what ``vigil`` wires, minus the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from app.bootstrap import LiveStation, StationOptions, start_station
from app.cli.gui import make_acknowledger, make_services
from app.config import SiteConfig, StationConfig, camera_from_source
from app.security import Role, add_user, authenticate, create_first_admin
from app.security.session import Session
from app.store import open_db
from widgets.security.session_gate import WindowServices
from widgets.shell.main_window import StationWindow

PW = "correct horse battery"
USERS = {"boss": Role.ADMIN, "sue": Role.SUPERVISOR, "otto": Role.OPERATOR}


def make_accounts(db_path: Path) -> None:
    """An admin ``boss``, a supervisor ``sue`` and an operator ``otto`` (password ``PW``)."""
    db = open_db(db_path)
    try:
        create_first_admin(db, "boss", PW)
        admin = authenticate(db, "boss", PW)
        for name, role in USERS.items():
            if name != "boss":
                add_user(db, admin, name, role, PW)
    finally:
        db.conn.close()


def station_config(source: Path) -> StationConfig:
    return StationConfig(
        sites=(SiteConfig("mall", "North Mall"),), cameras=(camera_from_source(str(source), 1, site="mall"),)
    )


@dataclass
class Rig:
    station: LiveStation
    services: WindowServices
    window: StationWindow

    def login(self, user: str) -> Session:
        session = self.services.accounts.login(user, PW)
        assert self.window.gate is not None
        self.window.gate.set_session(session)
        return session


@contextmanager
def running_window(qtbot, base: Path, source: Path, user: str | None = None) -> Iterator[Rig]:  # noqa: ANN001
    """A started station on ``source`` (camera ``cam1`` on site ``mall``), store ``base/vigil.sqlite3``,
    media under ``base``; the window with services, logged in as ``user`` (None: locked, no login)."""
    config = station_config(source)
    station = start_station(
        config, StationOptions(db_path=base / "vigil.sqlite3", analysis_mode="off", media_dir=base)
    )
    try:
        services = make_services(station, config)
        holder: list[StationWindow] = []
        window = StationWindow(
            station,
            QSettings(str(base / "gui.ini"), QSettings.Format.IniFormat),
            acknowledge=make_acknowledger(station, lambda: holder[0].gate.user() if holder[0].gate else ""),
            services=services,
        )
        holder.append(window)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # window shortcuts need the active window
        qtbot.waitUntil(window.isActiveWindow)
        rig = Rig(station, services, window)
        if user is not None:
            rig.login(user)
        yield rig
        window.close()
    finally:
        station.stop()
