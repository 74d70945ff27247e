"""Dialogs for accounts and watchlists: login (and first admin), accounts, enrolment, audit viewer,
match review."""

from widgets.security.account_forms import AddUserForm, PasswordForm
from widgets.security.accounts_dialog import AccountsDialog, UserTableModel
from widgets.security.audit_viewer import AuditTableModel, AuditViewer
from widgets.security.enrolment_dialog import EnrolmentDialog, FacePicker
from widgets.security.login_dialog import IdleWatcher, LoginDialog
from widgets.security.match_review_dialog import MatchReviewDialog

__all__ = [
    "AccountsDialog",
    "AddUserForm",
    "AuditTableModel",
    "AuditViewer",
    "EnrolmentDialog",
    "FacePicker",
    "IdleWatcher",
    "LoginDialog",
    "MatchReviewDialog",
    "PasswordForm",
    "UserTableModel",
]
