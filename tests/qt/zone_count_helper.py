"""``python -m tests.qt.zone_count_helper CONFIG CAMERA CLIP``: the people the station counts on CLIP with the
zones CAMERA has in CONFIG and CONFIG's [analysis], as JSON. A child process: MediaPipe must not run where PySide6 was imported."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.config import load_config
from app.evaluation.compliance import count_clip

if __name__ == "__main__":
    config, camera_id, clip = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    station = load_config(config)
    camera = station.camera(camera_id)
    assert camera is not None, camera_id
    print(json.dumps(count_clip(clip, 16, camera.zones, station)))
