#!/usr/bin/env bash
# Linux folder build and .deb: dist/vigil/ (PyInstaller, installer/vigil.spec) and dist/vigil_<version>_<arch>.deb.
#   bash installer/build_linux.sh            # folder build + .deb
#   bash installer/build_linux.sh --no-deb   # folder build only
# Python: $PYTHON, else .venv/bin/python (the one `bash .ci/run` makes). PyInstaller comes from the
# `package` extra (pip install -e '.[package]'); it is installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3)
start=$(date +%s)

"$PY" -m PyInstaller --version >/dev/null 2>&1 || "$PY" -m pip install -q -e '.[package]'
# Compiled translations travel inside resources/ (resources/translations/*.qm, not committed): build them
# with the project's script when it is there.
if [ -f app/tools/build_translations.py ]; then "$PY" -m app.tools.build_translations; fi

rm -rf dist/vigil
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller installer/vigil.spec
# Never ship the test data or a developer's caches that a wholesale resources/ copy could carry.
find dist/vigil -name '__pycache__' -type d -prune -exec rm -rf {} +
built=$(date +%s)
echo "folder build: dist/vigil ($(du -sh dist/vigil | cut -f1)) in $((built - start)) s"

if [ "${1:-}" != "--no-deb" ]; then
  bash installer/make_deb.sh dist/vigil
  echo "deb: $(ls dist/*.deb) ($(du -h dist/*.deb | cut -f1 | head -1)) in $(($(date +%s) - built)) s"
fi
echo "build total: $(($(date +%s) - start)) s"
