"""``vigil city --db ROLLUP.db``: the city window's station list on a roll-up database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.errors import UserError

NAME = "city"
HELP = "open the city station list on a roll-up database (vigil rollup --db)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, required=True, metavar="PATH", help="the roll-up database")


def main(args: argparse.Namespace) -> int:
    from app.rollup.store import is_rollup_db

    if not is_rollup_db(args.db):
        raise UserError(f"{args.db} is not a roll-up database (made by 'vigil rollup --db')")
    from PySide6.QtWidgets import QApplication

    from widgets.city.station_list import StationList

    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = StationList(args.db)
    w.setWindowTitle(w.tr("Vigil - city"))
    w.resize(900, 600)
    w.show()
    return int(app.exec())
