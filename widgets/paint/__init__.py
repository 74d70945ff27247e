"""Pure painting helpers shared by the wall, the camera manager's zone canvas and playback: face-box overlays and
BGR frames wrapped as QImages (no widgets, no state)."""
