"""MediaPipe detectors in several threads of a process that imported PySide6.QtWidgets.

Runs in a child process so a hang cannot freeze the test run; the child joins its threads with a timeout
and reports which finished.
"""

import json
import subprocess
import sys
import textwrap

from tests.conftest import REPO

CHILD = textwrap.dedent(
    """
    import json, sys, threading
    import PySide6.QtWidgets  # noqa: F401  (its import hook is what was seen to hang MediaPipe threads)
    import cv2
    from models.face_detector import create_detector

    frames = [cv2.imread(p) for p in sys.argv[1:]]
    found = {}

    def work(i):
        det = create_detector("fast")  # one detector per thread, made in that thread
        try:
            found[i] = [len(det.detect(f)) for _ in range(3) for f in frames]
        finally:
            det.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    print(json.dumps({"alive": [t.is_alive() for t in threads], "found": found}), flush=True)
    """
)


def test_three_detector_threads_finish_after_pyside6_import(shared_data):
    frames = [
        shared_data / "faces" / "probe" / "two_people.jpg",
        shared_data / "mask_scenes" / "images" / "maksssksksss3.png",
    ]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, frames)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["alive"] == [False, False, False]
    runs = list(result["found"].values())
    assert len(runs) == 3
    assert all(r == runs[0] for r in runs)  # same frames, same faces in every thread
    assert runs[0][0] >= 2
