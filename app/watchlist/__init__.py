"""Watchlists: lists per site, governed enrolment, matching stage, review, expiry. See README."""

from app.watchlist.gallery import Gallery, load_galleries
from app.watchlist.identities import (
    approve,
    enrol,
    get_identity,
    list_identities,
    purge_expired,
    remove_identity,
)
from app.watchlist.lists import (
    WatchlistError,
    create_watchlist,
    find_watchlist,
    get_watchlist,
    list_watchlists,
    set_matching,
    set_second_admin_policy,
    site_matching,
    update_watchlist,
)
from app.watchlist.records import (
    DEFAULT_EXPIRY_DAYS,
    DEFAULT_THRESHOLD,
    DEFAULT_UNCERTAIN_BAND,
    MIN_MARGIN,
    EnrolRequest,
    Identity,
    MatchView,
    SiteMatching,
    Watchlist,
)
from app.watchlist.review import CONFIRMED, REJECTED, review_match, view_match

__all__ = [
    "CONFIRMED",
    "DEFAULT_EXPIRY_DAYS",
    "DEFAULT_THRESHOLD",
    "DEFAULT_UNCERTAIN_BAND",
    "MIN_MARGIN",
    "REJECTED",
    "EnrolRequest",
    "Gallery",
    "Identity",
    "MatchView",
    "SiteMatching",
    "Watchlist",
    "WatchlistError",
    "approve",
    "create_watchlist",
    "enrol",
    "find_watchlist",
    "get_identity",
    "get_watchlist",
    "list_identities",
    "list_watchlists",
    "load_galleries",
    "purge_expired",
    "remove_identity",
    "review_match",
    "set_matching",
    "set_second_admin_policy",
    "site_matching",
    "update_watchlist",
    "view_match",
]
