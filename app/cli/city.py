"""``vigil city --db ROLLUP.db``: the city window (station list, compliance timeline, events) on a roll-up
database, read-only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import paths
from app.errors import UserError
from app.i18n import LANGUAGES, choose_language

NAME = "city"
HELP = "open the city window (malls, compliance timeline, events) on a roll-up database (vigil rollup --db)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, required=True, metavar="PATH", help="the roll-up database")
    p.add_argument(
        "--lang", choices=LANGUAGES, default=None,
        help="window language (default: the station window's View > Language, else the system locale)",
    )  # fmt: skip


def main(args: argparse.Namespace) -> int:
    from app.rollup.store import is_rollup_db

    if not is_rollup_db(args.db):
        raise UserError(f"{args.db} is not a roll-up database (made by 'vigil rollup --db')")
    try:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from widgets.city.city_window import CityWindow
        from widgets.i18n import install_language
        from widgets.shell.language_menu import SETTING as LANGUAGE_SETTING
        from widgets.shell.theme import apply_theme
    except ImportError as exc:
        raise UserError(f"the city window needs PySide6 ({exc}); use 'vigil report --db' without it") from exc

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Vigil")
    apply_theme(app)
    saved = QSettings(str(paths.config_dir() / "gui.ini"), QSettings.Format.IniFormat).value(LANGUAGE_SETTING)
    install_language(choose_language(args.lang, str(saved) if saved else None))
    w = CityWindow(args.db)
    w.resize(1600, 900)
    w.show()
    return int(app.exec())
