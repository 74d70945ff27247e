"""``vigil report --lang ru``: the PDF's texts are Russian and really drawn (pdftotext reads the Cyrillic
back; the bundled DejaVu Sans is embedded, so no empty boxes), the CSV's header row is Russian, and the
CLI's own lines stay English."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.compliance_data import scripted_store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    qm = REPO / "resources" / "translations" / "vigil_ru.qm"
    if not qm.exists():  # .ci/run builds it; a lone pytest run builds it here
        subprocess.run([sys.executable, "-m", "app.tools.build_translations"], cwd=REPO, check=True, timeout=120)
    return scripted_store(tmp_path_factory.mktemp("ru") / "vigil.sqlite3", date(2026, 3, 28), 2, rate_per_min=0.3)


def _report(store: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # the CLI goes offscreen itself
    return subprocess.run(
        [sys.executable, "-m", "app", "report", "--site", "north", "--from", "2026-03-28", "--to", "2026-03-30",
         "--out", str(out), "--db", str(store), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_russian_pdf_report_reads_back_in_cyrillic(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "ru.pdf"
    proc = _report(store, out, "--format", "pdf", "--lang", "ru")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote ") and "page" in proc.stdout  # the CLI itself stays English
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    for words in ("соблюдение масочного режима", "Худшие часы", "Период", "Людей", "В маске", "Без маски"):
        assert words in text, f"{words!r} not in the PDF text:\n{text[:800]}"
    assert "mask compliance" not in text and "Worst hours" not in text
    assert any(day in text for day in ("сб", "вс", "пн")), "day names in Russian on the chart axis"
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True, timeout=60).stdout
        assert "DejaVuSans" in fonts, fonts  # the bundled font, embedded: Cyrillic glyphs, never tofu


def test_russian_csv_header_and_english_default(store: Path, tmp_path: Path) -> None:
    ru, en = tmp_path / "ru.csv", tmp_path / "en.csv"
    assert _report(store, ru, "--lang", "ru").returncode == 0
    assert _report(store, en).returncode == 0
    ru_rows, en_rows = list(csv.reader(ru.open(encoding="utf-8"))), list(csv.reader(en.open(encoding="utf-8")))
    assert ru_rows[0][:3] == ["код_объекта", "объект", "начало_часа_местное"]
    assert en_rows[0][:3] == ["site_id", "site", "hour_start_local"]
    assert ru_rows[1:] == en_rows[1:]  # the same figures; numbers stay machine-readable (dot decimals)
