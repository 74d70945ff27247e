"""Russian and English at run time: *View > Language* switches the open window, its menus and an open
dialog at once, is remembered in the settings, and dates follow the chosen language."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings, Qt
from PySide6.QtWidgets import QPushButton

from app import paths
from app.domain import Event, EventKind
from app.i18n import choose_language
from tests.qt.scripted_station import ScriptedStation, make_config
from widgets.i18n import current_language, install_language, local_strftime
from widgets.shell.language_menu import SETTING
from widgets.shell.main_window import StationWindow


@pytest.fixture(autouse=True)
def catalogues():
    """The compiled catalogues (``.ci/run`` builds them; built here too for a lone pytest run); English
    again afterwards for the other tests of this process."""
    if not paths.resource("resources", "translations", "vigil_ru.qm").exists():
        from app.tools.build_translations import main

        assert main([]) == 0
    install_language("en")
    yield
    install_language("en")


def _menu_titles(window: StationWindow) -> list[str]:
    return [a.text() for a in window.menuBar().actions()]


def _language_action(window: StationWindow, lang: str):
    return window.actions_.language.by_lang[lang]


def test_view_language_switches_menus_and_an_open_dialog(qtbot, tmp_path: Path) -> None:
    station = ScriptedStation(make_config(4, sites=1))
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    window = StationWindow(station, settings, acknowledge=station.acknowledge)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "&View" in _menu_titles(window) and "&Cameras" in _menu_titles(window)
    manager = window.open_camera_manager()
    assert manager is not None and manager.isVisible()
    assert manager.windowTitle() == "Cameras and sites"

    def buttons() -> set[str]:
        return {b.text() for b in manager.findChildren(QPushButton) if b.text()}

    assert "Add camera" in buttons()
    header = window.event_panel.table.model().headerData(0, Qt.Orientation.Horizontal)
    assert header == "Time"

    _language_action(window, "ru").trigger()  # View > Language > Русский

    assert current_language() == "ru"
    titles = _menu_titles(window)
    assert "&Вид" in titles and "&Камеры" in titles and "&View" not in titles
    assert manager.isVisible() and manager.windowTitle() == "Камеры и объекты"
    assert "Добавить камеру" in buttons() and "Add camera" not in buttons()
    view_menu = window.menuBar().actions()[titles.index("&Вид")].menu()
    assert "Во весь экран" in [a.text() for a in view_menu.actions()]
    assert window.event_panel.table.model().headerData(0, Qt.Orientation.Horizontal) == "Время"
    assert window.event_panel.kind_filter.itemText(0) == "Все события"
    assert window.tabs.tabText(0) == "Видеостена"
    assert window.status.cameras.text().startswith("Камеры: в работе")  # figures redrawn at once
    assert settings.value(SETTING) == "ru"
    from PySide6.QtWidgets import QDialogButtonBox

    buttons_box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)  # Qt's own texts too
    assert buttons_box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Отмена"
    assert _language_action(window, "ru").isChecked() and not _language_action(window, "en").isChecked()
    # a new event is listed in Russian, its time in the Russian locale's format
    station.emit(Event(at=time.time(), camera_id="cam0", kind=EventKind.NO_MASK, track_id=3))
    qtbot.waitUntil(lambda: window.events.rowCount() == 1)
    kind_cell = window.events.data(window.events.index(0, 2))
    assert kind_cell.startswith("Без маски")

    _language_action(window, "en").trigger()

    titles = _menu_titles(window)
    assert "&View" in titles and "&Вид" not in titles
    assert manager.windowTitle() == "Cameras and sites" and "Add camera" in buttons()
    assert window.event_panel.kind_filter.itemText(0) == "All events"
    assert settings.value(SETTING) == "en"


def test_a_remembered_choice_wins_over_the_locale_and_lang_over_both(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    settings.setValue(SETTING, "ru")
    assert choose_language(None, str(settings.value(SETTING)), "en_US.UTF-8") == "ru"
    assert choose_language("en", str(settings.value(SETTING)), "ru_RU.UTF-8") == "en"


def test_dates_and_numbers_follow_the_language() -> None:
    from datetime import datetime

    saturday = datetime(2026, 3, 28, 14, 5)
    assert local_strftime("%a %d %b", saturday) == "Sat 28 Mar"
    assert install_language("ru")
    assert local_strftime("%a %d %b", saturday).startswith("сб 28 ")
    assert "мар" in local_strftime("%d %b", saturday)
    assert QLocale().toString(1234.5, "f", 1) in ("1\xa0234,5", "1 234,5")


def test_an_error_from_the_core_is_shown_in_russian_and_stays_english_for_the_cli(qtbot, tmp_path: Path) -> None:
    from app.security import authenticate, create_first_admin
    from app.security.errors import AuthError
    from app.store import open_db
    from widgets.i18n import error_text

    db = open_db(tmp_path / "vigil.sqlite3")
    try:

        create_first_admin(db, "admin", "correct horse battery")
        with pytest.raises(AuthError) as wrong:
            authenticate(db, "admin", "not the password")
    finally:
        db.close()
    assert str(wrong.value).startswith("wrong user name or password (")  # what the CLI prints
    assert install_language("ru")
    shown = error_text(wrong.value)
    assert shown.startswith("неверное имя пользователя или пароль (до блокировки осталось попыток: ")
    assert shown[-2].isdigit()
