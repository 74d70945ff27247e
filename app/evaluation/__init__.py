"""Evaluation of what the station reports against human truth (``vigil eval-compliance``)."""
