"""Build the window's translations: ``python -m app.tools.build_translations``.

* default: compile ``resources/translations/vigil_<lang>.ts`` into ``.qm`` with ``pyside6-lrelease``
  (``.ci/run`` calls this before the tests; the packages ship the ``.qm`` files);
* ``--update``: first re-extract every ``self.tr`` / ``translate`` / ``QT_TRANSLATE_NOOP`` text of
  ``widgets/`` and ``app/`` into the ``.ts`` files with ``pyside6-lupdate`` (existing translations kept,
  new texts marked unfinished: translate them in Qt Linguist or by hand, then build again).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from app import paths
from app.i18n import LANGUAGES

TRANSLATIONS = paths.resource("resources", "translations")
SOURCES = ("widgets", "app")


def qt_tool(name: str) -> str:
    """``lupdate`` / ``lrelease`` of the installed PySide6 (the venv's ``pyside6-<name>`` wrapper first)."""
    wrapper = Path(sys.executable).with_name(f"pyside6-{name}")
    if wrapper.exists():
        return str(wrapper)
    found = shutil.which(f"pyside6-{name}")
    if found:
        return found
    try:
        import PySide6
    except ImportError as exc:
        raise SystemExit(f"build_translations: PySide6 is not installed ({exc})") from None
    binary = Path(PySide6.__file__).with_name(name)
    if binary.exists():
        return str(binary)
    raise SystemExit(f"build_translations: no pyside6-{name} in this environment")


def source_files(root: Path) -> list[str]:
    """Python files whose texts lupdate extracts (tests and the training code excluded)."""
    out: list[Path] = []
    for top in SOURCES:
        out += [p for p in (root / top).rglob("*.py") if "training" not in p.parts]
    return sorted(str(p.relative_to(root)) for p in out)


def update(root: Path, ts_files: list[Path]) -> None:
    """Re-extract the texts into ``ts_files`` (relative source names, no line numbers: small diffs)."""
    cmd = [qt_tool("lupdate"), "-locations", "none", "-no-obsolete", *source_files(root), "-ts", *map(str, ts_files)]
    subprocess.run(cmd, cwd=root, check=True)


def release(ts: Path, qm: Path) -> None:
    subprocess.run([qt_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.tools.build_translations", description=__doc__.split("\n")[0])
    ap.add_argument("--update", action="store_true", help="re-extract the texts into the .ts files first")
    args = ap.parse_args(argv)
    ts_files = [TRANSLATIONS / f"vigil_{lang}.ts" for lang in LANGUAGES]
    if args.update:
        update(paths.resource(), ts_files)
    for ts in ts_files:
        if not ts.exists():
            print(f"build_translations: {ts} is missing; run with --update", file=sys.stderr)
            return 1
        release(ts, ts.with_suffix(".qm"))
        print(f"built {ts.with_suffix('.qm')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
