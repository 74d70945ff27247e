"""Qt translation for the window: ``translate(context, text)`` for code outside QObject methods, loading
the compiled catalogues (``resources/translations/vigil_<lang>.qm``) and switching language at run time.

``pyside6-lupdate`` extracts ``self.tr("...")``, ``translate("Context", "...")`` and, in ``app/``,
``QT_TRANSLATE_NOOP("Context", "...")`` (see ``app/i18n.py``).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def translate(context: str, text: str) -> str:
    """``text`` in the current language (``context`` is the lupdate context, usually the class name)."""
    return QCoreApplication.translate(context, text)
