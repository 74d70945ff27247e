"""Test media made on the fly: small real video files encoded with OpenCV."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def make_clip(path: Path, frames: int = 30, size: tuple[int, int] = (320, 240), fps: float = 15.0) -> Path:
    """Write an MP4 (mp4v) whose frames carry their index as a moving square and a number."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(frames):
        img = np.full((h, w, 3), 40, np.uint8)
        x = (i * 7) % max(1, w - 40)
        cv2.rectangle(img, (x, h // 3), (x + 40, h // 3 + 40), (0, 200, 255), -1)
        cv2.putText(img, str(i), (10, h - 10), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        writer.write(img)
    writer.release()
    return path
