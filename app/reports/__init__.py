"""Compliance reports (``vigil report`` and the window's Report button): CSV here, PDF in
``widgets/compliance/report_pdf.py`` (Qt's PDF writer), both written atomically.

``run_report(db_path, request, progress, pdf_writer)`` checks the request, builds one ``SiteReport`` per
site and writes the file; ``progress(fraction, message)`` is called as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.reports.model import Progress, SiteReport, build_site_report
from app.reports.output import atomic_path, write_csv
from app.reports.request import FORMATS, ReportRequest, parse_time, resolve
from app.store.compliance_query import ComplianceReader

PdfWriter = Callable[[Sequence[SiteReport], Path, Callable[[float], None]], int]

__all__ = [
    "FORMATS",
    "PdfWriter",
    "Progress",
    "ReportRequest",
    "ReportResult",
    "SiteReport",
    "atomic_path",
    "build_reports",
    "parse_time",
    "run_report",
    "write_csv",
]

BUILD_SHARE = 0.8  # of the progress bar; the rest is writing the file


@dataclass(frozen=True, slots=True)
class ReportResult:
    path: Path
    sites: int
    rows: int  # CSV rows or PDF pages


def build_reports(reader: ComplianceReader, request: ReportRequest, progress: Progress) -> list[SiteReport]:
    plan = resolve(reader, request)
    reports = []
    for i, (site, zone, span) in enumerate(plan):

        def step(f: float, i: int = i, name: str = site.name) -> None:
            progress(BUILD_SHARE * (i + f) / len(plan), f"reading {name}")

        step(0.0)
        reports.append(build_site_report(reader, site, zone, span, step))
    return reports


def run_report(
    db_path: Path | str,
    request: ReportRequest,
    progress: Progress | None = None,
    pdf_writer: PdfWriter | None = None,
) -> ReportResult:
    """Check, build and write one report file (``UserError`` on bad input; no partial file ever)."""
    report = progress or (lambda f, m: None)
    if request.fmt == "pdf" and pdf_writer is None:
        raise ValueError("a PDF report needs a pdf_writer (widgets.compliance.report_pdf.write_pdf)")
    with ComplianceReader(db_path) as reader:
        reports = build_reports(reader, request, report)

    def writing(f: float) -> None:
        report(BUILD_SHARE + (1 - BUILD_SHARE) * f, f"writing {request.out.name}")

    if request.fmt == "pdf":
        assert pdf_writer is not None
        rows = pdf_writer(reports, request.out.expanduser(), writing)
    else:
        rows = write_csv(reports, request.out.expanduser(), writing, request.csv_header)
    report(1.0, "done")
    return ReportResult(request.out.expanduser(), len(reports), rows)
