"""Reading the audit log is itself an admin action (and is audited); verifying the chain is too."""

from __future__ import annotations

from sqlite_utils import Database

from app.security.roles import Permission
from app.security.session import Session, require
from app.store.audit import AuditLog
from app.store.records import AuditRow, AuditVerdict


def read_audit(
    db: Database,
    session: Session | None,
    actor: str = "",
    action: str = "",
    target: str = "",
    limit: int = 1000,
) -> list[AuditRow]:
    """The newest ``limit`` rows (oldest first) whose actor equals ``actor`` and whose action and target
    start with ``action`` / ``target`` (empty: any)."""
    who = require(db, session, Permission.VIEW_AUDIT, "audit_log")
    sql = "SELECT seq FROM audit_log WHERE 1=1"
    args: list[object] = []
    if actor:
        sql += " AND actor = ?"
        args.append(actor)
    if action:
        sql += " AND action LIKE ? ESCAPE '\\'"
        args.append(_prefix(action))
    if target:
        sql += " AND target LIKE ? ESCAPE '\\'"
        args.append(_prefix(target))
    sql += " ORDER BY seq DESC LIMIT ?"
    args.append(max(1, limit))
    seqs = sorted(int(r[0]) for r in db.execute(sql, args).fetchall())
    rows = [r for s in seqs for r in AuditLog.rows(db, since_seq=s - 1, limit=1)]
    AuditLog.append(db, who, "audit.view", "audit_log", {"actor": actor, "action": action, "rows": len(rows)})
    return rows


def verify_audit(db: Database, session: Session | None) -> AuditVerdict:
    who = require(db, session, Permission.VIEW_AUDIT, "audit_log")
    verdict = AuditLog.verify(db)
    # appended after verifying, so the verdict describes the chain as it was found
    AuditLog.append(
        db, who, "audit.verify", "audit_log", {"ok": verdict.ok, "first_broken": verdict.first_broken_seq}
    )
    return verdict


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
