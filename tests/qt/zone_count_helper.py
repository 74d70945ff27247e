"""``python -m tests.qt.zone_count_helper CONFIG CAMERA CLIP CAMERAS POLYGON``: the people the station counts
on CLIP with the zones CAMERA has in CONFIG and CONFIG's [analysis], for a station of CAMERAS cameras, and
the faces it shows centred inside / outside POLYGON (JSON list of normalised [x, y]), as JSON. A child
process: MediaPipe must not run where PySide6 was imported."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.config import load_config
from app.domain import FrameResult, MaskState
from app.evaluation.compliance import count_clip
from app.zones import Zone, ZoneKind

if __name__ == "__main__":
    config, camera_id, clip = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    cameras, polygon = int(sys.argv[4]), Zone(ZoneKind.EXCLUDE, tuple(map(tuple, json.loads(sys.argv[5]))))
    station = load_config(config)
    camera = station.camera(camera_id)
    assert camera is not None, camera_id
    faces = {"faces_in": 0, "mask_faces_in": 0, "faces_out": 0}

    def observe(result: FrameResult) -> None:
        w, h = result.frame_size
        for f in result.faces:
            cx, cy = f.bbox.center
            inside = polygon.contains(cx / w, cy / h)
            faces["faces_in" if inside else "faces_out"] += 1
            faces["mask_faces_in"] += inside and f.mask is MaskState.MASK

    counts = count_clip(clip, cameras, camera.zones, station, observe)
    print(json.dumps({**counts, **faces}))
