"""A real Mosquitto broker for the tests: its own config (listener on a free 127.0.0.1 port, password
file, ACL, persistence) in a temp folder; started and stopped by the tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ACL = """\
# the roll-up reads every station
user rollup
topic read vigil/#
# a station writes only its own topics (the user name is the station id)
pattern write vigil/%u/#
"""


def need_mosquitto() -> None:
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_passwd"):
        pytest.skip("mosquitto is not installed (apt-get install mosquitto mosquitto-clients; .ci/run does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    def __init__(self, folder: Path, users: dict[str, str]) -> None:
        need_mosquitto()
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        pw = folder / "passwd"
        for i, (user, password) in enumerate(users.items()):
            args = ["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else []) + [str(pw), user, password]
            subprocess.run(args, check=True, capture_output=True)
        (folder / "acl").write_text(ACL)
        (folder / "data").mkdir(exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        # as root, mosquitto would switch to the 'mosquitto' user, who cannot read the temp folder
        me = "root" if os.geteuid() == 0 else ""
        self.conf.write_text(
            (f"user {me}\n" if me else "")
            + f"listener {self.port} 127.0.0.1\nallow_anonymous false\npassword_file {pw}\n"
            f"acl_file {folder / 'acl'}\npersistence true\npersistence_location {folder / 'data'}/\n"
            f"log_dest file {folder / 'mosquitto.log'}\nmax_queued_messages 0\n"
        )

    def url(self, user: str, password: str) -> str:
        return f"mqtt://{user}:{password}@127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start: {(self.folder / 'mosquitto.log').read_text()[-500:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # saves the persistence file
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
