from PySide6.QtWidgets import QMainWindow

from widgets.shell.tray import StationTray


def test_hide_to_tray_is_in_the_view_menu_and_only_hides_where_a_tray_exists(qtbot):
    window = QMainWindow()
    window.menuBar().addMenu("&View").setObjectName("ViewMenu")  # found by name, in any language
    qtbot.addWidget(window)
    window.show()
    tray = StationTray(window)
    view = window.menuBar().actions()[0].menu()
    assert tray.hide_action in view.actions()
    assert tray.hide_action.shortcut().toString() == "Ctrl+H"
    tray.hide_action.setEnabled(True)
    tray.hide_action.trigger()
    # offscreen has no system tray: the window must stay visible rather than vanish with no way back
    assert window.isVisible() == (not tray.available)
    tray.show_window()
    assert window.isVisible()
