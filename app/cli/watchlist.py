"""``vigil watchlist ...``: lists, governed enrolment, removal, expiry, the per-site switch, model fetch."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from sqlite_utils import Database

from app.errors import UserError
from app.security.prompt import add_store_options, cli_login, open_store
from app.security.session import Session
from app.watchlist import identities, lists
from app.watchlist.records import DEFAULT_EXPIRY_DAYS, DEFAULT_THRESHOLD, DEFAULT_UNCERTAIN_BAND, EnrolRequest

NAME = "watchlist"
HELP = "watchlists: add/list/remove people, purge-expired, lists, matching on/off per site, fetch-model"


def _on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError("use on or off")
    return text == "on"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="wl_command", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="enrol a person from photos (admin)")
    p.add_argument("--site", required=True)
    p.add_argument(
        "--list", required=True, dest="list_name", metavar="NAME", help="watchlist (created if new)"
    )
    p.add_argument("--name", required=True, dest="label", metavar="LABEL", help="name or label of the person")
    p.add_argument("--images", nargs="+", required=True, type=Path, metavar="PATH")
    p.add_argument("--reason", required=True, help="why this person is listed (e.g. ban for theft on DATE)")
    p.add_argument("--legal-basis", required=True, help="the legal basis (ban notice, court order, law)")
    p.add_argument(
        "--expires-days", type=float, default=DEFAULT_EXPIRY_DAYS, help="purged after (default 30)"
    )
    p.add_argument("--face", type=int, default=None, metavar="N", help="which face in photos showing several")
    p.add_argument("--model", default=None, help="embedding model (default: analysis.embedding_model)")
    add_store_options(p)
    p = sub.add_parser("list", help="show lists and enrolled entries (admin; audited)")
    p.add_argument("--site", default=None)
    add_store_options(p)
    p = sub.add_parser("remove", help="delete an entry and its embeddings (admin)")
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True)
    add_store_options(p)
    p = sub.add_parser("approve", help="approve an entry enrolled by another admin")
    p.add_argument("id", type=int)
    add_store_options(p)
    p = sub.add_parser(
        "purge-expired", help="delete every expired entry now (also runs hourly in the station)"
    )
    add_store_options(p, login=False)
    p = sub.add_parser("new-list", help="create a watchlist (admin)")
    _list_options(p, new=True)
    p = sub.add_parser(
        "set-list", help="change a watchlist's threshold, band, colour or sound (admin; audited)"
    )
    _list_options(p, new=False)
    p = sub.add_parser(
        "matching", help="switch matching on or off for a site, with a reason (admin; audited)"
    )
    p.add_argument("--site", required=True)
    p.add_argument("state", type=_on_off, metavar="on|off")
    p.add_argument("--reason", required=True)
    add_store_options(p)
    p = sub.add_parser("policy", help="require a second admin's approval for enrolments at a site")
    p.add_argument("--site", required=True)
    p.add_argument("--second-admin", type=_on_off, required=True, metavar="on|off")
    p.add_argument("--reason", required=True)
    add_store_options(p)
    p = sub.add_parser("fetch-model", help="download an embedding model, checked against a pinned SHA-256")
    p.add_argument("--url", required=True)
    p.add_argument("--sha256", required=True)
    p.add_argument("--out", required=True, type=Path)


def _list_options(p: argparse.ArgumentParser, new: bool) -> None:
    p.add_argument("--site", required=True)
    p.add_argument("--list", required=True, dest="list_name", metavar="NAME")
    p.add_argument("--colour", default="#ff00ff" if new else None, help="#rrggbb drawn on the tile")
    p.add_argument("--sound", default="" if new else None, help="alert sound file")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD if new else None)
    p.add_argument(
        "--band", type=float, default=DEFAULT_UNCERTAIN_BAND if new else None, help="uncertain band"
    )
    add_store_options(p)


def main(args: argparse.Namespace) -> int:
    cmd = args.wl_command
    if cmd == "fetch-model":
        from app.watchlist.fetch import fetch_model

        out = fetch_model(args.url, args.sha256, args.out)
        print(f"saved {out} (SHA-256 verified); set analysis.embedding_model = {str(out)!r} and")
        print(f'analysis.embedding_sha256 = "{args.sha256.lower()}" in the settings')
        return 0
    db = open_store(args)
    try:
        if cmd == "purge-expired":
            ids = identities.purge_expired(db)
            print(
                f"purged {len(ids)} expired entr{'y' if len(ids) == 1 else 'ies'}"
                + (f": {ids}" if ids else "")
            )
            return 0
        identities.purge_expired(db)  # never show or match what should be gone
        session = cli_login(db, args.user)
        return _COMMANDS[cmd](db, session, args)
    finally:
        db.close()


def _add(db: Database, session: Session, args: argparse.Namespace) -> int:
    from app.security.roles import Permission
    from app.security.session import require

    # refuse (and audit) a non-admin before any photo is even read
    require(db, session, Permission.MANAGE_WATCHLISTS, f"site:{args.site}")
    wl = lists.find_watchlist(db, args.site, args.list_name)
    if wl is None:
        wl = lists.create_watchlist(db, session, args.site, args.list_name)
        print(f"created watchlist {wl.name!r} at site {wl.site_id} (threshold {wl.threshold})")
    model = (args.model, "") if args.model else _configured_model(args)
    from app.watchlist.faces import embed_images, make_enrolment_detector
    from models.face_embedder import OnnxFaceEmbedder

    t0 = time.perf_counter()
    embedder = OnnxFaceEmbedder(model[0], model[1])
    detector = make_enrolment_detector()
    try:
        found = embed_images(args.images, detector, embedder, args.face)
    finally:
        detector.close()
    import numpy as np

    request = EnrolRequest(
        wl.id, args.label, args.reason, args.legal_basis, args.expires_days,
        source="images: " + ", ".join(p.name for p in args.images),
    )  # fmt: skip
    ident = identities.enrol(db, session, request, np.stack([f.embedding for f in found]), embedder.model_id)
    state = "waiting for a second admin's approval" if ident.pending else "active"
    print(
        f"enrolled entry {ident.id} {ident.label!r} in {wl.name!r} from {len(found)} face(s) "
        f"in {time.perf_counter() - t0:.2f} s; {state}; expires {_date(ident.expires_at)}"
    )
    if not lists.site_matching(db, wl.site_id).enabled:
        print(
            f"note: matching is off at site {wl.site_id} ('vigil watchlist matching --site {wl.site_id} on')"
        )
    return 0


def _configured_model(args: argparse.Namespace) -> tuple[str, str]:
    from app.config import load_config

    cfg = load_config(getattr(args, "config", None))
    if not cfg.analysis.embedding_model:
        raise UserError(
            "no face embedding model: pass --model PATH or set analysis.embedding_model in the settings"
        )
    return cfg.analysis.embedding_model, cfg.analysis.embedding_sha256


def _date(t: float) -> str:
    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def _list(db: Database, session: Session, args: argparse.Namespace) -> int:
    entries = identities.list_identities(db, session, args.site)
    for wl in lists.list_watchlists(db, args.site):
        on = "on" if lists.site_matching(db, wl.site_id).enabled else "off"
        print(
            f"[{wl.id}] {wl.site_id}/{wl.name} colour {wl.colour} threshold {wl.threshold:.2f} "
            f"band {wl.uncertain_band:.2f} matching {on}"
        )
        for e in (e for e in entries if e.watchlist_id == wl.id):
            state = "PENDING approval" if e.pending else f"approved by {e.approved_by}"
            print(
                f"    {e.id:>4} {e.label:<24} {e.embeddings} emb, {e.negatives} neg; by {e.enrolled_by}, "
                f"{state}; expires {_date(e.expires_at)}; basis: {e.legal_basis}"
            )
    return 0


def _remove(db: Database, session: Session, args: argparse.Namespace) -> int:
    identities.remove_identity(db, session, args.id, args.reason)
    print(f"removed entry {args.id} and its embeddings")
    return 0


def _approve(db: Database, session: Session, args: argparse.Namespace) -> int:
    ident = identities.approve(db, session, args.id)
    print(f"approved entry {ident.id} {ident.label!r}; it can match from now on")
    return 0


def _new_list(db: Database, session: Session, args: argparse.Namespace) -> int:
    wl = lists.create_watchlist(
        db, session, args.site, args.list_name, args.colour, args.sound, args.threshold, args.band
    )
    print(f"created watchlist [{wl.id}] {wl.site_id}/{wl.name}")
    return 0


def _set_list(db: Database, session: Session, args: argparse.Namespace) -> int:
    wl = lists.find_watchlist(db, args.site, args.list_name)
    if wl is None:
        raise UserError(
            f"site {args.site} has no watchlist named {args.list_name!r}; see 'vigil watchlist list'"
        )
    wl = lists.update_watchlist(
        db,
        session,
        wl.id,
        threshold=args.threshold,
        uncertain_band=args.band,
        colour=args.colour,
        sound=args.sound,
    )
    print(
        f"watchlist [{wl.id}] {wl.name}: threshold {wl.threshold:.2f}, band {wl.uncertain_band:.2f}, {wl.colour}"
    )
    return 0


def _matching(db: Database, session: Session, args: argparse.Namespace) -> int:
    state = lists.set_matching(db, session, args.site, args.state, args.reason)
    print(f"matching {'ON' if state.enabled else 'OFF'} at site {state.site_id} (recorded with your reason)")
    return 0


def _policy(db: Database, session: Session, args: argparse.Namespace) -> int:
    state = lists.set_second_admin_policy(db, session, args.site, args.second_admin, args.reason)
    print(
        f"site {state.site_id}: second admin approval {'required' if state.require_second_admin else 'not required'}"
    )
    return 0


_COMMANDS = {
    "add": _add,
    "list": _list,
    "remove": _remove,
    "approve": _approve,
    "new-list": _new_list,
    "set-list": _set_list,
    "matching": _matching,
    "policy": _policy,
}
