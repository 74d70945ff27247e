"""ExportDialog: cut recorded video of some cameras and a time range into an evidence package.

The dialog only collects the request and shows progress; ``app.clips.export.Exporter`` does the work (in a
background thread), writes the manifest and audits every export and every failure.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.clips.export import Exporter, ExportProgress, ExportRequest, ExportResult
from app.clips.ffmpeg import CancelledError
from app.errors import UserError
from widgets.i18n import error_text

log = logging.getLogger(__name__)
Authorise = Callable[[], str]  # returns the acting user, or raises UserError (PermissionDenied)


class _JobSignals(QObject):
    """Lives on the GUI thread; the worker emits, so the connections are queued."""

    progressed = Signal(object)  # ExportProgress
    succeeded = Signal(object)  # ExportResult
    failed = Signal(str, bool)  # message, cancelled


class ExportDialog(QDialog):
    """``ExportDialog(exporter, cameras, selected, start, end, out_dir, authorise)``; ``cameras`` are
    (id, name) pairs; times are UTC epoch seconds, shown in local time to the second. Opened from an event,
    ``keep_event`` (its stored id) offers to keep that event's person sharp while every other face is blurred."""

    exported = Signal(object)  # ExportResult

    def __init__(
        self,
        exporter: Exporter,
        cameras: Sequence[tuple[str, str]],
        selected: Sequence[str],
        span: tuple[float, float],
        out_dir: Path,
        authorise: Authorise | None = None,
        parent: QWidget | None = None,
        *,
        keep_event: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export evidence"))
        self.setObjectName("ExportDialog")
        self._exporter = exporter
        self._authorise = authorise
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self.result_: ExportResult | None = None
        self._signals = _JobSignals(self)
        self._signals.progressed.connect(self._on_job_progressed)
        self._signals.succeeded.connect(self._on_job_succeeded)
        self._signals.failed.connect(self._on_job_failed)

        self.camera_list = QListWidget()
        for cid, name in cameras:
            item = QListWidgetItem(f"{name}  ({cid})" if name != cid else cid)
            item.setData(Qt.ItemDataRole.UserRole, cid)
            item.setCheckState(Qt.CheckState.Checked if cid in selected else Qt.CheckState.Unchecked)
            self.camera_list.addItem(item)
        self.camera_list.setMaximumHeight(110)
        start, end = span
        self.from_edit, self.to_edit = _time_edit(math.floor(start)), _time_edit(math.ceil(end))
        self.utc_label = QLabel()
        self.utc_label.setObjectName("ExportUtc")
        self.from_edit.dateTimeChanged.connect(self._update_utc)
        self.to_edit.dateTimeChanged.connect(self._update_utc)
        self.overlays_check = QCheckBox(self.tr("Burn in time, camera name and face boxes"))
        self.blur_check = QCheckBox(self.tr("Blur every face"))
        self._keep_event = keep_event
        self.keep_check = QCheckBox(self.tr("Keep this person sharp (event #{keep_event})").format(keep_event=keep_event))
        self.keep_check.setObjectName("ExportKeepPerson")
        self.keep_check.setToolTip(
            self.tr("The person of this event stays recognisable in the whole clip; every other face is covered.")
        )
        self.keep_check.setChecked(keep_event is not None)
        self.keep_check.setVisible(keep_event is not None)
        self.keep_check.setEnabled(False)
        self.blur_check.toggled.connect(self._on_blur_check_toggled)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("required, e.g. theft reported by shop 12"))
        self.case_edit = QLineEdit()
        self.case_edit.setPlaceholderText(self.tr("optional, e.g. PD-2025/0412"))
        self.out_edit = QLineEdit(str(out_dir))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._on_browse_clicked)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)

        form = QFormLayout()
        form.addRow(self.tr("Cameras"), self.camera_list)
        form.addRow(self.tr("From (local)"), self.from_edit)
        form.addRow(self.tr("To (local)"), self.to_edit)
        form.addRow("", self.utc_label)
        form.addRow(self.tr("Options"), self.overlays_check)
        form.addRow("", self.blur_check)
        form.addRow("", self.keep_check)
        form.addRow(self.tr("Reason"), self.reason_edit)
        form.addRow(self.tr("Case reference"), self.case_edit)
        form.addRow(self.tr("Save in"), out_row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.message = QLabel(self.tr("Every export is written to the audit log with your name and the reason."))
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton(self.tr("Export"))
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.close_button = QPushButton(self.tr("Close"))
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button.clicked.connect(self.close)
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._update_utc()
        self.resize(560, self.sizeHint().height())

    # ----- request ------------------------------------------------------------------------------------
    def selected_cameras(self) -> tuple[str, ...]:
        items = (self.camera_list.item(i) for i in range(self.camera_list.count()))
        return tuple(
            str(it.data(Qt.ItemDataRole.UserRole)) for it in items if it.checkState() == Qt.CheckState.Checked
        )

    def time_range(self) -> tuple[float, float]:
        """(start, end) as UTC epoch seconds."""
        return float(self.from_edit.dateTime().toSecsSinceEpoch()), float(
            self.to_edit.dateTime().toSecsSinceEpoch()
        )

    def request(self, user: str = "") -> ExportRequest:
        start, end = self.time_range()
        return ExportRequest(
            cameras=self.selected_cameras(),
            start=start,
            end=end,
            out_dir=Path(self.out_edit.text().strip()).expanduser(),
            reason=self.reason_edit.text().strip(),
            case_ref=self.case_edit.text().strip(),
            user=user,
            overlays=self.overlays_check.isChecked(),
            blur_faces=self.blur_check.isChecked(),
            keep_event=self.kept_event(),
        )

    def kept_event(self) -> int | None:
        """The event whose person stays sharp, or None (opened from a camera, unchecked, or no blurring)."""
        if self._keep_event is None or not self.blur_check.isChecked() or not self.keep_check.isChecked():
            return None
        return self._keep_event

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ----- run ----------------------------------------------------------------------------------------
    def start_export(self) -> bool:
        """Check the form and the user's right to export, then run the export in a background thread."""
        if self.running:
            return False
        if not self.reason_edit.text().strip():
            self._show_error(self.tr("A reason is required: say why this footage is exported."))
            self.reason_edit.setFocus()
            return False
        if not self.selected_cameras():
            self._show_error(self.tr("Choose at least one camera."))
            return False
        if not self.out_edit.text().strip():
            self._show_error(self.tr("Choose the folder to save the export in."))
            return False
        try:
            user = self._authorise() if self._authorise is not None else ""
        except UserError as exc:
            self._show_error(error_text(exc))
            return False
        request = self.request(user)
        self._cancel = threading.Event()
        self.result_ = None
        self._set_running(True)
        self.message.setStyleSheet("")
        self.message.setText(self.tr("Exporting…"))
        self._thread = threading.Thread(
            target=self._run, args=(request, self._cancel), name="vigil-export", daemon=True
        )
        self._thread.start()
        return True

    def cancel_export(self) -> None:
        if self._cancel is not None and self.running:
            self._cancel.set()
            self.message.setText(self.tr("Cancelling…"))
            self.cancel_button.setEnabled(False)

    def wait(self, timeout: float = 30.0) -> bool:
        """Join the worker (tests, and closing the dialog while an export is still cancelling)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self, request: ExportRequest, cancel: threading.Event) -> None:
        """Worker thread: never touches a widget; reports through queued signals."""
        try:
            result = self._exporter.run(request, self._emit_progress, cancel)
        except CancelledError:
            self._emit(self._signals.failed, self.tr("Export cancelled; nothing was kept."), True)
        except UserError as exc:
            self._emit(self._signals.failed, error_text(exc), False)
        except Exception as exc:  # a bug: logged with its traceback, shown in one line
            log.exception("export failed")
            self._emit(
                self._signals.failed, self.tr("Export failed ({name}: {exc}); see the log.").format(name=type(exc).__name__, exc=error_text(exc)), False
            )
        else:
            self._emit(self._signals.succeeded, result)

    def _emit_progress(self, p: ExportProgress) -> None:
        self._emit(self._signals.progressed, p)

    @staticmethod
    def _emit(signal, *args: object) -> None:  # noqa: ANN001 (SignalInstance)
        with contextlib.suppress(RuntimeError):  # the dialog was deleted meanwhile
            signal.emit(*args)

    # ----- results (GUI thread) -----------------------------------------------------------------------
    def _on_job_progressed(self, p: ExportProgress) -> None:
        self.progress.setValue(int(p.fraction * 1000))
        self.progress.setFormat(f"{p.fraction * 100:.0f} %  {p.camera_id}")

    def _on_job_succeeded(self, result: ExportResult) -> None:
        self._set_running(False)
        self.result_ = result
        self.progress.setValue(1000)
        lines = [self.tr("Saved in {folder}").format(folder=result.folder), self.tr("Manifest SHA-256 {manifest_sha256}").format(manifest_sha256=result.manifest_sha256)]
        if any(c.person_found is False for c in result.cameras):
            lines.append(self.tr("The selected person was not found; every face is blurred."))
        if any(c.mask_verdicts is False for c in result.cameras):
            lines.append(self.tr("The mask model was unavailable; boxes are drawn as uncertain."))
        for cid, gap in result.gaps:
            lines.append(self.tr("Not recorded on {cid}: {time} – {time2}").format(cid=cid, time=_local(gap.start), time2=_local(gap.end)))
        for cid, k in result.skipped:
            lines.append(self.tr("Skipped a damaged recording on {cid}: {time} – {time2} ({file}: {why})").format(
                cid=cid, time=_local(k.segment.start), time2=_local(k.segment.end), file=Path(k.segment.path).name, why=k.why))  # fmt: skip
        self.message.setStyleSheet("color: #7ee787")
        self.message.setText("\n".join(lines))
        self.export_button.setText(self.tr("Export again"))
        self.exported.emit(result)

    def _on_job_failed(self, message: str, cancelled: bool) -> None:
        self._set_running(False)
        self.progress.hide()
        if cancelled:
            self.message.setStyleSheet("")
            self.message.setText(message)
        else:
            self._show_error(message)

    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet("color: #ff7b72")
        self.message.setText(text[:1].upper() + text[1:])

    def _set_running(self, on: bool) -> None:
        self.progress.setVisible(on or self.progress.value() > 0)
        if on:
            self.progress.setValue(0)
        self.export_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        for w in (self.camera_list, self.from_edit, self.to_edit, self.reason_edit, self.case_edit):
            w.setEnabled(not on)
        for check in (self.overlays_check, self.blur_check):
            check.setEnabled(not on)
        self.keep_check.setEnabled(not on and self.blur_check.isChecked())

    def _on_blur_check_toggled(self, on: bool) -> None:
        self.keep_check.setEnabled(on and not self.running)

    def _update_utc(self, *_: object) -> None:
        start, end = self.time_range()
        self.utc_label.setText(self.tr("UTC {time} → {time2}  ({seconds:.0f} s)").format(time=_utc(start), time2=_utc(end), seconds=max(0.0, end - start)))

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save the export in"), self.out_edit.text())
        if folder:
            self.out_edit.setText(folder)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        if self.running:  # closing cancels: a half export is deleted by the Exporter
            self.cancel_export()
        super().closeEvent(event)


def _time_edit(epoch: float) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(epoch)))  # local time, as on the wall
    edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
    edit.setCalendarPopup(True)
    return edit


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _local(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")
