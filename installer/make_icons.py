"""Render resources/icons/vigil.svg to the raster icons the packages need (run once; outputs are committed).

``python installer/make_icons.py`` writes resources/icons/vigil-256.png (the Linux desktop entry's icon)
and resources/icons/vigil.ico (16-256 px, PNG-compressed entries: the Windows executable and installer).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (valid since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
        blobs += png
    return header + entries + blobs


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "vigil.svg"))
    if not renderer.isValid():
        print("make_icons: resources/icons/vigil.svg is not a valid SVG", file=sys.stderr)
        return 1
    (ICONS / "vigil-256.png").write_bytes(render_png(renderer, 256))
    (ICONS / "vigil.ico").write_bytes(ico({s: render_png(renderer, s) for s in ICO_SIZES}))
    print(f"wrote {ICONS / 'vigil-256.png'} and {ICONS / 'vigil.ico'}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
