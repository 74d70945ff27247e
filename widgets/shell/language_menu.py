"""*View > Language*: English or Russian for this station, remembered in the window settings
(``ui/language``) and applied at once to every open window and dialog."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from app.i18n import LANGUAGE_NAMES, LANGUAGES
from widgets.i18n import current_language, install_language, language_state

SETTING = "ui/language"


class LanguageMenu(QObject):
    """The *Language* sub-menu of ``view``; the language names are written in their own language."""

    def __init__(self, view: QMenu, settings: QSettings) -> None:
        super().__init__(view)
        self.settings = settings
        self.menu = view.addMenu(self.tr("Language"))
        self.menu.setObjectName("LanguageMenu")
        self.group = QActionGroup(self.menu)
        self.group.setExclusive(True)
        self.by_lang: dict[str, QAction] = {}
        for lang in LANGUAGES:
            action = QAction(LANGUAGE_NAMES[lang], self.menu)
            action.setCheckable(True)
            action.setData(lang)
            action.triggered.connect(lambda _=False, lang=lang: self.choose(lang))
            self.group.addAction(action)
            self.menu.addAction(action)
            self.by_lang[lang] = action
        language_state().changed.connect(self._on_language_changed)
        self._on_language_changed(current_language())

    def choose(self, lang: str) -> None:
        """Remember ``lang`` and switch the running application to it."""
        self.settings.setValue(SETTING, lang)
        install_language(lang)
        self._on_language_changed(current_language())

    def _on_language_changed(self, lang: str) -> None:
        for code, action in self.by_lang.items():
            action.setChecked(code == lang)
