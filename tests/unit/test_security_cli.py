"""The CLI: first admin, login from VIGIL_PASSWORD, refusals audited, audit verify naming the broken row,
watchlist add/list/remove with real photos, several faces refused with their boxes, fetch-model."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from app.__main__ import main
from app.store import AuditLog, open_db

PW = "correct horse battery"


@pytest.fixture
def dbfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vigil.sqlite3"
    monkeypatch.setenv("VIGIL_NEW_PASSWORD", PW)
    assert main(["users", "add", "root", "--role", "admin", "--db", str(path)]) == 0
    monkeypatch.setenv("VIGIL_PASSWORD", PW)
    monkeypatch.setenv("VIGIL_NEW_PASSWORD", "operator pw 1")
    assert main(["users", "add", "op", "--role", "operator", "--user", "root", "--db", str(path)]) == 0
    return path


def _audit(path: Path):
    db = open_db(path)
    try:
        return AuditLog.rows(db)
    finally:
        db.close()


def test_first_admin_then_wrong_password_and_operator_refusals(dbfile: Path, monkeypatch, capsys) -> None:
    assert main(["users", "list", "--user", "root", "--db", str(dbfile)]) == 0
    out = capsys.readouterr().out
    assert "root" in out and "op " in out and "operator" in out
    monkeypatch.setenv("VIGIL_PASSWORD", "wrong password")
    assert main(["users", "list", "--user", "root", "--db", str(dbfile)]) == 2
    assert "wrong user name or password" in capsys.readouterr().err
    assert main(["users", "list", "--user", "op", "--db", str(dbfile)]) == 2  # a wrong password for op
    capsys.readouterr()
    monkeypatch.setenv("VIGIL_PASSWORD", PW)
    assert main(["users", "list", "--user", "root", "--db", str(dbfile)]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "active " in rows["root"] and "last login 20" in rows["root"]  # a login resets the failures
    assert "active, 1 failed login" in rows["op"] and "last login never" in rows["op"]
    monkeypatch.setenv("VIGIL_PASSWORD", "operator pw 1")
    args = [
        "watchlist",
        "matching",
        "--site",
        "mall",
        "on",
        "--reason",
        "x",
        "--user",
        "op",
        "--db",
        str(dbfile),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "op (operator) may not manage watchlists" in err and "Traceback" not in err
    last = _audit(dbfile)[-1]
    assert (last.actor, last.action, last.target) == ("op", "access.denied", "site:mall")


def test_audit_verify_names_the_first_broken_row(dbfile: Path, capsys) -> None:
    assert main(["audit", "verify", "--db", str(dbfile)]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    db = open_db(dbfile)
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    db.conn.commit()
    db.close()
    assert main(["audit", "verify", "--db", str(dbfile)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and "first broken row: 2" in out


def test_watchlist_add_list_remove_with_real_photos(dbfile: Path, shared_data: Path, capsys) -> None:
    model = str(shared_data / "models" / "MobileFaceNet.onnx")
    photos = sorted(str(p) for p in (shared_data / "faces" / "gallery" / "barack_obama").iterdir())
    base = ["--user", "root", "--db", str(dbfile)]
    add = ["watchlist", "add", "--site", "mall", "--list", "banned", "--name", "Person A", "--reason", "theft",
           "--legal-basis", "ban notice 9", "--model", model, *base]  # fmt: skip
    assert main([*add, "--images", *photos]) == 0
    out = capsys.readouterr().out
    assert "enrolled entry 1 'Person A'" in out and "from 2 face(s)" in out and "matching is off" in out
    two = str(shared_data / "faces" / "probe" / "two_people.jpg")
    assert main([*add, "--images", two]) == 2
    err = capsys.readouterr().err
    assert "shows 2 faces: [0] box (" in err and "--face N" in err
    assert main([*add, "--images", two, "--face", "1"]) == 0
    capsys.readouterr()
    assert main(["watchlist", "list", *base]) == 0
    listing = capsys.readouterr().out
    assert "mall/banned" in listing and "Person A" in listing and "ban notice 9" in listing
    assert main(["watchlist", "remove", "1", "--reason", "ban lifted", *base]) == 0
    actions = [r.action for r in _audit(dbfile)]
    assert (
        actions.count("watchlist.enrol") == 2
        and "watchlist.view" in actions
        and actions[-1] == "watchlist.remove"
    )


def test_fetch_model_checks_the_pinned_hash(tmp_path: Path, capsys) -> None:
    src = tmp_path / "src" / "model.onnx"
    src.parent.mkdir()
    src.write_bytes(b"model bytes " * 1000)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "models" / "face.onnx"
    assert (
        main(["watchlist", "fetch-model", "--url", src.as_uri(), "--sha256", "0" * 64, "--out", str(out)])
        == 2
    )
    assert "nothing was saved" in capsys.readouterr().err and not out.exists()
    assert not list(out.parent.glob("*.part"))

    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(src.parent))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/model.onnx"
        assert (
            main(["watchlist", "fetch-model", "--url", url, "--sha256", digest.upper(), "--out", str(out)])
            == 0
        )
    finally:
        server.shutdown()
        server.server_close()
    assert out.read_bytes() == src.read_bytes()
    assert "SHA-256 verified" in capsys.readouterr().out


def test_disable_then_enable_from_the_command_line(dbfile: Path, monkeypatch, capsys) -> None:
    assert (
        main(["users", "disable", "op", "--reason", "on leave", "--user", "root", "--db", str(dbfile)]) == 0
    )
    assert main(["users", "disable", "op", "--user", "root", "--db", str(dbfile)]) == 2  # already disabled
    assert main(["users", "list", "--user", "root", "--db", str(dbfile)]) == 0
    assert "disabled" in next(x for x in capsys.readouterr().out.splitlines() if x.startswith("op "))
    assert main(["users", "enable", "op", "--reason", "back", "--user", "root", "--db", str(dbfile)]) == 0
    actions = [r.action for r in _audit(dbfile)]
    assert actions.index("user.disable") < actions.index("user.enable")
    monkeypatch.setenv("VIGIL_PASSWORD", "operator pw 1")
    assert main(["users", "list", "--user", "op", "--db", str(dbfile)]) == 2  # logged in, but not an admin
    assert "admin" in capsys.readouterr().err
