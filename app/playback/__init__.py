"""Playback of recorded video: recording index lookup, key-frame seeking, a background decoder per camera,
one sync clock for many cameras, stored-event overlays, bookmarks and evidence locks."""
