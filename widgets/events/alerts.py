"""Alerts on a new unmasked person: a sound and/or a flashing tile, both configurable (QSettings)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QUrl
from PySide6.QtWidgets import QApplication

from app.paths import data_dir, resource

ALERT_WAV = ("resources", "sounds", "alert.wav")


def write_alert_wav(path: Path, rate: int = 22050) -> Path:
    """Synthesise the alert: two short descending tones with soft edges (how resources/sounds was made)."""
    frames = bytearray()
    for freq, dur in ((1175.0, 0.16), (0.0, 0.05), (880.0, 0.22)):
        n = int(rate * dur)
        for i in range(n):
            env = min(1.0, i / (0.01 * rate), (n - i) / (0.03 * rate))
            frames += struct.pack("<h", int(0.45 * 32767 * env * math.sin(2 * math.pi * freq * i / rate)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


class AlertSettings:
    """Whether a new unmasked person flashes its tile and/or plays a sound."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    @property
    def sound(self) -> bool:
        return _bool(self._settings.value("alerts/sound", False))

    @sound.setter
    def sound(self, on: bool) -> None:
        self._settings.setValue("alerts/sound", on)

    @property
    def flash(self) -> bool:
        return _bool(self._settings.value("alerts/flash", True))

    @flash.setter
    def flash(self, on: bool) -> None:
        self._settings.setValue("alerts/flash", on)


class AlertSound(QObject):
    """Plays the alert WAV through QtMultimedia; falls back to the system beep if that is unavailable."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._effects: dict[str, object] = {}
        self.played = 0

    def play(self, sound_file: str = "") -> None:
        """The default alert, or ``sound_file`` (a WAV, e.g. a watchlist's own sound) when it exists."""
        self.played += 1
        key = sound_file if sound_file and Path(sound_file).is_file() else ""
        effect = self._effects.get(key)
        if effect is None:
            effect = self._effects[key] = self._load(key)
        if effect is not None:
            effect.play()
        else:
            QApplication.beep()

    def _load(self, sound_file: str = ""):  # noqa: ANN202
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError:
            return None
        path = Path(sound_file) if sound_file else resource(*ALERT_WAV)
        if not path.is_file():
            path = write_alert_wav(data_dir() / "alert.wav")
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(str(path)))
        effect.setVolume(0.8)
        return effect


def _bool(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")
