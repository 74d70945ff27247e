"""Every user-visible text of the window has a finished Russian translation: the texts ``pyside6-lupdate``
extracts from ``widgets/`` and ``app/`` now are compared with ``resources/translations/vigil_ru.ts``;
and no text in a Qt text call is left unwrapped (a literal that lupdate cannot see)."""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from app.i18n import choose_language, system_language
from app.tools.build_translations import qt_tool, source_files

REPO = Path(__file__).resolve().parents[2]
RU_TS = REPO / "resources" / "translations" / "vigil_ru.ts"
FIELD = re.compile(r"\{([A-Za-z_0-9]*)(?:[:!][^{}]*)?\}|%\d")


def _messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts).getroot()
    out = {}
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        for m in ctx.iter("message"):
            out[(name, m.findtext("source") or "")] = m
    return out


def _extract(tmp_path: Path) -> set[tuple[str, str]]:
    out = tmp_path / "extracted.ts"
    import subprocess

    subprocess.run(
        [qt_tool("lupdate"), "-locations", "none", *source_files(REPO), "-ts", str(out)],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return set(_messages(out))


def test_every_extracted_text_has_a_finished_russian_translation(tmp_path: Path) -> None:
    extracted = _extract(tmp_path)
    assert len(extracted) > 300  # the window really is wrapped (462 texts when this was written)
    ru = _messages(RU_TS)
    problems = []
    for key in sorted(extracted):
        m = ru.get(key)
        tr = None if m is None else m.find("translation")
        if tr is None or tr.get("type") in ("unfinished", "obsolete", "vanished") or not (tr.text or "").strip():
            problems.append(f"no Russian for {key[0]}: {key[1]!r}")
        elif not set(FIELD.findall(tr.text or "")) <= set(FIELD.findall(key[1])):  # may drop one, never invent
            problems.append(f"unknown placeholder in {key[0]}: {key[1]!r} -> {tr.text!r}")
    assert not problems, (
        "run `python -m app.tools.build_translations --update`, translate the new texts in "
        "resources/translations/vigil_ru.ts, then build again:\n" + "\n".join(problems)
    )


# Qt calls whose string arguments a user reads; a literal there must go through self.tr()/translate()
TEXT_CALLS = {
    "setText", "setWindowTitle", "setToolTip", "setStatusTip", "setPlaceholderText", "setTitle",
    "setLabelText", "addMenu", "addTab", "setTabText", "addRow", "notify", "showMessage", "information",
    "warning", "critical", "question", "setHorizontalHeaderLabels", "setHeaderLabels", "QLabel",
    "QPushButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction", "QToolButton", "QMenu", "addAction",
    "setSuffix", "setPrefix", "setSpecialValueText", "QToolBar",
}  # fmt: skip
NOT_TEXT = re.compile(r"^([a-z0-9_.\-/:#%]*|((Ctrl|Shift|Alt)\+)+.*|F\d+|[A-Z0-9]|Vigil|\W*)$")


def _unwrapped(path: Path, text: str | None = None) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in TEXT_CALLS or (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                                      and func.value.id in ("log", "logging", "logger")):
            continue
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not NOT_TEXT.match(arg.value):
                found.append(f"{path.name}:{arg.lineno}: {arg.value!r}")
            elif isinstance(arg, ast.JoinedStr) and any(
                isinstance(v, ast.Constant) and re.search(r"[A-Za-z]{2}", str(v.value)) for v in arg.values
            ):
                found.append(f"{path.name}:{arg.lineno}: f-string (use self.tr(...).format())")
    return found


def test_no_literal_text_left_outside_the_translation_calls() -> None:
    sample = 'b.setText("Save")\nm.addMenu(f"Walls {n}")\nb.setText(self.tr("Ok"))\nb.setShortcut("Ctrl+S")\n'
    assert len(_unwrapped(Path("sample.py"), sample)) == 2  # the check itself finds what it must
    found = [line for p in sorted((REPO / "widgets").rglob("*.py")) for line in _unwrapped(p)]
    assert not found, "wrap these in self.tr() / translate():\n" + "\n".join(found)


def test_language_choice_order() -> None:
    assert choose_language("ru", "en", "en_GB.UTF-8") == "ru"  # --lang wins
    assert choose_language(None, "ru", "en_GB.UTF-8") == "ru"  # then View > Language
    assert choose_language(None, None, "ru_RU.UTF-8") == "ru"  # then the system locale
    assert choose_language(None, "fr", "de_DE") == "en"
    assert system_language("ru-RU") == "ru" and system_language("C") == "en" and system_language("") == "en"


def test_russian_catalogue_is_marked_russian() -> None:
    assert ET.parse(RU_TS).getroot().get("language") == "ru_RU"
