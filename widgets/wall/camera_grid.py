"""CameraGrid: the video wall. Lays tiles out per GridSpec, pages through cameras, maximises one tile,
takes cameras dropped on tiles, and runs the optional carousel. Holds no frames itself: tiles do."""

from __future__ import annotations

import math

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.station_api import CameraFeed, Station
from widgets.paint.overlay import OverlayOptions
from widgets.wall.camera_tile import BACKGROUND, CameraTile
from widgets.wall.grid_layouts import LAYOUTS, GridSpec, NamedLayout

MAX_TILES = max(spec.tile_count for spec in LAYOUTS.values())


class CameraGrid(QWidget):
    """A wall of CameraTiles over one station's feeds."""

    layout_changed = Signal(str)  # grid name
    maximised_changed = Signal(object)  # tile index or None
    camera_clicked = Signal(str)  # camera id of a clicked tile

    def __init__(self, station: Station, parent: QWidget | None = None, grid: str = "2x2") -> None:
        super().__init__(parent)
        self._station = station
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), BACKGROUND)
        self.setPalette(pal)
        self._tiles: list[CameraTile] = []
        for i in range(MAX_TILES):
            tile = CameraTile(i, self)
            tile.activated.connect(self.toggle_maximise)
            tile.camera_dropped.connect(self.assign)
            tile.clicked.connect(self._on_tile_clicked)
            tile.hide()
            self._tiles.append(tile)
        self._spec = LAYOUTS[grid]
        self._assignment: list[str | None] = []
        self._maximised: int | None = None
        self._page = 0
        self._options = OverlayOptions()
        self._main_streams: set[str] = set()
        self._carousel_tile: int | None = None
        self._carousel = QTimer(self)
        self._carousel.timeout.connect(self._on_carousel_timeout)
        self.show_page(0)

    # -- state --------------------------------------------------------------------------------------
    @property
    def spec(self) -> GridSpec:
        return self._spec

    @property
    def maximised(self) -> int | None:
        return self._maximised

    @property
    def page(self) -> int:
        return self._page

    def tiles(self) -> list[CameraTile]:
        """The tiles of the current layout, in cell order."""
        return self._tiles[: self._spec.tile_count]

    def visible_tiles(self) -> list[CameraTile]:
        if self._maximised is not None:
            return [self._tiles[self._maximised]]
        return self.tiles()

    def assignment(self) -> tuple[str | None, ...]:
        return tuple(self._assignment)

    def tile_for(self, camera_id: str) -> CameraTile | None:
        return next((t for t in self.tiles() if t.camera_id == camera_id), None)

    def camera_order(self) -> list[str]:
        """Enabled cameras in configuration order: the order pages are filled in."""
        feeds = self._station.feeds()
        return [c.id for c in self._station.config().cameras if c.enabled and c.id in feeds] + [
            cid for cid in feeds if self._station.config().camera(cid) is None
        ]

    def page_count(self) -> int:
        return max(1, math.ceil(len(self.camera_order()) / self._spec.tile_count))

    # -- layout and paging --------------------------------------------------------------------------
    def set_grid(self, name: str) -> None:
        """Switch layout, keeping the cameras already shown and filling new tiles with the next ones."""
        spec = LAYOUTS[name]
        self.restore()
        kept = self._assignment[: spec.tile_count]
        rest = [c for c in self.camera_order() if c not in kept]
        while len(kept) < spec.tile_count:
            kept.append(rest.pop(0) if rest else None)
        self._spec = spec
        self._apply_assignment(kept)
        self.layout_changed.emit(name)

    def show_page(self, page: int) -> None:
        order = self.camera_order()
        n = self._spec.tile_count
        self._page = page % self.page_count()
        chunk: list[str | None] = list(order[self._page * n : (self._page + 1) * n])
        self.restore()
        self._apply_assignment(chunk + [None] * (n - len(chunk)))

    def next_page(self) -> None:
        self.show_page(self._page + 1)

    def previous_page(self) -> None:
        self.show_page(self._page - 1)

    def assign(self, index: int, camera_id: str) -> None:
        """Put ``camera_id`` in tile ``index``; if it is already in another tile, the two swap."""
        if index >= self._spec.tile_count or camera_id not in self._station.feeds():
            return
        cams = list(self._assignment)
        if camera_id in cams:
            cams[cams.index(camera_id)] = cams[index]
        cams[index] = camera_id
        self._apply_assignment(cams)

    def apply_named(self, layout: NamedLayout) -> None:
        self.restore()
        self._spec = LAYOUTS[layout.grid]
        feeds = self._station.feeds()
        cams = [c if c in feeds else None for c in layout.cameras[: self._spec.tile_count]]
        self._apply_assignment(cams + [None] * (self._spec.tile_count - len(cams)))
        self.layout_changed.emit(layout.grid)

    def named_layout(self, name: str) -> NamedLayout:
        return NamedLayout(name, self._spec.name, tuple(self._assignment))

    def reload_feeds(self) -> None:
        """The station's camera set changed (config applied): drop vanished cameras, keep the rest."""
        feeds = self._station.feeds()
        cams = [c if c in feeds else None for c in self._assignment]
        self._apply_assignment(cams, force=True)

    def _apply_assignment(self, cams: list[str | None], force: bool = False) -> None:
        self._assignment = cams
        feeds = self._station.feeds()
        config = self._station.config()
        for i, tile in enumerate(self._tiles):
            cid = cams[i] if i < len(cams) else None
            feed: CameraFeed | None = feeds.get(cid) if cid else None
            if force and feed is not None and tile.feed is not feed:
                tile.set_feed(None)
            site = config.site(feed.camera.site) if feed is not None else None
            tile.set_feed(feed, site.name if site else (feed.camera.site if feed else ""))
            tile.set_options(self._options)
        self._relayout()

    # -- maximise -----------------------------------------------------------------------------------
    def toggle_maximise(self, index: int) -> None:
        if self._maximised is None:
            self.maximise(index)
        else:
            self.restore()

    def maximise(self, index: int) -> None:
        if index >= self._spec.tile_count or self._maximised == index:
            return
        self._maximised = index
        self._relayout()
        self._tiles[index].setFocus()
        self.maximised_changed.emit(index)

    def restore(self) -> None:
        if self._maximised is None:
            return
        index, self._maximised = self._maximised, None
        self._relayout()
        self._tiles[index].setFocus()
        self.maximised_changed.emit(None)

    # -- look ---------------------------------------------------------------------------------------
    def set_options(self, options: OverlayOptions) -> None:
        self._options = options
        for tile in self._tiles:
            tile.set_options(options)

    def options(self) -> OverlayOptions:
        return self._options

    def highlight(self, camera_id: str | None) -> None:
        for tile in self.tiles():
            tile.set_highlighted(camera_id is not None and tile.camera_id == camera_id)

    def flash(self, camera_id: str, seconds: float = 3.0) -> bool:
        tile = self.tile_for(camera_id)
        if tile is not None:
            tile.flash(seconds)
        return tile is not None

    def set_carousel(self, tile_index: int | None, interval_s: float = 10.0) -> None:
        """Cycle the cameras not shown elsewhere through tile ``tile_index`` (None: off)."""
        self._carousel_tile = tile_index
        if tile_index is None:
            self._carousel.stop()
        else:
            self._carousel.start(max(1, int(interval_s * 1000)))

    def carousel_step(self) -> None:
        index = self._carousel_tile
        if index is None or index >= self._spec.tile_count:
            return
        others = {c for i, c in enumerate(self._assignment) if i != index and c}
        pool = [c for c in self.camera_order() if c not in others]
        if not pool:
            return
        current = self._assignment[index]
        nxt = pool[(pool.index(current) + 1) % len(pool)] if current in pool else pool[0]
        cams = list(self._assignment)
        cams[index] = nxt
        self._apply_assignment(cams)

    def _on_carousel_timeout(self) -> None:
        self.carousel_step()

    # -- display clock ------------------------------------------------------------------------------
    def refresh(self, now_mono: float) -> int:
        """Called by the DisplayClock: each visible tile repaints only if its slot has something newer."""
        if not self.isVisible():
            return 0
        return sum(tile.refresh(now_mono) for tile in self.visible_tiles())

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        w, h = self.width(), self.height()
        for i, tile in enumerate(self._tiles):
            if self._maximised is not None:
                visible = i == self._maximised
                if visible:
                    tile.setGeometry(0, 0, w, h)
            else:
                visible = i < self._spec.tile_count
                if visible:
                    tile.setGeometry(self._spec.geometry(i, w, h))
            tile.setVisible(visible)
            if not visible and tile.feed is not None and i >= self._spec.tile_count:
                tile.set_feed(None)
        self._update_stream_preferences()

    def _update_stream_preferences(self) -> None:
        """Main stream for a maximised tile or a single-tile wall, sub-stream elsewhere."""
        wanted: set[str] = set()
        for i, cid in enumerate(self._assignment):
            if cid and (self._maximised == i or (self._maximised is None and self._spec.tile_count == 1)):
                wanted.add(cid)
        setter = getattr(self._station, "set_stream_preference", None)  # stations built before it existed
        if setter is None:
            return
        for cid in wanted - self._main_streams:
            setter(cid, True)
        for cid in self._main_streams - wanted:
            setter(cid, False)
        self._main_streams = wanted

    def _on_tile_clicked(self, index: int) -> None:
        cid = self._tiles[index].camera_id
        if cid:
            self.camera_clicked.emit(cid)
