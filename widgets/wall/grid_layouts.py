"""Wall layouts (1, 2x2 ... 5x5, 1+5, 1+7) and named layouts saved in QSettings."""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSettings

Cell = tuple[int, int, int, int]  # row, column, row span, column span


@dataclass(frozen=True, slots=True)
class GridSpec:
    """A wall layout: a ``rows`` x ``columns`` lattice and the cells the tiles occupy, biggest first."""

    name: str
    rows: int
    columns: int
    cells: tuple[Cell, ...]

    @property
    def tile_count(self) -> int:
        return len(self.cells)

    def geometry(self, index: int, width: int, height: int, gap: int = 2) -> QRect:
        """Pixel rectangle of tile ``index`` in a ``width`` x ``height`` area (integer edges, no overlap)."""
        r, c, rs, cs = self.cells[index]
        x1, x2 = width * c // self.columns, width * (c + cs) // self.columns
        y1, y2 = height * r // self.rows, height * (r + rs) // self.rows
        return QRect(x1, y1, max(1, x2 - x1 - gap), max(1, y2 - y1 - gap))


def _square(n: int) -> GridSpec:
    return GridSpec(
        f"{n}x{n}" if n > 1 else "1", n, n, tuple((r, c, 1, 1) for r in range(n) for c in range(n))
    )


def _big(name: str, n: int) -> GridSpec:
    """One (n-1)x(n-1) tile in the top-left corner, small tiles down the right column and along the bottom."""
    big = n - 1
    right = tuple((r, big, 1, 1) for r in range(big))
    bottom = tuple((big, c, 1, 1) for c in range(n))
    return GridSpec(name, n, n, ((0, 0, big, big), *right, *bottom))


LAYOUTS: dict[str, GridSpec] = {
    spec.name: spec for spec in (_square(1), _square(2), _square(3), _square(4), _square(5))
}
LAYOUTS["1+5"] = _big("1+5", 3)
LAYOUTS["1+7"] = _big("1+7", 4)
QUICK_LAYOUTS = ("1", "2x2", "3x3", "4x4", "5x5")  # keys 1-5


@dataclass(frozen=True, slots=True)
class NamedLayout:
    """What an operator saves: a layout and which camera sits in each tile (None: empty tile)."""

    name: str
    grid: str
    cameras: tuple[str | None, ...]


class LayoutStore:
    """Named layouts and the last wall state, kept in QSettings as JSON."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def names(self) -> list[str]:
        return sorted(self._all())

    def save(self, layout: NamedLayout) -> None:
        data = self._all()
        data[layout.name] = {"grid": layout.grid, "cameras": list(layout.cameras)}
        self._write(data)

    def load(self, name: str) -> NamedLayout | None:
        entry = self._all().get(name)
        return _parse(name, entry) if entry is not None else None

    def delete(self, name: str) -> None:
        data = self._all()
        if data.pop(name, None) is not None:
            self._write(data)

    def save_current(self, layout: NamedLayout, key: str = "main") -> None:
        """Remember the wall as it is, to restore it at the next start."""
        payload = {"grid": layout.grid, "cameras": list(layout.cameras), "name": layout.name}
        self._settings.setValue(f"layouts/current/{key}", json.dumps(payload))
        self._settings.sync()

    def load_current(self, key: str = "main") -> NamedLayout | None:
        raw = self._settings.value(f"layouts/current/{key}")
        try:
            entry = json.loads(str(raw)) if raw else None
        except ValueError:
            return None
        return _parse(str(entry.get("name", "")), entry) if isinstance(entry, dict) else None

    def _all(self) -> dict[str, dict]:
        raw = self._settings.value("layouts/named")
        try:
            data = json.loads(str(raw)) if raw else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, dict]) -> None:
        self._settings.setValue("layouts/named", json.dumps(data))
        self._settings.sync()


def _parse(name: str, entry: dict) -> NamedLayout | None:
    grid = entry.get("grid")
    cams = entry.get("cameras", [])
    if grid not in LAYOUTS or not isinstance(cams, list):
        return None
    return NamedLayout(name, grid, tuple(c if isinstance(c, str) else None for c in cams))
