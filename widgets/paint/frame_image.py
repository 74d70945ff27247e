"""Wrap a BGR numpy frame in a QImage without copying it.

The QImage borrows the array's buffer, so the array must outlive it: ``BorrowedImage`` keeps both together
and the tile drops them together. Created and used on the GUI thread only (never sent across threads).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from app.domain import Frame


class BorrowedImage:
    """A QImage over ``frame.image``'s memory plus the frame that owns that memory."""

    __slots__ = ("frame", "array", "image")

    def __init__(self, frame: Frame) -> None:
        arr = frame.image
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8 or not arr.flags.c_contiguous:
            # Odd producers (a crop, a grey frame) get one copy; capture always gives contiguous BGR.
            arr = np.ascontiguousarray(_as_bgr(arr))
        self.frame = frame
        self.array = arr  # the QImage below points into this buffer: keep it alive as long as the image
        h, w = arr.shape[:2]
        self.image = QImage(arr.data, w, h, int(arr.strides[0]), QImage.Format.Format_BGR888)

    def points_at_array(self) -> bool:
        """True when the QImage's pixels are the array's memory (no copy was made)."""
        return _address(self.image) == int(self.array.ctypes.data)


def _as_bgr(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return arr[:, :, :3].astype(np.uint8)
    return arr.astype(np.uint8)


def _address(image: QImage) -> int:
    bits = image.constBits()
    return int(np.frombuffer(bits, np.uint8).ctypes.data) if bits is not None else 0
