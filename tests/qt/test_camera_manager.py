"""Camera manager: inline validation, credentials never shown, background connection test, sites."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QListWidget, QWidget

from app.config import CameraConfig, SiteConfig, StationConfig
from tests.media import make_clip
from widgets.cameras.camera_manager import CameraManagerDialog

SECRET = "s3cr3tPa55"


def all_texts(root: QWidget) -> list[str]:
    """Every piece of text a user could see or hover in ``root`` and its children."""
    out = [root.windowTitle(), root.toolTip()]
    for w in [root, *root.findChildren(QWidget)]:
        out += [w.toolTip(), w.windowTitle(), w.statusTip(), w.accessibleName()]
        if isinstance(w, QLabel | QLineEdit | QAbstractButton):
            out.append(w.text())
        if isinstance(w, QLineEdit):
            out.append(w.placeholderText())
        if isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())]
        if isinstance(w, QListWidget):
            out += [w.item(i).text() for i in range(w.count())]
    return out


@pytest.fixture
def config(tmp_path: Path) -> StationConfig:
    clip = make_clip(tmp_path / "door.mp4", frames=5)
    return StationConfig(
        sites=(SiteConfig("north", "North Mall"),),
        cameras=(
            CameraConfig("door", "Door", "north", str(clip)),
            CameraConfig("gate", "Gate", "north", f"rtsp://admin:{SECRET}@10.1.2.3:554/ch1?pwd={SECRET}"),
        ),
    )


@pytest.fixture
def dialog(qtbot, config: StationConfig) -> CameraManagerDialog:
    d = CameraManagerDialog(config)
    qtbot.addWidget(d)
    d.show()
    return d


def test_password_never_shown_and_kept_when_not_edited(qtbot, dialog: CameraManagerDialog) -> None:
    dialog.camera_list.setCurrentRow(1)
    assert dialog.form.source.text() == "rtsp://admin:***@10.1.2.3:554/ch1?pwd=***"
    assert not any(SECRET in t for t in all_texts(dialog))
    dialog.form.name.setText("Main gate")
    with qtbot.waitSignal(dialog.config_saved) as saved:
        assert dialog.save()
    gate = saved.args[0].camera("gate")
    assert gate.name == "Main gate"
    assert gate.source == f"rtsp://admin:{SECRET}@10.1.2.3:554/ch1?pwd={SECRET}"
    assert not any(SECRET in t for t in all_texts(dialog))


def test_editing_host_keeps_the_hidden_password(qtbot, dialog: CameraManagerDialog) -> None:
    dialog.camera_list.setCurrentRow(1)
    dialog.form.source.setText("rtsp://admin:***@10.1.2.99:554/ch1?pwd=***")
    with qtbot.waitSignal(dialog.config_saved) as saved:
        dialog.save()
    assert saved.args[0].camera("gate").source == f"rtsp://admin:{SECRET}@10.1.2.99:554/ch1?pwd={SECRET}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [("rtsp//10.0.0.1/stream", "malformed url"), ("rtsp://", "no host"), ("/no/such/video.mp4", "not found")],
)
def test_bad_source_gives_inline_message_and_no_save(
    qtbot, dialog: CameraManagerDialog, source, expected
) -> None:
    dialog.camera_list.setCurrentRow(0)
    dialog.form.source.setText(source)
    with qtbot.assertNotEmitted(dialog.config_saved):
        assert not dialog.save()
    assert dialog.form.error.isVisible()
    assert expected in dialog.form.error.text().lower()


def test_add_camera_and_site(qtbot, dialog: CameraManagerDialog, tmp_path: Path) -> None:
    dialog.site_name.setText("Riverside Mall")
    dialog.add_site()
    dialog.add_camera()
    form = dialog.form
    form.name.setText("Food court")
    form.site.setCurrentIndex(form.site.findData("riverside-mall"))
    form.source.setText(str(make_clip(tmp_path / "food.mp4", frames=3)))
    form.enabled.setChecked(False)
    with qtbot.waitSignal(dialog.config_saved) as saved:
        dialog.save()
    cfg: StationConfig = saved.args[0]
    assert [s.name for s in cfg.sites] == ["North Mall", "Riverside Mall"]
    cam = cfg.cameras[-1]
    assert (cam.name, cam.site, cam.enabled) == ("Food court", "riverside-mall", False)
    dialog.site_list.setCurrentRow(1)
    dialog.remove_site()  # still used by Food court
    assert "Food court" in dialog.site_message.text()
    assert len(dialog.working_config().sites) == 2


def test_connection_test_shows_first_frame(qtbot, dialog: CameraManagerDialog) -> None:
    dialog.camera_list.setCurrentRow(0)
    dialog.form.start_test()
    qtbot.waitUntil(lambda: dialog.form.test_status.text().startswith("Connected"), timeout=15000)
    assert dialog.form.test_status.text() == "Connected: 320x240"
    pix = dialog.form.preview.pixmap()
    assert pix is not None and not pix.isNull()


def test_connection_test_reports_exact_error_without_password(qtbot, dialog: CameraManagerDialog) -> None:
    dialog.camera_list.setCurrentRow(1)
    dialog.form.source.setText(f"rtsp://admin:{SECRET}@127.0.0.1:9/none")  # closed port: refused at once
    dialog.form.start_test()
    qtbot.waitUntil(lambda: dialog.form.test_status.text() not in ("", "Testing…"), timeout=15000)
    text = dialog.form.test_status.text()
    assert text.startswith("Cannot open rtsp://admin:***@127.0.0.1:9/none")
    assert SECRET not in text


def test_usb_scan_runs_in_background(qtbot, dialog: CameraManagerDialog) -> None:
    qtbot.waitUntil(lambda: "scanning" not in dialog.form.usb.itemText(0), timeout=20000)
    assert dialog.form.usb.itemText(0).startswith("USB devices:")


def test_changed_camera_survives_switching_rows(qtbot, dialog: CameraManagerDialog) -> None:
    dialog.camera_list.setCurrentRow(0)
    dialog.form.name.setText("Front door")
    dialog.camera_list.setCurrentRow(1)
    assert replace(dialog.working_config()).camera("door").name == "Front door"
    assert dialog.camera_list.item(0).text().startswith("Front door")


def test_rtsp_transport_is_edited_and_saved(qtbot, dialog: CameraManagerDialog) -> None:
    dialog.camera_list.setCurrentRow(0)
    combo = dialog.form.transport
    assert combo.currentData() == "auto"
    combo.setCurrentIndex(combo.findData("udp"))
    cam = dialog.form.read()
    assert cam is not None and cam.transport == "udp"
    dialog.form.load(replace(cam, transport="tcp"))
    assert combo.currentData() == "tcp"


def test_connection_test_names_a_wrong_rtsp_password(qtbot, dialog: CameraManagerDialog, tmp_path: Path) -> None:
    from tests.integration.rtsp_helpers import RtspServer, rtsp_missing
    from tests.integration.rtsp_helpers import make_clip as make_h264

    why = rtsp_missing()
    if why:
        pytest.skip(why)
    server = RtspServer(make_h264(tmp_path / "rtsp.mp4", seconds=10)).start()
    try:
        dialog.camera_list.setCurrentRow(1)
        dialog.form.source.setText(server.url_with(SECRET))
        dialog.form.start_test()
        qtbot.waitUntil(lambda: dialog.form.test_status.text() not in ("", "Testing…"), timeout=15000)
        text = dialog.form.test_status.text()
        assert text == f"Cannot open {server.url_with('***')}: wrong user name or password."
        assert SECRET not in text
        dialog.form.source.setText(server.url_with())
        dialog.form.start_test()
        qtbot.waitUntil(lambda: dialog.form.test_status.text().startswith("Connected"), timeout=15000)
        assert dialog.form.test_status.text() == "Connected: 160x120"
    finally:
        dialog.form.tester.wait()
        server.kill()
