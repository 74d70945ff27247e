"""The plain-text summary that travels with an export (for readers without a JSON viewer)."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from app import __version__
from app.clips.naming import utc_iso

if TYPE_CHECKING:
    from app.clips.export import CameraExport, ExportRequest


def _fmt_range(start: float, end: float) -> str:
    return f"{utc_iso(start)} to {utc_iso(end)} ({end - start:.0f} s)"


def summary_text(
    req: ExportRequest,
    user: str,
    created: float,
    cams: Sequence[CameraExport],
    entries: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
) -> str:
    yes = {True: "yes", False: "no"}
    blur = yes[req.blur_faces]
    if req.blur_faces and req.keep_track is not None:
        blur += f" (all faces except person track #{req.keep_track})"
    lines = [
        "VIGIL EVIDENCE EXPORT",
        "",
        f"Exported:        {utc_iso(created)} by {user} on {socket.gethostname()} (Vigil {__version__})",
        f"Reason:          {req.reason}",
        f"Case reference:  {req.case_ref or '-'}",
        f"Requested range: {_fmt_range(req.start, req.end)}",
        f"Overlays:        {yes[req.overlays]}",
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
    lines += ["", "FILES (SHA-256)"]
    lines += [f"  {e['sha256']}  {e['name']}  ({e['bytes']} bytes)" for e in entries]
    lines += [
        "",
        "All times are UTC. manifest.json lists every file with its SHA-256 (this summary included).",
        "Check that nothing changed: vigil verify <this folder>",
        "",
    ]
    return "\n".join(lines)
