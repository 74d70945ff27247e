#!/usr/bin/env bash
# dist/vigil_<version>_<arch>.deb ($DEB_OUT) from the folder build: /opt/vigil (the bundle), /usr/bin/vigil (a wrapper),
# a desktop entry and the icon. Needs only dpkg-deb (no Python): bash installer/make_deb.sh [dist/vigil]
# The package holds no user data: settings, database, recordings and the station key live in each user's
# ~/.config/vigil and ~/.local/share/vigil (app/paths.py), which dpkg never touches (remove, purge, upgrade).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${1:-dist/vigil}
[ -x "$BUNDLE/vigil" ] || { echo "make_deb: no folder build at $BUNDLE (run installer/build_linux.sh)" >&2; exit 2; }
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -1)
ARCH=$(dpkg --print-architecture)
OUT=${DEB_OUT:-dist}          # where the .deb goes
ROOT=${DEB_WORK:-build/deb}/vigil_${VERSION}_${ARCH}  # staging tree
rm -rf "$ROOT"
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" \
  "$ROOT/usr/share/icons/hicolor/256x256/apps" "$ROOT/usr/share/icons/hicolor/scalable/apps" \
  "$ROOT/usr/share/doc/vigil"
cp -a "$BUNDLE" "$ROOT/opt/vigil"
cat > "$ROOT/usr/bin/vigil" <<'SH'
#!/bin/sh
# Vigil station (PyInstaller bundle in /opt/vigil). `vigil` opens the window; `vigil --help` lists commands.
exec /opt/vigil/vigil "$@"
SH
chmod 755 "$ROOT/usr/bin/vigil"
install -m 644 resources/icons/vigil-256.png "$ROOT/usr/share/icons/hicolor/256x256/apps/vigil.png"
install -m 644 resources/icons/vigil.svg "$ROOT/usr/share/icons/hicolor/scalable/apps/vigil.svg"
install -m 644 installer/vigil.desktop "$ROOT/usr/share/applications/vigil.desktop"
install -m 644 models/MODEL_CARD.md "$ROOT/usr/share/doc/vigil/MODEL_CARD.md"
[ -f models/blazeface/NOTICE ] && install -m 644 models/blazeface/NOTICE "$ROOT/usr/share/doc/vigil/NOTICE.blazeface"

SIZE_KB=$(du -sk "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<CTL
Package: vigil
Version: ${VERSION}
Architecture: ${ARCH}
Maintainer: Vigil maintainers <vigil@localhost>
Installed-Size: ${SIZE_KB}
Section: video
Priority: optional
Depends: ffmpeg, libegl1, libgl1, libfontconfig1, libdbus-1-3, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-render-util0, libxcb-shape0, libxcb-randr0, libxcb-xkb1
Recommends: mosquitto-clients
Homepage: https://localhost/vigil
Description: Vigil CCTV monitoring station
 A local, private monitoring station for shopping-mall CCTV: live wall, mask
 compliance, events, evidence export. Everything runs on this machine; the
 bundle in /opt/vigil carries its own Python, Qt, OpenCV, MediaPipe and
 ONNX Runtime. User data (settings, database, recordings, station key) lives
 in each user's home and is kept on upgrade, removal and purge.
CTL
# Refresh the desktop menu and icon caches when the tools are there (a headless server has neither).
for script in postinst postrm; do
  cat > "$ROOT/DEBIAN/$script" <<'SH'
#!/bin/sh
set -e
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true; fi
exit 0
SH
  chmod 755 "$ROOT/DEBIAN/$script"
done
mkdir -p "$OUT"
# zstd -9: 7 s and ~220 MiB here; DEB_COMPRESSION="-Zxz -z6" gives ~180 MiB in ~4 min on 2 cores.
dpkg-deb --root-owner-group ${DEB_COMPRESSION:--Zzstd -z9} --build "$ROOT" "$OUT/vigil_${VERSION}_${ARCH}.deb" >/dev/null
rm -rf "$ROOT"
echo "$OUT/vigil_${VERSION}_${ARCH}.deb"
