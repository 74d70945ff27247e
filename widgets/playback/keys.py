"""The playback view's keys (listed in the README): taken before the window's shortcuts while the view has
the focus (``Space`` acknowledges on the wall; here it plays), with no modifier but Shift."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from widgets.playback.view import PlaybackView

KEYS = {
    Qt.Key.Key_Space, Qt.Key.Key_Comma, Qt.Key.Key_Period, Qt.Key.Key_Left, Qt.Key.Key_Right,
    Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight, Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus,
    Qt.Key.Key_R, Qt.Key.Key_E, Qt.Key.Key_M, Qt.Key.Key_G, Qt.Key.Key_Escape, Qt.Key.Key_Backspace,
}  # fmt: skip


def key_action(view: PlaybackView, key: Qt.Key, shift: bool) -> Callable[[], object] | None:
    """What ``key`` (with Shift or not) does in ``view``; None: not a playback key."""
    actions: dict[Qt.Key, Callable[[], object]] = {
        Qt.Key.Key_Space: view.toggle_play,
        Qt.Key.Key_Comma: lambda: view.step(-1),
        Qt.Key.Key_Period: lambda: view.step(1),
        Qt.Key.Key_Left: lambda: view.jump(-60 if shift else -10),
        Qt.Key.Key_Right: lambda: view.jump(60 if shift else 10),
        Qt.Key.Key_BracketLeft: view.set_in,
        Qt.Key.Key_BracketRight: view.set_out,
        Qt.Key.Key_Backspace: view.clear_marks,
        Qt.Key.Key_Plus: lambda: view.change_speed(True),
        Qt.Key.Key_Equal: lambda: view.change_speed(True),
        Qt.Key.Key_Minus: lambda: view.change_speed(False),
        Qt.Key.Key_R: view.play_reverse,
        Qt.Key.Key_E: view.request_export,
        Qt.Key.Key_M: view.request_bookmark,
        Qt.Key.Key_G: view.focus_goto,
        Qt.Key.Key_Escape: view.live_requested.emit,
    }
    return actions.get(key)
