"""CameraGrid: layouts, paging, drag and drop, maximise/restore, stream preference, carousel, saved layouts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDropEvent

from tests.qt.scripted_station import ScriptedStation, make_config
from widgets.wall.camera_grid import CameraGrid
from widgets.wall.camera_tile import CAMERA_MIME
from widgets.wall.grid_layouts import LAYOUTS, LayoutStore


@pytest.fixture
def station() -> ScriptedStation:
    return ScriptedStation(make_config(30, sites=3))


@pytest.fixture
def grid(qtbot, station: ScriptedStation) -> CameraGrid:
    g = CameraGrid(station, grid="2x2")
    qtbot.addWidget(g)
    g.resize(1000, 800)
    g.show()
    return g


@pytest.mark.parametrize(
    ("name", "count"), [("1", 1), ("2x2", 4), ("3x3", 9), ("4x4", 16), ("5x5", 25), ("1+5", 6), ("1+7", 8)]
)
def test_layout_tile_counts_and_geometry(grid: CameraGrid, name: str, count: int) -> None:
    grid.set_grid(name)
    tiles = grid.tiles()
    assert len(tiles) == count
    assert sum(t.isVisible() for t in grid.findChildren(type(tiles[0]))) == count
    rects = [t.geometry() for t in tiles]
    for i, a in enumerate(rects):  # no two tiles overlap, all inside the grid
        assert grid.rect().contains(a)
        for b in rects[i + 1 :]:
            assert not a.intersects(b)
    area = sum(r.width() * r.height() for r in rects)
    assert area > 0.95 * 1000 * 800 * 0.98
    if name.startswith("1+"):
        big = LAYOUTS[name].rows - 1  # the big tile covers (n-1)x(n-1) cells
        assert rects[0].width() * rects[0].height() > 0.95 * big * big * rects[1].width() * rects[1].height()
    else:
        assert len({(r.width() // 4, r.height() // 4) for r in rects}) <= 2  # equal cells (+/- rounding)


def test_cameras_fill_tiles_in_order_and_page(grid: CameraGrid) -> None:
    assert grid.assignment() == ("cam0", "cam1", "cam2", "cam3")
    grid.next_page()
    assert grid.assignment() == ("cam4", "cam5", "cam6", "cam7")
    grid.previous_page()
    grid.previous_page()  # wraps to the last page: cameras 28, 29 and two empty tiles
    assert grid.assignment() == ("cam28", "cam29", None, None)
    grid.set_grid("3x3")
    assert grid.assignment()[:2] == ("cam28", "cam29") and len(grid.assignment()) == 9


def test_drop_camera_on_tile(grid: CameraGrid) -> None:
    tile = grid.tiles()[2]
    mime = QMimeData()
    mime.setData(CAMERA_MIME, b"cam17")
    pos = QPointF(tile.width() / 2, tile.height() / 2)
    event = QDropEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    tile.dropEvent(event)
    assert grid.assignment() == ("cam0", "cam1", "cam17", "cam3")
    assert grid.tiles()[2].camera_id == "cam17"
    grid.assign(0, "cam17")  # already shown in tile 2: the two swap
    assert grid.assignment() == ("cam17", "cam1", "cam0", "cam3")


def test_double_click_and_enter_maximise_and_restore(
    qtbot, grid: CameraGrid, station: ScriptedStation
) -> None:
    tile = grid.tiles()[1]
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert grid.maximised == 1
    assert tile.geometry() == grid.rect()
    assert [t.isVisible() for t in grid.tiles()] == [False, True, False, False]
    assert station.stream_requests[-1] == ("cam1", True)  # main stream for the big tile
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    assert grid.maximised is None
    assert all(t.isVisible() for t in grid.tiles())
    assert station.stream_requests[-1] == ("cam1", False)
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Enter)
    assert grid.maximised == 1


def test_carousel_cycles_cameras_not_shown_elsewhere(grid: CameraGrid) -> None:
    grid.set_carousel(3, interval_s=60)
    grid.carousel_step()
    assert grid.assignment() == ("cam0", "cam1", "cam2", "cam4")
    grid.carousel_step()
    assert grid.assignment()[3] == "cam5"
    grid.set_carousel(None)


def test_named_layouts_persist(tmp_path, grid: CameraGrid, station: ScriptedStation, qtbot) -> None:
    path = str(tmp_path / "gui.ini")
    grid.set_grid("1+5")
    grid.assign(0, "cam12")
    LayoutStore(QSettings(path, QSettings.Format.IniFormat)).save(grid.named_layout("Lobby"))

    other = CameraGrid(station, grid="4x4")
    qtbot.addWidget(other)
    store = LayoutStore(QSettings(path, QSettings.Format.IniFormat))
    assert store.names() == ["Lobby"]
    layout = store.load("Lobby")
    assert layout is not None
    other.apply_named(layout)
    assert other.spec is LAYOUTS["1+5"]
    assert other.assignment() == grid.assignment()
    assert other.assignment()[0] == "cam12"
