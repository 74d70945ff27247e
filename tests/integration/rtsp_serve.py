"""A real RTSP camera: GStreamer's gst-rtsp-server serving an H.264 clip on 127.0.0.1 (RTP over TCP and UDP).

Run with the *system* Python (python3-gi is a Debian package, the project's venv does not see it):

    /usr/bin/python3 tests/integration/rtsp_serve.py --clip clip.mp4 --port 8554 [--user U --password P]
        [--auth basic|digest]

It prints ``READY rtsp://127.0.0.1:PORT/cam`` on stdout once it listens, and serves until it is killed.
Each client gets its own playback of the clip from the start (so a reconnect sees frames again at once);
the stream ends with the clip, so make the clip as long as a test needs.
``--check`` only tells (exit 0 / 3) whether the GStreamer RTSP server and the plugins it needs are installed.
"""

from __future__ import annotations

import argparse
import sys

NEEDED = ("filesrc", "qtdemux", "h264parse", "rtph264pay")


def _import():  # type: ignore[no-untyped-def]
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

    GstRtspServer.LowerTrans = GstRtsp.RTSPLowerTrans  # these flag types live in GstRtsp
    GstRtspServer.AuthMethod = GstRtsp.RTSPAuthMethod
    return GLib, Gst, GstRtspServer


def check() -> str:
    """'' when everything is installed, else what is missing (one line)."""
    try:
        _GLib, Gst, _server = _import()
    except (ImportError, ValueError) as exc:
        return f"GStreamer RTSP server for Python not installed ({exc})"
    Gst.init(None)
    missing = [name for name in NEEDED if Gst.ElementFactory.find(name) is None]
    return f"GStreamer elements missing: {', '.join(missing)}" if missing else ""


def serve(clip: str, port: int, user: str, password: str, auth_method: str) -> None:
    GLib, Gst, GstRtspServer = _import()
    Gst.init(None)

    factory = GstRtspServer.RTSPMediaFactory()
    location = clip.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        f'( filesrc location="{location}" ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 )'
    )
    factory.set_shared(False)
    factory.set_eos_shutdown(False)
    factory.set_protocols(GstRtspServer.LowerTrans.TCP | GstRtspServer.LowerTrans.UDP)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    if user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "viewer")
        if auth_method == "digest":
            auth.add_digest(user, password, token)
            auth.set_supported_methods(GstRtspServer.AuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
            auth.set_supported_methods(GstRtspServer.AuthMethod.BASIC)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("viewer", "media.factory.access", True)
        permissions.add_permission_for_role("viewer", "media.factory.construct", True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print(f"ERROR cannot listen on 127.0.0.1:{port}", flush=True)
        sys.exit(2)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}/cam", flush=True)
    GLib.MainLoop().run()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--check", action="store_true")
    p.add_argument("--clip", default="")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--auth", choices=["basic", "digest"], default="basic")
    a = p.parse_args()
    if a.check:
        why = check()
        print(why or "ok")
        sys.exit(3 if why else 0)
    serve(a.clip, a.port, a.user, a.password, a.auth)


if __name__ == "__main__":
    main()
