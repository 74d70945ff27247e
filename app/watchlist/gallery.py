"""The enrolled embeddings of one site in memory, and the match / uncertain / no-match decision.

Score of an identity = its best cosine similarity to the face, lowered by how much the face resembles that
identity's negative examples (faces a supervisor marked "not this person"):
``score = best_positive - max(0, best_negative - NEGATIVE_FLOOR)``. The best score decides with its list's
threshold; ``margin`` = best score - second-best identity's score (0 when there is no other identity).
Match: score >= threshold and margin >= MIN_MARGIN. Uncertain: score >= threshold - band (or a clear score
without the margin). Otherwise no match (None).
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from app.domain import Match, MatchDecision
from app.watchlist.records import MIN_MARGIN

NEGATIVE_FLOOR = 0.3  # a negative this similar or less does not lower the score


@dataclass(frozen=True, slots=True)
class IdentityInfo:
    identity_id: int
    label: str
    watchlist_id: int
    watchlist_name: str
    colour: str
    threshold: float
    uncertain_band: float


@dataclass(frozen=True, slots=True)
class Scored:
    """A face compared with one identity."""

    identity: IdentityInfo
    positive: float
    negative: float
    score: float


class Gallery:
    """Positive and negative vectors of the approved, unexpired identities of one site."""

    def __init__(
        self,
        identities: dict[int, IdentityInfo],
        positives: list[tuple[int, np.ndarray]],
        negatives: list[tuple[int, np.ndarray]] = (),  # type: ignore[assignment]
    ) -> None:
        self.identities = identities
        self._pos_ids = np.array([i for i, _ in positives], dtype=np.int64)
        self._pos = np.stack([v for _, v in positives]).astype(np.float32) if positives else None
        self._neg_ids = np.array([i for i, _ in negatives], dtype=np.int64)
        self._neg = np.stack([v for _, v in negatives]).astype(np.float32) if negatives else None

    def __len__(self) -> int:
        return 0 if self._pos is None else len(set(self._pos_ids.tolist()))

    def scores(self, embedding: np.ndarray) -> list[Scored]:
        """Every identity's score for this face, best first."""
        if self._pos is None:
            return []
        e = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if e.shape[0] != self._pos.shape[1]:
            return []  # a vector of another model: not comparable
        pos = self._pos @ e
        best_pos: dict[int, float] = defaultdict(lambda: -1.0)
        for iid, s in zip(self._pos_ids.tolist(), pos.tolist(), strict=True):
            best_pos[iid] = max(best_pos[iid], s)
        best_neg: dict[int, float] = defaultdict(lambda: -1.0)
        if self._neg is not None:
            for iid, s in zip(self._neg_ids.tolist(), (self._neg @ e).tolist(), strict=True):
                best_neg[iid] = max(best_neg[iid], s)
        out = []
        for iid, p in best_pos.items():
            n = best_neg[iid]
            out.append(Scored(self.identities[iid], p, n, p - max(0.0, n - NEGATIVE_FLOOR)))
        out.sort(key=lambda s: s.score, reverse=True)
        return out

    def decide(self, embedding: np.ndarray) -> Match | None:
        ranked = self.scores(embedding)
        if not ranked:
            return None
        best = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        margin = best.score - max(second, 0.0)
        info = best.identity
        if best.score >= info.threshold and margin >= MIN_MARGIN:
            decision = MatchDecision.MATCH
        elif best.score >= info.threshold - info.uncertain_band:
            decision = MatchDecision.UNCERTAIN
        else:
            return None
        return Match(
            decision=decision,
            watchlist_id=info.watchlist_id,
            watchlist_name=info.watchlist_name,
            identity_id=info.identity_id,
            similarity=float(best.score),
            margin=float(margin),
            colour=info.colour,
        )


_LOAD = """
SELECT e.identity_id, e.kind, e.vector, e.dim, i.label, w.id, w.name, w.colour, w.threshold,
       w.uncertain_band, w.site_id, i.expires_at
FROM watchlist_embeddings e
JOIN watchlist_identities i ON i.id = e.identity_id
JOIN watchlists w ON w.id = i.watchlist_id
WHERE e.model_id = ? AND i.approved_by IS NOT NULL AND i.expires_at > ?
"""


def load_galleries(
    conn: sqlite3.Connection, model_id: str, now: float | None = None
) -> tuple[dict[str, Gallery], float]:
    """Galleries by site for embeddings of ``model_id``; and the earliest expiry among them (reload then)."""
    t = time.time() if now is None else now
    infos: dict[str, dict[int, IdentityInfo]] = defaultdict(dict)
    pos: dict[str, list[tuple[int, np.ndarray]]] = defaultdict(list)
    neg: dict[str, list[tuple[int, np.ndarray]]] = defaultdict(list)
    next_expiry = float("inf")
    for iid, kind, blob, dim, label, wid, wname, colour, thr, band, site, expires in conn.execute(
        _LOAD, (model_id, t)
    ):
        vec = np.frombuffer(blob, dtype=np.float32)
        if vec.shape[0] != dim:
            continue
        infos[site][iid] = IdentityInfo(iid, label, wid, wname, colour, float(thr), float(band))
        (pos if kind == "positive" else neg)[site].append((iid, vec))
        next_expiry = min(next_expiry, float(expires))
    galleries = {site: Gallery(infos[site], pos[site], neg[site]) for site in infos if pos[site]}
    return galleries, next_expiry
