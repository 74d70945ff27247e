"""Playback of recordings in the station window: the playback view (synchronised tiles), its time bar and the
bookmark and evidence-lock dialogs."""
