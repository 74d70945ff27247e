"""Zones in the live station: `vigil run --headless` with a camera whose config has zones (analysis in the
child process, as in production) drops every face inside an exclusion zone."""

import json

from app.__main__ import main
from app.config import CameraConfig, SiteConfig, StationConfig, save_config
from app.zones import Zone, ZoneKind

WHOLE_FRAME = Zone(ZoneKind.EXCLUDE, ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)))


def _run(capsys, tmp_path, zones: tuple[Zone, ...], clip) -> dict:  # noqa: ANN001
    cam = CameraConfig("cam1", "Man", "mall", str(clip), zones=zones)
    path = save_config(
        StationConfig(sites=(SiteConfig("mall", "Mall"),), cameras=(cam,)), tmp_path / "v.toml"
    )
    code = main(["run", "--headless", "--config", str(path), "--db", str(tmp_path / f"e{len(zones)}.sqlite3"),
                 "--json", "--quiet", "--duration", "6"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    report: dict = json.loads(out.out)["per_camera"]["cam1"]
    return report


def test_an_exclusion_zone_over_the_face_leaves_nobody_to_count(shared_data, tmp_path, capsys):
    clip = shared_data / "video" / "man_no_mask_360p.mp4"  # one frontal face in every frame
    plain = _run(capsys, tmp_path, (), clip)
    zoned = _run(capsys, tmp_path, (WHOLE_FRAME,), clip)
    assert plain["faces"] > 0 and plain["frames_analysed"] > 0
    assert zoned["frames_analysed"] > 0 and zoned["faces"] == 0 and zoned["tracks"] == 0
