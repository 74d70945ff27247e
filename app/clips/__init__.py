"""Recording, pre-roll event clips and evidence export (kept import-light: the store imports ``schema``).

Public API: ``recording.RecordingManager`` / ``recorder.Recorder`` (continuous recording),
``preroll.EventClipper`` / ``PrerollBuffer`` (event clips), ``export.Exporter`` / ``ExportRequest``
(evidence export), ``manifest.verify_manifest``, ``audit.DbAuditSink`` / ``WriterAuditSink``,
``schema.migrate_recordings`` (store migration 4), ``bench.run_clip_bench``.
"""
