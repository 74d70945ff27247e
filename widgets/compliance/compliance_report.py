"""Report from the window: a dialog (sites, range, format, file) and a job on a worker thread with a
non-blocking, cancellable progress dialog. Same checks and output as ``vigil report``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QDateTime, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from app import paths
from app.config import StationConfig
from app.errors import UserError
from app.reports import ReportRequest, ReportResult, run_report
from app.store.compliance_query import SiteInfo
from widgets.compliance.report_pdf import write_pdf
from widgets.i18n import csv_header, error_text

log = logging.getLogger(__name__)


class ReportCancelled(Exception):
    """The operator cancelled the report; no file was written."""


class ReportJob(QObject):
    """Builds and writes one report on the thread pool; ``progressed`` (percent, text), then ``finished``
    (ReportResult) or ``failed`` (one-line message)."""

    progressed = Signal(int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, db_path: Path, request: ReportRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path, self.request = db_path, request
        self._cancel = threading.Event()

    def start(self) -> None:
        job = self

        class _Run(QRunnable):
            def run(self) -> None:
                job._run()

        QThreadPool.globalInstance().start(_Run())

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, fraction: float, message: str) -> None:
        if self._cancel.is_set():
            raise ReportCancelled()
        self.progressed.emit(int(round(fraction * 100)), message)

    def _run(self) -> None:
        try:
            result: ReportResult = run_report(self.db_path, self.request, self._progress, write_pdf)
        except ReportCancelled:
            self.failed.emit(self.tr("report cancelled; no file written"))
        except UserError as exc:
            self.failed.emit(error_text(exc))
        except Exception as exc:  # a bug: logged with its traceback, shown in one line
            log.exception("report failed")
            self.failed.emit(self.tr("internal error: {exc} (details in the log file)").format(exc=error_text(exc)))
        else:
            self.finished.emit(result)


class ReportDialog(QDialog):
    """Choose sites, range, format and file; runs a ``ReportJob`` with a progress dialog."""

    def __init__(
        self,
        db_path: Path,
        sites: Sequence[SiteInfo],
        span: tuple[float, float],
        config: StationConfig,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Compliance report"))
        self.db_path, self.config = db_path, config
        self.job: ReportJob | None = None
        self.sites = QListWidget()
        for s in sites:
            item = QListWidgetItem(s.name)
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setCheckState(Qt.CheckState.Checked)
            self.sites.addItem(item)
        self.start, self.end = QDateTimeEdit(), QDateTimeEdit()
        for edit, t in ((self.start, span[0]), (self.end, span[1])):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(t)))
        self.format = QComboBox()
        self.format.addItems(["pdf", "csv"])
        self.path = QLineEdit(str(paths.data_dir() / f"compliance-{datetime.now():%Y%m%d-%H%M}.pdf"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._on_browse_clicked)
        self.format.currentTextChanged.connect(self._on_format_current_text_changed)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(self.tr("Malls"), self.sites)
        form.addRow(self.tr("From"), self.start)
        form.addRow(self.tr("To"), self.end)
        form.addRow(self.tr("Format"), self.format)
        form.addRow(self.tr("File"), row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.run)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def request(self) -> ReportRequest:
        chosen = tuple(
            self.sites.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.sites.count())
            if self.sites.item(i).checkState() == Qt.CheckState.Checked
        )
        if not chosen:
            raise UserError(self.tr("choose at least one mall"))
        zones = {s.id: s.timezone for s in self.config.sites if s.timezone}
        return ReportRequest(
            start=datetime.fromtimestamp(self.start.dateTime().toSecsSinceEpoch()).astimezone(),
            end=datetime.fromtimestamp(self.end.dateTime().toSecsSinceEpoch()).astimezone(),
            out=Path(self.path.text().strip()),
            fmt=self.format.currentText(),
            sites=chosen,
            zones=zones,
            csv_header=csv_header(),
        )

    def run(self) -> ReportJob | None:
        """Start the job (non-blocking) with a cancellable progress dialog."""
        try:
            request = self.request()
        except UserError as exc:
            QMessageBox.warning(self, self.tr("Report"), error_text(exc))
            return None
        job = self.job = ReportJob(self.db_path, request, self)
        progress = QProgressDialog(self.tr("Reading…"), self.tr("Cancel"), 0, 100, self)
        progress.setWindowTitle(self.tr("Compliance report"))
        progress.setMinimumDuration(300)
        progress.canceled.connect(job.cancel)
        job.progressed.connect(lambda pct, text: (progress.setValue(pct), progress.setLabelText(text)))
        job.finished.connect(lambda result: self._on_job_finished(result, progress))
        job.failed.connect(lambda msg: self._on_job_failed(msg, progress))
        job.start()
        return job

    def _on_job_finished(self, result: ReportResult, progress: QProgressDialog) -> None:
        progress.reset()
        QMessageBox.information(self, self.tr("Report"), self.tr("Wrote {path} ({sites} mall(s)).").format(path=result.path, sites=result.sites))
        self.accept()

    def _on_job_failed(self, message: str, progress: QProgressDialog) -> None:
        progress.reset()
        QMessageBox.warning(self, self.tr("Report"), message)

    def _on_browse_clicked(self) -> None:
        fmt = self.format.currentText()
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save report"), self.path.text(), f"{fmt.upper()} (*.{fmt})"
        )
        if name:
            self.path.setText(name)

    def _on_format_current_text_changed(self, fmt: str) -> None:
        p = Path(self.path.text())
        if p.suffix.lower() in (".pdf", ".csv"):
            self.path.setText(str(p.with_suffix("." + fmt)))
