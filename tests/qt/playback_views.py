"""The ``PlaybackView`` the playback tests drive: shown at a size, exposed, shut down afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from widgets.playback.view import PlaybackView


def shown_view(
    qtbot,
    db: Path,
    recordings: Path,
    names: dict[str, str] | None = None,
    size: tuple[int, int] = (1200, 700),
) -> Iterator[PlaybackView]:
    """Yield a shown playback view of ``db``/``recordings`` (for a fixture: ``yield from shown_view(...)``)."""
    v = PlaybackView(db, recordings, names) if names is not None else PlaybackView(db, recordings)
    qtbot.addWidget(v)
    v.resize(*size)
    v.show()
    qtbot.waitExposed(v)
    yield v
    v.shut_down()
