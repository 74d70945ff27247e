"""Vigil core: config, capture, analysis, tracking, event store, clips, CLI. No widgets here."""

__version__ = "0.1.0"
