"""A real station for tests: clips as cameras of one mall, analysed in a child process (no mask model)."""

from __future__ import annotations

from pathlib import Path

from app.bootstrap import LiveStation, StationOptions
from app.config import AnalysisConfig, CameraConfig, SiteConfig, StationConfig


def process_station(
    clips: list[Path], tmp_path: Path, analysis_fps: float, analysis: AnalysisConfig | None = None
) -> LiveStation:
    """A started ``LiveStation``: one camera per clip, one analysis process, events without clips."""
    cfg = StationConfig(
        sites=(SiteConfig("m", "Mall"),),
        cameras=tuple(
            CameraConfig(f"cam{i + 1}", f"Camera {i + 1}", "m", str(c), analysis_fps=analysis_fps)
            for i, c in enumerate(clips)
        ),
        analysis=analysis or AnalysisConfig(),
    )
    options = StationOptions(
        db_path=tmp_path / "e.db",
        analysis_mode="process",
        analysis_processes=1,
        mask_enabled=False,
        event_clips=False,
        media_dir=tmp_path,
    )
    return LiveStation(cfg, options).start()
