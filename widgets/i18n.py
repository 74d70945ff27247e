"""Qt translation for the window.

* ``translate(context, text)``: for code outside QObject methods (QObject subclasses use ``self.tr``).
* ``install_language(lang)``: loads ``resources/translations/vigil_<lang>.qm`` (built by
  ``python -m app.tools.build_translations``), sets the default ``QLocale`` (dates, numbers) and, when
  the language changes at run time, re-translates the texts of every open window, menu and dialog.
* ``local_strftime`` / ``number``: dates and numbers in the chosen language's format.

``pyside6-lupdate`` extracts ``self.tr("...")``, ``translate("Context", "...")`` and, in ``app/``,
``QT_TRANSLATE_NOOP("Context", "...")`` (``app/i18n.py``).
"""

from __future__ import annotations

import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from functools import cache

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLibraryInfo,
    QLocale,
    QModelIndex,
    QObject,
    Qt,
    QTranslator,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app import paths
from app.i18n import LANGUAGES, UserText

log = logging.getLogger(__name__)

LOCALES = {"en": QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom),
           "ru": QLocale(QLocale.Language.Russian, QLocale.Country.Russia)}  # fmt: skip


def translate(context: str, text: str) -> str:
    """``text`` in the current language (``context`` is the lupdate context, usually the class name)."""
    return QCoreApplication.translate(context, text)


def catalogue_path(lang: str, suffix: str = "qm") -> str:
    return str(paths.resource("resources", "translations", f"vigil_{lang}.{suffix}"))


@cache
def _pairs(lang: str) -> tuple[tuple[str, str], ...]:
    """(source, translation) of every finished message of ``vigil_<lang>.ts`` (for re-translating texts
    already shown); empty when the .ts is not shipped."""
    try:
        root = ET.parse(catalogue_path(lang, "ts")).getroot()
    except (OSError, ET.ParseError):
        return ()
    out = []
    for m in root.iter("message"):
        src, tr = m.findtext("source") or "", m.find("translation")
        if tr is not None and tr.get("type") not in ("unfinished", "obsolete", "vanished") and tr.text:
            out.append((src, tr.text))
    return tuple(out)


def _mapping(old: str, new: str) -> dict[str, str]:
    """Shown text in ``old`` -> the same text in ``new`` (static texts only; formatted ones are refreshed
    by their owners on the next update)."""
    to_source = {"en": {}} | {lang: {t: s for s, t in _pairs(lang)} for lang in LANGUAGES if lang != "en"}
    from_source = {"en": {}} | {lang: dict(_pairs(lang)) for lang in LANGUAGES if lang != "en"}
    out: dict[str, str] = {}
    for shown, source in to_source.get(old, {}).items():
        out[shown] = from_source.get(new, {}).get(source, source)
    for source, text in from_source.get(new, {}).items():
        out.setdefault(source, text)  # English source shown -> new language
    return out


class _Language(QObject):
    changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.lang = "en"
        self.translators: list[QTranslator] = []  # Vigil's catalogue, then Qt's own (OK, Cancel, ...)


_state: _Language | None = None


def language_state() -> _Language:
    """The process-wide language (``changed(lang)`` is emitted after a run-time switch)."""
    global _state
    if _state is None:
        _state = _Language()
    return _state


def current_language() -> str:
    return language_state().lang


def install_language(lang: str) -> bool:
    """Switch the application to ``lang`` (``en`` or ``ru``); returns False when its catalogue is missing
    (the window then stays English)."""
    state = language_state()
    app = QCoreApplication.instance()
    old = state.lang
    for translator in state.translators:
        if app is not None:
            app.removeTranslator(translator)
    state.translators = []
    ok = True
    if lang != "en":
        translator = QTranslator()
        ok = translator.load(catalogue_path(lang))
        if ok and app is not None:
            app.installTranslator(translator)
            state.translators.append(translator)
            qt_own = QTranslator()  # the standard buttons and dialogs of Qt itself
            if qt_own.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                app.installTranslator(qt_own)
                state.translators.append(qt_own)
    state.lang = lang if ok else "en"
    QLocale.setDefault(LOCALES.get(state.lang, LOCALES["en"]))
    if old != state.lang and isinstance(app, QApplication):
        retranslate_widgets(_mapping(old, state.lang))
        for w in QApplication.topLevelWidgets():
            QCoreApplication.sendEvent(w, QEvent(QEvent.Type.LanguageChange))
    if old != state.lang:
        state.changed.emit(state.lang)
    return ok


def retranslate_widgets(mapping: dict[str, str]) -> None:
    """Re-translate the static texts of every widget, menu and action now shown."""
    if not mapping:
        return

    def tr(text: str) -> str:
        return mapping.get(text, text)

    for w in QApplication.allWidgets():
        try:
            _retranslate(w, tr)
        except (RuntimeError, TypeError):  # a widget being deleted, an odd model: skip it, keep going
            log.debug("cannot re-translate %r", w, exc_info=True)


def _retranslate(w: QWidget, tr: Callable[[str], str]) -> None:
    if w.isWindow() or isinstance(w, QDockWidget):
        w.setWindowTitle(tr(w.windowTitle()))
    if w.toolTip():
        w.setToolTip(tr(w.toolTip()))
    if isinstance(w, QAbstractButton | QLabel):
        w.setText(tr(w.text()))
    if isinstance(w, QLineEdit) and w.placeholderText():
        w.setPlaceholderText(tr(w.placeholderText()))
    if isinstance(w, QGroupBox):
        w.setTitle(tr(w.title()))
    if isinstance(w, QMenu):
        w.setTitle(tr(w.title()))
    if isinstance(w, QTabWidget):
        for i in range(w.count()):
            w.setTabText(i, tr(w.tabText(i)))
    if isinstance(w, QComboBox):
        for i in range(w.count()):
            w.setItemText(i, tr(w.itemText(i)))
    if isinstance(w, QToolBar):
        w.setWindowTitle(tr(w.windowTitle()))
    if isinstance(w, QAbstractItemView) and w.model() is not None:
        model = w.model()
        model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(0, model.columnCount(QModelIndex()) - 1))
        w.viewport().update()
    for a in w.actions():
        a.setText(tr(a.text()))
        if a.toolTip():
            a.setToolTip(tr(a.toolTip()))
        if a.statusTip():
            a.setStatusTip(tr(a.statusTip()))


_STRF = re.compile(r"%[aAbB]")


def local_strftime(fmt: str, when: datetime | time.struct_time | float | None = None) -> str:
    """``strftime`` with day and month names in the chosen language (``%a %A %b %B``)."""
    if when is None:
        when = time.time()
    if isinstance(when, int | float):
        when = datetime.fromtimestamp(when)
    dt = when if isinstance(when, datetime) else datetime(*when[:6])
    loc = QLocale()
    short, long = QLocale.FormatType.ShortFormat, QLocale.FormatType.LongFormat
    names = {"%a": loc.dayName(dt.isoweekday(), short), "%A": loc.dayName(dt.isoweekday(), long),
             "%b": loc.monthName(dt.month, short), "%B": loc.monthName(dt.month, long)}  # fmt: skip
    parts = _STRF.split(fmt)
    tokens = _STRF.findall(fmt)
    out = dt.strftime(parts[0]) if parts[0] else ""
    for token, part in zip(tokens, parts[1:], strict=True):
        out += names[token] + (dt.strftime(part) if part else "")
    return out


def number(value: float, decimals: int = 0) -> str:
    """``value`` with the chosen language's decimal and group separators."""
    return QLocale().toString(float(value), "f", decimals)


def csv_header() -> tuple[str, ...]:
    """The CSV report's column titles in the current language (empty: the English column names)."""
    from app.reports.output import CSV_COLUMNS

    return () if current_language() == "en" else tuple(translate("CsvReport", c) for c in CSV_COLUMNS)


def translated_text(value: object) -> str:
    """A ``UserText`` from ``app/`` in the current language (its fields too); other values as ``str``."""
    if isinstance(value, UserText):
        fields = {k: translated_text(v) if isinstance(v, UserText) else v for k, v in value.fields.items()}
        try:
            return translate("UserError", value.template).format(**fields)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English text
            return str(value)
    return str(value)


def error_text(exc: BaseException) -> str:
    """The message of ``exc`` for the window: translated when ``app/`` raised it with ``user_text``."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return translated_text(first) if isinstance(first, UserText) else str(exc)
