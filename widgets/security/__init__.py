"""Dialogs for accounts and watchlists: login (and first admin), enrolment, audit viewer, match review."""

from widgets.security.audit_viewer import AuditTableModel, AuditViewer
from widgets.security.enrolment_dialog import EnrolmentDialog, FacePicker
from widgets.security.login_dialog import IdleWatcher, LoginDialog
from widgets.security.match_review_dialog import MatchReviewDialog

__all__ = [
    "AuditTableModel",
    "AuditViewer",
    "EnrolmentDialog",
    "FacePicker",
    "IdleWatcher",
    "LoginDialog",
    "MatchReviewDialog",
]
