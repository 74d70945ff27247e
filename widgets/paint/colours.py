"""Colours of the dark control-room theme, for every part of the window (the shell's palette and the
parts' own drawing, such as charts, use the same ones)."""

BASE = "#0b0f14"  # the darkest ground: lists, video, charts
TEXT = "#e6edf3"
MUTED_TEXT = "#c9d1d9"  # axes and secondary text (also the icons' stroke)
