"""Once a station has accounts, `vigil report` and `vigil export` need a supervisor login (refusals audited)."""

import sqlite3

import pytest

from app.__main__ import main
from app.security.accounts import add_user, authenticate, create_first_admin
from app.security.roles import Role
from app.store.db import open_db

PW = "correct horse battery"


@pytest.fixture()
def station_db(tmp_path):
    path = tmp_path / "v.db"
    db = open_db(path)
    create_first_admin(db, "admin", PW)
    admin = authenticate(db, "admin", PW)
    add_user(db, admin, "olga", Role.OPERATOR, PW)
    add_user(db, admin, "sam", Role.SUPERVISOR, PW)
    db.close()
    return path


def report(db, out, *extra):
    return main(
        [
            "report",
            "--all",
            "--from",
            "2026-01-01T00:00Z",
            "--to",
            "2026-01-02T00:00Z",
            "--format",
            "csv",
            "--out",
            str(out),
            "--db",
            str(db),
            "--quiet",
            *extra,
        ]
    )


def test_report_needs_an_account_with_the_right_role(station_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VIGIL_PASSWORD", PW)
    monkeypatch.delenv("VIGIL_USER", raising=False)
    assert report(station_db, tmp_path / "a.csv") == 2
    assert "--user" in capsys.readouterr().err
    assert report(station_db, tmp_path / "b.csv", "--user", "olga") == 2
    assert "may not create reports" in capsys.readouterr().err
    assert not (tmp_path / "b.csv").exists()
    monkeypatch.setenv("VIGIL_PASSWORD", "wrong password!")
    assert report(station_db, tmp_path / "c.csv", "--user", "sam") == 2
    monkeypatch.setenv("VIGIL_PASSWORD", PW)
    code = report(station_db, tmp_path / "d.csv", "--user", "sam")
    err = capsys.readouterr().err
    # the supervisor gets past the login: the empty database is the next (clear) message
    assert code == 2 and "holds no compliance data yet" in err
    with sqlite3.connect(station_db) as con:
        denied = con.execute("select actor from audit_log where action = 'access.denied'").fetchall()
    assert ("olga",) in denied


def test_export_refuses_an_operator(station_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VIGIL_PASSWORD", PW)
    code = main(
        [
            "export",
            "--camera",
            "cam1",
            "--from",
            "2026-01-01T00:00Z",
            "--to",
            "2026-01-01T00:01Z",
            "--out",
            str(tmp_path / "out"),
            "--reason",
            "test",
            "--db",
            str(station_db),
            "--user",
            "olga",
        ]
    )
    assert code == 2
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
