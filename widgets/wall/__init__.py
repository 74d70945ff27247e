"""The video wall: the camera grid and its tiles, overlays, layouts, the camera list and the detached wall window."""
