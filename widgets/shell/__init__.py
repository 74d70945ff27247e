"""The station window's shell: main window, menus and actions, status bar, tray, theme, notices; it may import
every part of the window, and no part imports it."""
