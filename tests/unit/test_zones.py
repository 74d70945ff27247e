"""Per-camera zones: stored and validated in the config, applied by the engine before tracking and counting."""

from pathlib import Path

import numpy as np
import pytest

from app.analysis.engine import AnalysisEngine, EngineParts
from app.analysis.zone_filter import CameraZones
from app.config import CameraConfig, SiteConfig, StationConfig, dumps_config, load_config, save_config
from app.domain import BBox, Detection, Frame
from app.errors import ConfigError
from app.zones import Zone, ZoneKind

SIGN = Zone(ZoneKind.EXCLUDE, ((0.0, 0.0), (0.25, 0.0), (0.25, 0.25), (0.0, 0.25)))
DOOR = Zone(ZoneKind.COUNT, ((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)))


def _config(*zones: Zone) -> StationConfig:
    cam = CameraConfig("c1", "Entrance", "m", "0", zones=zones)
    return StationConfig(sites=(SiteConfig("m", "Mall"),), cameras=(cam,))


def test_zones_round_trip_through_the_config_file(tmp_path: Path) -> None:
    path = save_config(_config(SIGN, DOOR), tmp_path / "vigil.toml")
    text = path.read_text()
    assert "[[cameras.zones]]" in text and "version = 2" in text
    assert load_config(path).cameras[0].zones == (SIGN, DOOR)
    assert "version = 1" in dumps_config(_config())  # no zones: older Vigils still read the file


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ('kind = "wall"\npoints = [[0, 0], [1, 0], [1, 1]]', 'kind must be "exclude" or "count"'),
        ('kind = "exclude"\npoints = [[0, 0], [1.5, 0], [1, 1]]', "between 0 and 1"),
        ('kind = "exclude"\npoints = [[0, 0], [1, 0]]', "3 to 64"),
        ('kind = "exclude"\npoints = [[0, 0], [0.5, 0.5], [1, 1]]', "no area"),
        ('kind = "exclude"\npoints = [[0, 0], [1, 0], [1, 1]]\ncolour = "red"', "unknown key 'colour'"),
    ],
)
def test_a_bad_zone_is_one_clear_line_with_its_place(tmp_path: Path, zone: str, message: str) -> None:
    text = dumps_config(_config()) + f"[[cameras.zones]]\n{zone}\n"
    path = tmp_path / "vigil.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert message in msg and "cameras[0].zones: zone 1" in msg and "\n" not in msg
    assert f"vigil.toml:{text.splitlines().index('[[cameras.zones]]') + 1}:" in msg


def test_two_counting_zones_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at most one counting zone"):
        save_config(_config(DOOR, DOOR), tmp_path / "vigil.toml")
    assert not (tmp_path / "vigil.toml").exists()


def test_the_mask_follows_the_polygon_at_the_analysed_resolution() -> None:
    zones = CameraZones((SIGN, DOOR))
    dets = [Detection(BBox(x, 10, x + 20, 30), 0.9) for x in (10, 200, 500)]
    kept = zones.drop_excluded(dets, 640, 360)
    assert [d.bbox.x1 for d in kept] == [200, 500]
    assert zones.in_count_zone(dets[2].bbox, 640, 360) and not zones.in_count_zone(dets[1].bbox, 640, 360)
    assert SIGN.contains(0.1, 0.1) and not SIGN.contains(0.3, 0.1)


class _Boxes:
    """The detector of this test: fixed boxes per frame (the real detector is run in the Qt zone test)."""

    def __init__(self, boxes: list[list[BBox]]) -> None:
        self._boxes = boxes

    def detect(self, image: np.ndarray) -> list[Detection]:
        return [Detection(b, 0.9) for b in self._boxes.pop(0)]

    def close(self) -> None:
        pass


def _run(engine: AnalysisEngine, n: int) -> list:  # type: ignore[type-arg]
    image = np.zeros((360, 640, 3), np.uint8)
    outs = [engine.analyse([Frame("c1", i, image, 1_700_000_000.0 + i / 5, i / 5)])[0] for i in range(n)]
    return [outs, engine.finish("c1")]


def test_the_engine_drops_excluded_faces_and_counts_only_tracks_seen_in_the_counting_zone() -> None:
    sign = BBox(20, 20, 60, 60)  # in SIGN
    walker = [BBox(200 + 30 * i, 150, 240 + 30 * i, 190) for i in range(12)]  # walks into DOOR (x > 320)
    passer = BBox(100, 250, 140, 290)  # stays left of the door: tracked, drawn, not counted
    boxes = [[sign, walker[i], passer] for i in range(12)]
    engine = AnalysisEngine(EngineParts(detector=lambda: _Boxes(boxes)))
    engine.set_zones("c1", (SIGN, DOOR))
    outs, ended = _run(engine, 12)
    first = outs[0].result.faces
    assert len(first) == 2 and all(f.bbox != sign for f in first)  # the sign is not even drawn
    assert not any(f.counted for f in first)  # neither was in the door yet
    last = {f.bbox.x1: f for f in outs[-1].result.faces}
    assert last[walker[-1].x1].counted and not last[passer.x1].counted
    assert len(ended) == 1 and ended[0].frames == 12  # only the walker is a person


def test_without_zones_every_box_is_a_person() -> None:
    boxes = [[BBox(20, 20, 60, 60), BBox(100, 250, 140, 290)] for _ in range(4)]
    engine = AnalysisEngine(EngineParts(detector=lambda: _Boxes(boxes)))
    engine.set_zones("c1", ())
    outs, ended = _run(engine, 4)
    assert len(outs[0].result.faces) == 2 and len(ended) == 2
