"""``vigil`` / ``vigil gui``: the station window on the configured cameras (plus ``--source`` ones).

This is the GUI's wiring point: it imports Qt and ``widgets`` lazily inside ``main`` so that the rest of
``app`` (and ``vigil run --headless``) never loads them.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from app import paths
from app.cli._station_args import add_station_arguments, session_config
from app.config import StationConfig, save_config
from app.domain import Event
from app.errors import UserError
from app.i18n import LANGUAGES, choose_language

log = logging.getLogger(__name__)

NAME = "gui"
HELP = "open the station window (the default when vigil runs without a command)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_station_arguments(
        p, "add a camera for this session only: rtsp://, http(s)://, file path or USB index (repeatable)"
    )
    p.add_argument(
        "--wall-screen",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="also open a full-screen wall on screen N (1-based; repeatable)",
    )
    p.add_argument("--full-screen", action="store_true", help="start the main window full screen (F11)")
    p.add_argument(
        "--user",
        default=os.environ.get("VIGIL_USER"),
        metavar="NAME",
        help="log in as NAME without the dialog when VIGIL_PASSWORD holds the password "
        "(else the login dialog asks, with NAME filled in)",
    )
    p.add_argument(
        "--playback",
        default=None,
        metavar="TIME",
        help='open in playback at this local time, e.g. "2026-03-01T14:05:00" (Ctrl+P goes back to live)',
    )
    p.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="ID",
        help="with --playback: play this camera (repeatable; default: the cameras of the wall's layout)",
    )
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="window language for this run (default: View > Language, else the system locale)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log to stderr too")


def without_session(config: StationConfig, saved: StationConfig, session: StationConfig) -> StationConfig:
    """``config`` minus the cameras (and the sites) that only ``--source`` added: those are not saved."""
    session_ids = {c.id for c in session.cameras} - {c.id for c in saved.cameras}
    cameras = tuple(c for c in config.cameras if c.id not in session_ids)
    session_sites = {s.id for s in session.sites} - {s.id for s in saved.sites}
    used = {c.site for c in cameras}
    sites = tuple(s for s in config.sites if s.id not in session_sites or s.id in used)
    return replace(config, cameras=cameras, sites=sites)


def make_acknowledger(station: Any, by: str | Callable[[], str]) -> Callable[[Event], None]:
    """Events reach the window before the store gives them an id: find the stored row, then acknowledge
    in the name of ``by`` (a user name, or a function giving the logged-in user's)."""
    from app.store.queries import StoreReader

    reader: StoreReader | None = None

    def acknowledge(event: Event) -> None:
        nonlocal reader
        if reader is None:
            reader = StoreReader(station.db_path())
        rows = reader.recent_events(50, camera_id=event.camera_id, kinds=[event.kind], since=event.at - 1.0)
        row = next((r for r in rows if abs(r.at - event.at) < 1e-3 and r.track_id == event.track_id), None)
        if row is None:
            raise UserError("this event is not in the database yet; acknowledge it again in a moment")
        station.acknowledge_event(row.id, by() if callable(by) else by)

    return acknowledge


def main(args: argparse.Namespace) -> int:
    saved, config = session_config(args)
    playback_at = None
    if args.playback is not None:
        from app.playback.times import parse_local_time

        playback_at = parse_local_time(args.playback)
        known = {c.id for c in config.cameras}
        unknown = [c for c in args.camera if c not in known]
        if unknown:
            raise UserError(
                f"no camera {unknown[0]!r} in the settings; known: {', '.join(sorted(known)) or 'none'}"
            )
    elif args.camera:
        raise UserError("--camera needs --playback TIME")
    try:
        from app.bootstrap import StationOptions, start_station
    except ImportError as exc:  # a partial build without the station core
        raise UserError(f"the station core (app.bootstrap) is missing from this installation: {exc}") from exc
    try:
        from PySide6.QtCore import QEventLoop, QSettings, QTimer
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication

        from widgets.i18n import install_language, translate
        from widgets.shell.language_menu import SETTING as LANGUAGE_SETTING
        from widgets.shell.main_window import StationWindow
        from widgets.shell.theme import apply_theme
    except ImportError as exc:
        raise UserError(f"the window needs PySide6 ({exc}); use 'vigil run --headless' without it") from exc

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("Vigil")
    apply_theme(app)
    station = start_station(
        config, StationOptions(db_path=args.db, analysis_mode=args.analysis, detector_preset=args.preset)
    )
    services = None
    try:
        services = make_services(station, config)
        session = _env_login(services, args.user)  # before any window: a wrong password is a plain error
        settings_file = paths.config_dir() / "gui.ini"
        settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
        saved_lang = settings.value(LANGUAGE_SETTING)
        lang = choose_language(args.lang, str(saved_lang) if saved_lang else None)
        if not install_language(lang):
            log.warning("no %s translation (resources/translations/vigil_%s.qm): run "
                        "'python -m app.tools.build_translations'; the window stays English", lang, lang)  # fmt: skip
        windows: list[StationWindow] = []
        window = StationWindow(
            station,
            settings,
            save_config=lambda cfg: _save(without_session(cfg, saved, config), args.config),
            acknowledge=make_acknowledger(station, lambda: _session_user(windows)),
            services=services,
        )
        windows.append(window)
        window.show()
        from widgets.shell.tray import StationTray

        tray = StationTray(window)  # noqa: F841 (kept alive for the session)
        assert window.gate is not None
        if session is not None:
            window.gate.set_session(session)
        else:
            window.gate.request_login(args.user or "")
        if args.full_screen:
            window.actions_.toggle_full_screen()
        if playback_at is not None:
            window.playback.open(args.camera or window.playback.layout_cameras(), playback_at)
        screens = QGuiApplication.screens()
        for n in args.wall_screen:
            if 1 <= n <= len(screens):
                window.open_wall(screens[n - 1])
            else:
                window.notices.notify(translate("StationGui", "No screen {n}: this machine has {count} screen(s).").format(n=n, count=len(screens)), "warning")
        if not config.cameras:
            window.notices.notify(
                translate("StationGui", "No cameras yet: open Cameras > Manage cameras (Ctrl+M) to add one."), "info"
            )
        QTimer.singleShot(15000, lambda: _report_station_problems(station, window))
        # The session runs in its own event loop that ends when the main window closes (even if a dialog is
        # still open) or on Ctrl+C. QApplication.quit() is avoided: it would also end any later event loop
        # of this process.
        loop = QEventLoop()
        window.closed.connect(loop.quit)
        quit_on_close = app.quitOnLastWindowClosed()
        app.setQuitOnLastWindowClosed(False)
        previous = signal.signal(signal.SIGINT, lambda *_: loop.quit())
        wake = QTimer()  # Python signal handlers run only when Python code runs
        wake.timeout.connect(lambda: None)
        wake.start(300)
        try:
            rc = int(loop.exec())
        finally:
            signal.signal(signal.SIGINT, previous)
            wake.stop()
        if window.isVisible():
            window.close()  # saves geometry and layouts
        app.setQuitOnLastWindowClosed(quit_on_close)
        return rc
    finally:
        if services is not None:
            services.watchlists.close()  # ends the face detection child process
        station.stop()


def _save(config: StationConfig, path: Path | None) -> None:
    save_config(config, path)


def make_services(station: Any, config: StationConfig) -> Any:
    """Accounts, watchlists and evidence export over the running station's store (writes go through its
    writer thread; exports and their failures are audited there)."""
    from app.analysis.child_detector import ChildProcessDetector
    from app.clips.audit import WriterAuditSink
    from app.clips.export import Exporter
    from app.clips.export_analysis import default_models
    from app.clips.faces import default_detector
    from app.security.db import WriterRunner
    from app.watchlist.faces import make_child_enrolment_detector
    from app.watchlist.service import AccountService, WatchlistService
    from widgets.security.session_gate import WindowServices

    runner = WriterRunner(station.writer)
    model = config.analysis.embedding_model
    # MediaPipe never runs in this (Qt) process: its threads were seen to hang next to PySide6
    detector = make_child_enrolment_detector
    watchlists = (
        WatchlistService.from_model(runner, model, config.analysis.embedding_sha256, detector)
        if model
        else WatchlistService(runner, detector=detector)
    )
    exporter = Exporter(
        Path(station.db_path()),
        station.recordings_dir,
        WriterAuditSink(station.writer),
        camera_names={c.id: c.name for c in config.cameras},
        # face finding for export overlays and blurring: the same detector, also kept out of this process
        # (the mask model is ONNX Runtime, which is safe here)
        models=replace(
            default_models(config.analysis),
            detector=functools.partial(ChildProcessDetector, default_detector),
        ),
    )
    return WindowServices(AccountService(runner), watchlists, exporter)


def _env_login(services: Any, user: str | None) -> Any:
    """``--user NAME`` with the password in VIGIL_PASSWORD: log in without the dialog (else None)."""
    from app.security.prompt import PASSWORD_ENV

    password = os.environ.get(PASSWORD_ENV)
    if not user or password is None:
        return None
    if not services.accounts.has_users():
        raise UserError(
            "no accounts yet: start vigil without --user to create the admin account, "
            "or run 'vigil users add NAME --role admin' first"
        )
    return services.accounts.login(user, password)


def _session_user(windows: list[Any]) -> str:
    gate = windows[0].gate if windows else None
    return (gate.user() if gate is not None else "") or _operator()


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "operator"


def _report_station_problems(station: Any, window: Any) -> None:
    from widgets.i18n import translate

    mask_error = getattr(station, "mask_error", lambda: None)()
    if mask_error:
        window.notices.notify(translate("StationGui", "Mask analysis unavailable: {error}").format(error=mask_error), "warning")
    errors = getattr(station, "errors", [])
    if errors:
        window.notices.notify(translate("StationGui", "Event store: {error}").format(error=errors[-1]), "error")
