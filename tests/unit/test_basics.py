from app.capture.slot import LatestSlot
from app.domain import BBox
from app.logs import redact


def test_bbox_iou_and_size():
    a = BBox(0, 0, 10, 20)
    assert a.size == 20
    assert a.iou(a) == 1.0
    assert a.iou(BBox(100, 100, 110, 110)) == 0.0
    assert abs(a.iou(BBox(0, 0, 10, 10)) - 0.5) < 1e-9


def test_latest_slot_drops_stale_items_and_keeps_newest():
    slot: LatestSlot[int] = LatestSlot()
    for i in range(5):
        slot.put(i)
    item, version = slot.take_newer(0, timeout=0.1)
    assert item == 4 and version == 5
    assert slot.dropped == 4
    assert slot.take_newer(version, timeout=0.01) == (None, version)


def test_redact_hides_passwords_in_urls():
    text = "open rtsp://admin:s3cr3t@10.0.0.5:554/stream and http://cam/x.mjpg?user=a&password=hunter2"
    clean = redact(text)
    assert "s3cr3t" not in clean and "hunter2" not in clean
    assert "rtsp://admin:***@10.0.0.5:554/stream" in clean
