"""Evidence export: a time range of one or more cameras as MP4 + manifest + summary, audited.

The export is built in a hidden ``.<name>.part`` folder inside the output folder and renamed when complete;
on any failure or cancel the part folder is deleted, so a folder that looks complete always is.
"""

from __future__ import annotations

import dataclasses
import errno
import getpass
import logging
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from app.clips import ffmpeg
from app.clips.cut import CutJob, can_copy, copy_cut, render_cut
from app.clips.export_analysis import AnalysisModels, ExportAnalysis, analyse_cut, default_models
from app.clips.faces import FaceBlurRenderer
from app.clips.index import (
    Segment,
    TimeRange,
    gaps_in,
    merge_ranges,
    nearest_ranges,
    recorded_cameras,
    segments_between,
)
from app.clips.keep import KeepTarget, event_of_track, find_person, keep_target
from app.clips.manifest import MANIFEST_NAME, SUMMARY_NAME, file_entry, sha256_file, sign_manifest, write_json
from app.clips.mp4 import mp4_damage
from app.clips.naming import inside, safe_component, utc_iso, utc_stamp
from app.clips.summary import ExportRecord, manifest_data, summary_text
from app.errors import UserError
from app.security.station_key import StationKey, load_or_create
from app.store.db import connect_readonly

log = logging.getLogger("vigil.clips")


class AuditSink(Protocol):
    """Where exports are recorded (the store's hash-chained audit log, adapted by the caller)."""

    def append(self, actor: str, action: str, target: str, details: dict[str, Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class ExportRequest:
    cameras: tuple[str, ...]
    start: float  # UTC epoch seconds
    end: float
    out_dir: Path
    reason: str
    case_ref: str = ""
    user: str = ""
    overlays: bool = False
    blur_faces: bool = False
    keep_track: int | None = (
        None  # with blur_faces: the stored track id of the person to keep (via its event)
    )
    keep_event: int | None = None  # with blur_faces: the event (id) whose person is left unblurred


@dataclass(frozen=True, slots=True)
class ExportProgress:
    fraction: float  # 0..1 over the whole export
    camera_id: str
    message: str


@dataclass(frozen=True, slots=True)
class SkippedSegment:
    """A recorded segment in the range that was left out because it is damaged (``why``: a short phrase)."""

    segment: Segment
    why: str


@dataclass(frozen=True, slots=True)
class CameraExport:
    camera_id: str
    file: str | None  # None: nothing recorded in the range
    method: str  # "stream-copy", "re-encoded" or "none"
    covered: tuple[TimeRange, ...] = ()
    gaps: tuple[TimeRange, ...] = ()
    segments: tuple[Segment, ...] = ()
    frames: int | None = None
    person_found: bool | None = None  # the kept event's person found in this camera's footage (None: n/a)
    mask_verdicts: bool | None = None  # boxes carry mask verdicts (False: no mask model; None: no analysis)
    skipped: tuple[SkippedSegment, ...] = ()  # damaged segments left out (the rest is exported)


@dataclass(frozen=True, slots=True)
class ExportResult:
    folder: Path
    manifest: Path
    manifest_sha256: str
    cameras: tuple[CameraExport, ...]
    files: tuple[Path, ...] = field(default=())

    @property
    def gaps(self) -> list[tuple[str, TimeRange]]:
        return [(c.camera_id, g) for c in self.cameras for g in c.gaps]

    @property
    def skipped(self) -> list[tuple[str, SkippedSegment]]:
        return [(c.camera_id, s) for c in self.cameras for s in c.skipped]


class Exporter:
    """Runs exports against the recording index in ``db_path`` (its own connection: any thread may call)."""

    def __init__(
        self,
        db_path: Path,
        recordings_dir: Path,
        audit: AuditSink | None = None,
        *,
        camera_names: Mapping[str, str] | None = None,
        models: AnalysisModels | None = None,
        signer: StationKey | None = None,
    ) -> None:
        """``models``: detector and mask model for blurring and overlays (default: ``default_models()``);
        ``signer``: the key that signs manifests (default: the station key, created if absent)."""
        self.db_path = db_path
        self.recordings_dir = recordings_dir
        self.audit = audit
        self.camera_names = dict(camera_names or {})
        self.models = models
        self._signer = signer

    @property
    def signer(self) -> StationKey:
        if self._signer is None:
            self._signer = load_or_create()[0]
        return self._signer

    def run(
        self,
        request: ExportRequest,
        progress: Callable[[ExportProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportResult:
        """Export, audit and return the result; raises UserError (also audited) on bad input or failure."""
        user = request.user or _whoami()
        try:
            result = self._run(request, user, progress, cancel)
        except BaseException as exc:
            self._audit(user, "export_failed", ",".join(request.cameras), _failure_details(request, exc))
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ffmpeg.DiskFullError(
                    f"disk full while exporting to {request.out_dir}; nothing was kept - free space or choose another --out"
                ) from exc
            if isinstance(exc, OSError):
                raise UserError(f"export to {request.out_dir} failed: {exc.strerror or exc}") from exc
            raise
        hashes = {p.name: sha256_file(p) for p in result.files}
        details = {
            **_request_details(request),
            "folder": str(result.folder),
            "manifest_sha256": result.manifest_sha256,
            "signed_by": self.signer.public.fingerprint,
            "files": hashes,
            "gaps": [[cid, g.start, g.end] for cid, g in result.gaps],
            "skipped_damaged": [[cid, k.segment.path, k.why] for cid, k in result.skipped],
        }
        self._audit(user, "export", ",".join(request.cameras), details)
        return result

    def _audit(self, user: str, action: str, target: str, details: dict[str, Any]) -> None:
        if self.audit is None:
            return
        try:
            self.audit.append(user, action, target, details)
        except Exception:
            log.exception("cannot write %s to the audit log", action)
            raise

    # -- the export itself ---------------------------------------------------------------------------------
    def _run(
        self,
        req: ExportRequest,
        user: str,
        progress: Callable[[ExportProgress], None] | None,
        cancel: threading.Event | None,
    ) -> ExportResult:
        plan, target, skipped = self._plan(req)
        signer = self.signer  # before any work: a damaged key fails the export up front
        if target is not None:
            req = dataclasses.replace(req, keep_event=target.event_id)
        out_dir = _prepare_out_dir(req.out_dir)
        name = safe_component(f"vigil_{utc_stamp(req.start)}_{req.case_ref or 'export'}", "vigil_export", 80)
        final = _unique(out_dir, name)
        part = inside(out_dir, f".{final.name}.part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir()
        try:
            cams = self._export_cameras(req, (plan, target, skipped), part, progress, cancel)
            created = time.time()
            videos = [part / c.file for c in cams if c.file]
            entries = [file_entry(p, part) for p in videos]
            record = ExportRecord(req, user, created, cams, entries, self.camera_names)
            (part / SUMMARY_NAME).write_text(summary_text(record), encoding="utf-8")
            entries.append(file_entry(part / SUMMARY_NAME, part))
            manifest = sign_manifest(manifest_data(dataclasses.replace(record, entries=tuple(entries))), signer)
            write_json(part / MANIFEST_NAME, manifest)
            part.rename(final)
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise
        if progress:
            progress(ExportProgress(1.0, "", f"done: {final}"))
        return ExportResult(
            final,
            final / MANIFEST_NAME,
            sha256_file(final / MANIFEST_NAME),
            tuple(cams),
            tuple(final / c.file for c in cams if c.file),
        )

    def _plan(
        self, req: ExportRequest
    ) -> tuple[dict[str, list[Segment]], KeepTarget | None, dict[str, list[SkippedSegment]]]:
        if not req.reason.strip():
            raise UserError("a reason is required: say why this footage is exported (--reason TEXT)")
        if not req.cameras:
            raise UserError("choose at least one camera to export (--camera ID)")
        if req.end <= req.start:
            raise UserError(
                f"reversed or empty time range: {utc_iso(req.start)} is not before {utc_iso(req.end)}; swap --from/--to"
            )
        if not self.db_path.is_file():
            raise UserError(f"no station database at {self.db_path}; record first or give --db PATH")
        db = Database(connect_readonly(self.db_path))
        try:
            known = set(recorded_cameras(db)) | set(self.camera_names)
            plan: dict[str, list[Segment]] = {}
            skipped: dict[str, list[SkippedSegment]] = {}
            for cid in dict.fromkeys(req.cameras):
                if cid not in known:
                    raise UserError(
                        f"unknown camera {cid!r}; cameras with recordings: {', '.join(sorted(known)) or 'none'}"
                    )
                segs = segments_between(db, cid, req.start, req.end)
                present = [s for s in segs if (self.recordings_dir / s.path).is_file()]
                if len(present) < len(segs):
                    log.warning(
                        "export: %d indexed segments of %s are missing on disk", len(segs) - len(present), cid
                    )
                damage = {s.path: mp4_damage(self.recordings_dir / s.path) for s in present}
                skipped[cid] = [SkippedSegment(s, why) for s in present if (why := damage[s.path])]
                for k in skipped[cid]:
                    log.warning("export: %s recording %s is %s; skipped", cid, k.segment.path, k.why)
                plan[cid] = [s for s in present if not damage[s.path]]
            if not any(plan.values()):
                if any(skipped.values()):
                    raise UserError(_all_damaged(skipped, req))
                raise UserError(_nothing_recorded(db, req))
            return plan, _keep(db, req), skipped
        finally:
            db.conn.close()

    def _export_cameras(
        self,
        req: ExportRequest,
        planned: tuple[dict[str, list[Segment]], KeepTarget | None, dict[str, list[SkippedSegment]]],
        part: Path,
        progress: Callable[[ExportProgress], None] | None,
        cancel: threading.Event | None,
    ) -> list[CameraExport]:
        plan, target, skipped = planned
        cams: list[CameraExport] = []
        total = len(plan)
        for n, (cid, segs) in enumerate(plan.items()):
            clipped = _clip(merge_ranges(segs), req)
            bad = tuple(skipped.get(cid, ()))
            # a damaged segment was recorded: its time is listed as skipped, not as a gap
            recorded = _clip(merge_ranges([*segs, *(k.segment for k in bad)]), req)
            gaps = gaps_in(recorded, req.start, req.end)
            if not segs:
                cams.append(CameraExport(cid, None, "none", (), tuple(gaps), skipped=bad))
                continue
            fname = f"{safe_component(cid, 'camera')}_{utc_stamp(req.start)}_{utc_stamp(req.end)}.mp4"
            job = CutJob(tuple(segs), self.recordings_dir, req.start, req.end, inside(part, fname))

            def report(f: float, cid: str = cid, n: int = n) -> None:
                if progress:
                    progress(ExportProgress((n + f) / total, cid, f"{cid}: {int(f * 100)} %"))

            report(0.0)
            done = CameraExport(cid, fname, "stream-copy", tuple(clipped), tuple(gaps), tuple(segs), skipped=bad)
            if (req.overlays or req.blur_faces) or not can_copy(segs):
                keep = target if target is not None and target.camera_id == cid else None
                done = self._render(req, job, keep, done, report, cancel)
            else:
                copy_cut(job, report, cancel)
            if cancel is not None and cancel.is_set():
                raise ffmpeg.CancelledError("export cancelled")
            cams.append(done)
        return cams

    def _render(
        self,
        req: ExportRequest,
        job: CutJob,
        keep: KeepTarget | None,
        done: CameraExport,
        report: Callable[[float], None],
        cancel: threading.Event | None,
    ) -> CameraExport:
        """Re-encode one camera: analyse its frames first (0-50 %) when blurring or drawing boxes."""
        analysis: ExportAnalysis | None = None
        if req.overlays or req.blur_faces:
            models = self.models or default_models()
            analysis = analyse_cut(job, models, lambda f: report(0.5 * f), cancel)

        def render_report(f: float) -> None:
            report(f if analysis is None else 0.5 + 0.5 * f)

        kept = find_person(analysis.frames, keep) if analysis is not None and keep is not None else None
        if keep is not None and kept is None:
            log.warning(
                "export: the person of event #%s was not found on %s: every face is blurred",
                keep.event_id,
                done.camera_id,
            )
        name = self.camera_names.get(done.camera_id, done.camera_id)
        renderer = FaceBlurRenderer(name, analysis, kept, blur=req.blur_faces, overlays=req.overlays)
        frames = render_cut(job, renderer, render_report, cancel)
        return dataclasses.replace(
            done,
            method="re-encoded",
            frames=frames,
            person_found=None if keep is None else kept is not None,
            mask_verdicts=None if analysis is None else analysis.mask_available,
        )


def _keep(db: Database, req: ExportRequest) -> KeepTarget | None:
    """The event whose person stays sharp (``keep_event``, or the event of stored track ``keep_track``)."""
    if not req.blur_faces or (req.keep_event is None and req.keep_track is None):
        return None
    event_id = req.keep_event
    if event_id is None:
        assert req.keep_track is not None
        event_id = event_of_track(db, req.keep_track, req.cameras, req.start, req.end)
    return keep_target(db, event_id, req.cameras, req.start, req.end)


def _clip(ranges: list[TimeRange], req: ExportRequest) -> list[TimeRange]:
    return [TimeRange(max(r.start, req.start), min(r.end, req.end)) for r in ranges]


def _all_damaged(skipped: Mapping[str, list[SkippedSegment]], req: ExportRequest) -> str:
    names = "; ".join(f"{cid}: {k.segment.path} ({k.why})" for cid, ks in skipped.items() for k in ks)
    return (
        f"every recording between {utc_iso(req.start)} and {utc_iso(req.end)} is damaged, nothing to export: {names}"
    )


def _nothing_recorded(db: Database, req: ExportRequest) -> str:
    parts = []
    for cid in req.cameras:
        near = nearest_ranges(db, cid, req.start, req.end)
        where = "; ".join(f"{utc_iso(r.start)} to {utc_iso(r.end)}" for r in near) or "none at all"
        parts.append(f"{cid}: nearest recorded {where}")
    return f"no recording between {utc_iso(req.start)} and {utc_iso(req.end)} ({' | '.join(parts)}); choose a recorded range"


def _prepare_out_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".vigil-write-test-{threading.get_ident()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"cannot write to output folder {out_dir}: {exc.strerror or exc}; choose a writable folder (--out DIR)"
        ) from exc
    return out_dir.resolve()


def _unique(base: Path, name: str) -> Path:
    path = inside(base, name)
    n = 2
    while path.exists() or (base / f".{path.name}.part").exists():
        path = inside(base, f"{name}_{n}")
        n += 1
    return path


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _request_details(req: ExportRequest) -> dict[str, Any]:
    return {
        "reason": req.reason,
        "case_ref": req.case_ref,
        "cameras": list(req.cameras),
        "start": req.start,
        "end": req.end,
        "overlays": req.overlays,
        "blur_faces": req.blur_faces,
        "keep_track": req.keep_track,
        "keep_event": req.keep_event,
    }


def _failure_details(req: ExportRequest, exc: BaseException) -> dict[str, Any]:
    error = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        error = f"disk full: {exc.strerror}"
    return {**_request_details(req), "out_dir": str(req.out_dir), "error": error}
