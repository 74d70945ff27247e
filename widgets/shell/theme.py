"""The dark control-room theme and the bundled SVG icons, loaded through app.paths.resource()."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.paths import resource
from widgets.paint.colours import BASE, TEXT


def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg (an empty icon if it is missing)."""
    path = resource("resources", "icons", f"{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()


def apply_theme(app: QApplication) -> None:
    """Fusion style, a dark palette (for widgets the style sheet does not reach) and resources/theme.qss."""
    app.setStyle("Fusion")
    pal = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#11161c",
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: "#161c24",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#1c232c",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: "#1f6feb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#1c232c",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#7d8590",
    }
    for role, value in colours.items():
        pal.setColor(role, QColor(value))
    app.setPalette(pal)
    qss = resource("resources", "theme.qss")
    if qss.is_file():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    app.setWindowIcon(icon("vigil"))
