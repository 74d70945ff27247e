"""How far a live capture has fallen behind its stream, from the stream's own timestamps.

A decoder that cannot keep up reads older and older frames from the socket buffer. Rather than catch
up for tens of seconds (as 16+ streams starting together would), the capture drops the backlog by
reconnecting once the lag passes a limit.
"""

from __future__ import annotations


class LagMonitor:
    """Lag = wall time elapsed - stream time elapsed, since a reference that resets whenever the stream
    runs ahead of the wall clock (the burst of buffered frames right after connecting) or jumps back."""

    def __init__(self) -> None:
        self._ref: tuple[float, float] | None = None  # (monotonic s, stream ms)

    def update(self, now_mono: float, stream_ms: float) -> float:
        """Feed one frame; returns the current lag in seconds (0 when not measurable)."""
        if stream_ms <= 0:
            return 0.0
        if self._ref is None:
            self._ref = (now_mono, stream_ms)
            return 0.0
        t0, s0 = self._ref
        lag = (now_mono - t0) - (stream_ms - s0) / 1000.0
        if lag < 0 or stream_ms < s0:
            self._ref = (now_mono, stream_ms)
            return 0.0
        return lag
