#!/usr/bin/env bash
# Smoke test of the frozen build and the .deb, with no Python anywhere on the PATH:
#   bash installer/build_linux.sh && bash installer/smoke_linux.sh
# 1. dist/vigil/vigil `run --headless --record` on a clip (analysis in its spawned child must see frames)
# 2. the window under Xvfb (screenshot build/smoke/window.png, must not be blank; the process must live)
# 3. `vigil export` of the recorded range, then `vigil verify` of the export (signature + SHA-256)
# 4. the .deb: dpkg -i, `vigil --version` and `vigil run --headless` from /usr/bin, desktop entry and icon,
#    dpkg -r then dpkg -P: the package's files go, the user's data stays (needs root or sudo; skipped with a line if not)
# Every vigil here runs under `env -i` with PATH holding only ffmpeg and ffprobe (what Vigil itself calls).
# Exit 0 when all pass; the first failure prints one "smoke: FAIL ..." line and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUNDLE=${BUNDLE:-$REPO/dist/vigil}
OUTDIR=$REPO/build/smoke
start=$(date +%s)

fail() { echo "smoke: FAIL $*" >&2; exit 1; }
step() { echo "smoke: [$(($(date +%s) - start)) s] $*"; }
[ -x "$BUNDLE/vigil" ] || fail "no folder build at $BUNDLE (run: bash installer/build_linux.sh)"
for tool in ffmpeg ffprobe Xvfb; do command -v "$tool" >/dev/null || fail "$tool is not installed"; done

W=$(mktemp -d /tmp/vigil-smoke.XXXXXX)
XPID=""
GPID=""
cleanup() {
  [ -n "$GPID" ] && kill "$GPID" 2>/dev/null || true
  [ -n "$XPID" ] && kill "$XPID" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
rm -rf "$OUTDIR" && mkdir -p "$OUTDIR" "$W/bin" "$W/home"
ln -s "$(command -v ffmpeg)" "$W/bin/ffmpeg"
ln -s "$(command -v ffprobe)" "$W/bin/ffprobe"
# The environment every vigil below gets: nothing inherited, no Python reachable.
ENV=(env -i "PATH=$W/bin" "HOME=$W/home" "LANG=C.UTF-8" "VIGIL_DATA_DIR=$W/data" "VIGIL_CONFIG_DIR=$W/config")
if "${ENV[@]}" /bin/sh -c 'command -v python3 || command -v python' >/dev/null; then
  fail "a Python is reachable on the smoke PATH"
fi
"${ENV[@]}" "$BUNDLE/vigil" --version | grep -q '^vigil ' || fail "vigil --version"
# resources/ travels wholesale: every compiled translation the checkout has is in the bundle
for qm in resources/translations/*.qm; do
  [ -e "$qm" ] || continue
  [ -f "$BUNDLE/_internal/$qm" ] || fail "$qm is not in the bundle"
done

# A clip: a real one with a face from ../shared when present, else 8 s made by ffmpeg.
CLIP=$REPO/../shared/data/video/man_no_mask_360p.mp4
FACES_EXPECTED=1
if [ ! -f "$CLIP" ]; then
  CLIP=$W/clip.mp4
  FACES_EXPECTED=0
  ffmpeg -v error -f lavfi -i testsrc2=size=640x360:rate=15 -t 8 -c:v libx264 -pix_fmt yuv420p "$CLIP"
fi
step "clip: $CLIP"

# 1. headless run, recording
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"${ENV[@]}" "$BUNDLE/vigil" run --headless --no-config --source "$CLIP" --duration 15 --record --json \
  >"$OUTDIR/run.json" 2>"$OUTDIR/run.err" || fail "run --headless exited $? (see $OUTDIR/run.err)"
T1=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
analysed=$(grep -o '"frames_analysed": [0-9]*' "$OUTDIR/run.json" | grep -o '[0-9]*$' || echo 0)
faces=$(grep -o '"faces": [0-9]*' "$OUTDIR/run.json" | grep -o '[0-9]*$' || echo 0)
[ "$analysed" -gt 0 ] || fail "run --headless analysed no frames (the analysis child failed; see $OUTDIR/run.err)"
[ "$FACES_EXPECTED" = 0 ] || [ "$faces" -gt 0 ] || fail "run --headless found no face in $CLIP"
ls "$W"/data/recordings/cam1/*/*.mp4 >/dev/null 2>&1 || fail "run --record wrote no recording"
step "run --headless: $analysed frames analysed, $faces faces, recording written"

# 2. the window under Xvfb
DISP=:$((90 + RANDOM % 400))
Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XPID=$!
sleep 2
kill -0 "$XPID" 2>/dev/null || fail "Xvfb did not start on $DISP"
"${ENV[@]}" "DISPLAY=$DISP" QT_QPA_PLATFORM=xcb "$BUNDLE/vigil" --no-config --source "$CLIP" \
  >"$OUTDIR/gui.log" 2>&1 &
GPID=$!
shown=""
for _ in $(seq 1 24); do
  sleep 5
  kill -0 "$GPID" 2>/dev/null || fail "the window process exited (see $OUTDIR/gui.log)"
  ffmpeg -v error -y -f x11grab -video_size 1280x800 -i "$DISP" -frames:v 1 "$OUTDIR/window.png" || continue
  # Blank (an empty X screen) means every pixel the same: min luma == max luma.
  stats=$(ffmpeg -v error -i "$OUTDIR/window.png" -vf signalstats,metadata=print:file=- -f null - 2>/dev/null)
  ymin=$(echo "$stats" | sed -n 's/.*signalstats.YMIN=//p' | head -1)
  ymax=$(echo "$stats" | sed -n 's/.*signalstats.YMAX=//p' | head -1)
  if [ -n "$ymin" ] && [ "$ymin" != "$ymax" ]; then shown="luma $ymin-$ymax"; break; fi
done
[ -n "$shown" ] || fail "the window never showed under Xvfb (screenshot $OUTDIR/window.png is blank)"
sleep 3  # let the wall draw a few frames, then keep the screenshot a person can look at
ffmpeg -v error -y -f x11grab -video_size 1280x800 -i "$DISP" -frames:v 1 "$OUTDIR/window.png" || true
kill -TERM "$GPID"
for _ in $(seq 1 30); do kill -0 "$GPID" 2>/dev/null || break; sleep 1; done
kill -0 "$GPID" 2>/dev/null && { kill -KILL "$GPID"; fail "the window did not close within 30 s of SIGTERM"; }
GPID=""
kill "$XPID" 2>/dev/null || true
XPID=""
step "window shown under Xvfb ($shown): $OUTDIR/window.png"

# 3. export the recorded range and verify it
"${ENV[@]}" "$BUNDLE/vigil" export --camera cam1 --from "$T0" --to "$T1" --out "$W/export" \
  --reason "smoke test of the frozen build" >"$OUTDIR/export.log" 2>&1 || fail "export (see $OUTDIR/export.log)"
ls "$W"/export/*/manifest.json >/dev/null 2>&1 || fail "export wrote no manifest.json"
"${ENV[@]}" "$BUNDLE/vigil" verify "$W/export" >"$OUTDIR/verify.log" 2>&1 || fail "verify (see $OUTDIR/verify.log)"
step "export + verify: $(tail -1 "$OUTDIR/verify.log")"

# 4. the .deb
DEB=$(ls "$REPO"/dist/vigil_*.deb 2>/dev/null | tail -1 || true)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
if [ -z "$DEB" ]; then
  step "deb: SKIPPED (no dist/vigil_*.deb; build_linux.sh without --no-deb makes it)"
elif ! command -v dpkg >/dev/null || ! $SUDO true 2>/dev/null; then
  step "deb: SKIPPED (needs dpkg and root or password-less sudo)"
elif dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q "install ok installed"; then
  step "deb: SKIPPED (a vigil package is already installed on this machine; not touching it)"
else
  # dpkg, waiting up to 3 minutes for the dpkg lock when apt or another dpkg holds it
  pkg() {
    for _ in $(seq 1 36); do
      if $SUDO dpkg "$@" >>"$OUTDIR/dpkg.log" 2>&1; then return 0; fi
      tail -3 "$OUTDIR/dpkg.log" | grep -q "lock" || return 1
      sleep 5
    done
    return 1
  }
  pkg -i "$DEB" || fail "dpkg -i $DEB (see $OUTDIR/dpkg.log)"
  # /usr/bin/vigil by its path, PATH still without Python; the default data dir: ~/.local/share/vigil
  DEB_ENV=(env -i "PATH=$W/bin" "HOME=$W/home" "LANG=C.UTF-8")
  for f in /usr/bin/vigil /opt/vigil/vigil /usr/share/applications/vigil.desktop \
    /usr/share/icons/hicolor/256x256/apps/vigil.png; do
    [ -e "$f" ] || { pkg -P vigil || true; fail "the package did not install $f"; }
  done
  version=$("${DEB_ENV[@]}" /usr/bin/vigil --version) || { pkg -P vigil || true; fail "installed vigil --version"; }
  "${DEB_ENV[@]}" /usr/bin/vigil run --headless --no-config --source "$CLIP" --duration 8 --json \
    >"$OUTDIR/deb-run.json" 2>"$OUTDIR/deb-run.err" || { pkg -P vigil || true; fail "installed vigil run --headless"; }
  db=$W/home/.local/share/vigil/vigil.sqlite3
  [ -f "$db" ] || { pkg -P vigil || true; fail "installed vigil kept no database in ~/.local/share/vigil"; }
  pkg -r vigil || fail "dpkg -r vigil (see $OUTDIR/dpkg.log)"
  [ ! -e /opt/vigil ] && [ ! -e /usr/bin/vigil ] || fail "dpkg -r left /opt/vigil or /usr/bin/vigil behind"
  [ -f "$db" ] && [ -f "$W/home/.local/share/vigil/keys/station_ed25519.pem" ] || fail "dpkg -r lost the user's data"
  pkg -P vigil || fail "dpkg -P vigil (see $OUTDIR/dpkg.log)"
  ! dpkg-query -W vigil >/dev/null 2>&1 || fail "dpkg -P left the vigil package registered"
  [ -f "$db" ] && [ -f "$W/home/.local/share/vigil/keys/station_ed25519.pem" ] || fail "dpkg -P lost the user's data"
  step "deb: installed, '$version' and run --headless from /usr/bin, removed and purged; user data kept ($(du -h "$DEB" | cut -f1))"
fi
step "PASS in $(($(date +%s) - start)) s"
