"""Typed local times (``2026-03-01T14:05:00``, ``2026-03-01 14:05``, ``14:05`` today) to UTC epoch seconds."""

from __future__ import annotations

from datetime import datetime

from app.errors import UserError

FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_local_time(text: str, now: datetime | None = None) -> float:
    """UTC epoch seconds of ``text`` read as local time (an explicit offset, ``Z`` or ``+01:00``, is kept);
    UserError naming the accepted forms otherwise."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        for fmt in FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        for fmt in ("%H:%M:%S", "%H:%M"):
            try:
                t = datetime.strptime(value, fmt)
            except ValueError:
                continue
            base = now or datetime.now()
            parsed = base.replace(hour=t.hour, minute=t.minute, second=t.second, microsecond=0)
            break
    if parsed is None:
        raise UserError(
            f"cannot read the time {text!r}; use local time like 2026-03-01T14:05:00, '2026-03-01 14:05' or 14:05"
        )
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # local time of this machine
    return parsed.timestamp()
