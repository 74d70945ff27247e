"""What travels with an export besides the video: the manifest's content and the plain-text summary (for
readers without a JSON viewer)."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import __version__
from app.clips import ffmpeg
from app.clips.index import TimeRange
from app.clips.manifest import FORMAT
from app.clips.naming import utc_iso

NOT_FOUND_NOTE = "the selected person was not found; every face is blurred"
NO_MASK_NOTE = "the mask model was unavailable; boxes are drawn as uncertain"

if TYPE_CHECKING:
    from app.clips.export import CameraExport, ExportRequest


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """What an export was: the request, who made it and when, what each camera gave, the files' entries
    (path, size, SHA-256) and the cameras' names."""

    req: ExportRequest
    user: str
    created: float
    cams: Sequence[CameraExport]
    entries: Sequence[Mapping[str, Any]]
    names: Mapping[str, str]


def _fmt_range(start: float, end: float) -> str:
    return f"{utc_iso(start)} to {utc_iso(end)} ({end - start:.0f} s)"


def summary_text(rec: ExportRecord) -> str:
    req, user, created, cams, entries, names = (
        rec.req,
        rec.user,
        rec.created,
        rec.cams,
        rec.entries,
        rec.names,
    )
    yes = {True: "yes", False: "no"}
    options = export_options(req, cams)
    blur = yes[req.blur_faces]
    if req.blur_faces and req.keep_event is not None:
        if options["keep_event_found"]:
            blur += f" (every face except the person of event #{req.keep_event})"
        else:
            blur += f" ({NOT_FOUND_NOTE.replace('person', f'person (event #{req.keep_event})', 1)})"
    overlays = yes[req.overlays]
    if req.overlays:
        overlays += (
            f" ({NO_MASK_NOTE})" if options.get("mask_verdicts") is False else " (boxes with mask verdicts)"
        )
    lines = [
        "VIGIL EVIDENCE EXPORT",
        "",
        f"Exported:        {utc_iso(created)} by {user} on {socket.gethostname()} (Vigil {__version__})",
        f"Reason:          {req.reason}",
        f"Case reference:  {req.case_ref or '-'}",
        f"Requested range: {_fmt_range(req.start, req.end)}",
        f"Overlays:        {overlays}",
        f"Faces blurred:   {blur}",
        "",
        "CAMERAS",
    ]
    for c in cams:
        lines.append(
            f"- {c.camera_id} ({names.get(c.camera_id, c.camera_id)}): {c.file or 'no recording in range'}"
        )
        if c.method == "stream-copy":
            lines.append(
                "    original stream copied without re-encoding; starts at the keyframe at or before the start"
            )
        elif c.method == "re-encoded":
            lines.append("    decoded and re-encoded (H.264) to blur faces or burn in overlays")
        for r in c.covered:
            lines.append(f"    recorded: {_fmt_range(r.start, r.end)}")
        for g in c.gaps:
            lines.append(f"    GAP (nothing recorded): {_fmt_range(g.start, g.end)}")
        for k in c.skipped:
            lines.append(
                f"    SKIPPED (recording damaged: {k.why}): {k.segment.path}, "
                f"{_fmt_range(max(k.segment.start, req.start), min(k.segment.end, req.end))}"
            )
    lines += ["", "FILES (SHA-256)"]
    lines += [f"  {e['sha256']}  {e['name']}  ({e['bytes']} bytes)" for e in entries]
    lines += [
        "",
        "All times are UTC. manifest.json lists every file with its SHA-256 (this summary included).",
        "Check that nothing changed: vigil verify <this folder>",
        "",
    ]
    return "\n".join(lines)


def manifest_data(rec: ExportRecord) -> dict[str, Any]:
    """The manifest's content, less the export's own file list order (``entries`` as written)."""
    req, user, created, cams, entries, names = (
        rec.req,
        rec.user,
        rec.created,
        rec.cams,
        rec.entries,
        rec.names,
    )

    def rng(r: TimeRange) -> dict[str, Any]:
        return {"start": r.start, "end": r.end, "start_utc": utc_iso(r.start), "end_utc": utc_iso(r.end)}

    return {
        "format": FORMAT,
        "tool": {"name": "vigil", "version": __version__, "ffmpeg": _ffmpeg_version()},
        "created": rng(TimeRange(created, created))["start_utc"],
        "created_by": user,
        "host": socket.gethostname(),
        "reason": req.reason,
        "case_ref": req.case_ref,
        "range": rng(TimeRange(req.start, req.end)),
        "options": export_options(req, cams),
        "cameras": [
            {
                "id": c.camera_id,
                "name": names.get(c.camera_id, c.camera_id),
                "file": c.file,
                "method": c.method,
                "frames": c.frames,
                "covered": [rng(r) for r in c.covered],
                "gaps": [rng(g) for g in c.gaps],
                "skipped_segments": [
                    {**rng(TimeRange(k.segment.start, k.segment.end)), "path": k.segment.path, "why": k.why}
                    for k in c.skipped
                ],
                "source_segments": [
                    {"path": s.path, "start": s.start, "end": s.end, "bytes": s.bytes, "frames": s.frames}
                    for s in c.segments
                ],
            }
            for c in cams
        ],
        "files": entries,
    }


def export_options(req: ExportRequest, cams: Sequence[CameraExport]) -> dict[str, Any]:
    found = [c.person_found for c in cams if c.person_found is not None]
    verdicts = [c.mask_verdicts for c in cams if c.mask_verdicts is not None]
    out: dict[str, Any] = {
        "overlays": req.overlays,
        "blur_faces": req.blur_faces,
        "keep_track": req.keep_track,
        "keep_event": req.keep_event,
    }
    if req.blur_faces and req.keep_event is not None:
        out["keep_event_found"] = bool(found) and all(found)
        if not out["keep_event_found"]:
            out["keep_note"] = NOT_FOUND_NOTE
    if req.overlays and verdicts:
        out["mask_verdicts"] = all(verdicts)
        if not all(verdicts):
            out["mask_note"] = NO_MASK_NOTE
    return out


def _ffmpeg_version() -> str:
    try:
        return ffmpeg.ffmpeg_version()
    except Exception:
        return "none"
