"""The compliance tab: its query, view, timeline and the CSV/PDF report (Qt's PDF writer)."""
