"""The engine's watchlist stage: embeds a face only where its camera's site has matching switched on,
and compares it with that site's lists. Nothing is stored: faces that match nothing leave no trace.

Built inside the analysis thread or child process from the database path; it re-reads the switch, the
camera sites and (when the ``watchlist_state`` version moved or an entry expired) the embeddings every
``refresh_s`` seconds, over its own read-only connection.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.domain import Detection, Match
from app.errors import ModelError
from app.store.db import connect_readonly
from app.watchlist.faces import make_refiner, plausible_face, refine_keypoints
from app.watchlist.gallery import Gallery, load_galleries
from models.face_detector import FaceDetector
from models.face_embedder import DEFAULT_ALIGNMENT, FaceEmbedder, align_face

log = logging.getLogger(__name__)

REFRESH_S = 10.0


class WatchlistMatcher:
    """``MatchStage`` for the analysis engine (one owner thread)."""

    def __init__(
        self,
        db_path: Path | str,
        embedder: Callable[[], FaceEmbedder],
        model_id: str,
        refresh_s: float = REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
        refiner: Callable[[], FaceDetector] | None = make_refiner,
    ) -> None:
        self.db_path = Path(db_path)
        self._make_embedder = embedder
        self._embedder: FaceEmbedder | None = None
        self._make_refiner = refiner
        self._refiner: FaceDetector | None = None
        self.model_id = model_id
        self.refresh_s = refresh_s
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._next_refresh = -float("inf")
        self._version: int | None = None
        self._next_expiry = float("inf")
        self._camera_site: dict[str, str] = {}
        self._enabled: set[str] = set()
        self._galleries: dict[str, Gallery] = {}
        self.error: str | None = None
        self.embedded = 0  # faces embedded so far (for stats and tests)

    # ----- MatchStage ---------------------------------------------------------------------------------
    def wants(self, camera_id: str) -> bool:
        self._refresh()
        return self._gallery_for(camera_id) is not None

    def match(self, image: np.ndarray, detection: Detection, camera_id: str) -> Match | None:
        gallery = self._gallery_for(camera_id)
        if gallery is None or not plausible_face(detection):
            return None
        embedder = self._ensure_embedder()
        if embedder is None:
            return None
        if self._refiner is not None:
            detection = refine_keypoints(self._refiner, image, detection)
        vector = embedder.embed([align_face(image, detection.keypoints, DEFAULT_ALIGNMENT)])[0]
        self.embedded += 1
        return gallery.decide(vector)

    # ----- state ----------------------------------------------------------------------------------------
    def enabled_sites(self) -> set[str]:
        self._refresh()
        return set(self._enabled)

    def _gallery_for(self, camera_id: str) -> Gallery | None:
        if self.error is not None:
            return None
        site = self._camera_site.get(camera_id)
        if site is None or site not in self._enabled:
            return None
        gallery = self._galleries.get(site)
        return gallery if gallery is not None and len(gallery) else None

    def _ensure_embedder(self) -> FaceEmbedder | None:
        if self._embedder is None and self.error is None:
            try:
                self._embedder = self._make_embedder()
                if self._make_refiner is not None:
                    self._refiner = self._make_refiner()
            except Exception as exc:  # a broken model must not stop the station
                self.error = str(exc)
                log.error("watchlist matching stopped: %s", exc)
        return self._embedder

    def _refresh(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now < self._next_refresh and time.time() < self._next_expiry:
            return
        self._next_refresh = now + self.refresh_s
        try:
            if self._conn is None:
                self._conn = connect_readonly(self.db_path)
            conn = self._conn
            version = int(conn.execute("SELECT version FROM watchlist_state WHERE id = 1").fetchone()[0])
            self._camera_site = {
                str(r[0]): str(r[1]) for r in conn.execute("SELECT id, site_id FROM cameras")
            }
            if version != self._version or time.time() >= self._next_expiry:
                self._enabled = {
                    str(r[0]) for r in conn.execute("SELECT site_id FROM site_matching WHERE enabled = 1")
                }
                self._galleries, self._next_expiry = load_galleries(conn, self.model_id)
                self._version = version
                log.info(
                    "watchlists loaded (v%d): matching on for %s; %s",
                    version,
                    sorted(self._enabled) or "no site",
                    {s: len(g) for s, g in self._galleries.items()},
                )
        except Exception as exc:  # locked or damaged database: keep the last state, try again later
            log.warning("cannot refresh watchlists from %s: %s", self.db_path, exc)

    def close(self) -> None:
        if self._refiner is not None:
            self._refiner.close()
            self._refiner = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def build_matcher(db_path: str, model_path: str, model_sha256: str = "") -> WatchlistMatcher | None:
    """The stage for ``EngineSpec``: None when no model is configured and no site has matching on;
    ModelError when matching is on somewhere but the model is missing or wrong."""
    from models.face_embedder import OnnxFaceEmbedder
    from models.weights import sha256_file, verify_file

    if not model_path:
        if not Path(db_path).expanduser().is_file():
            return None  # no store yet: nobody can have switched matching on
        conn = connect_readonly(db_path)
        try:
            on = [r[0] for r in conn.execute("SELECT site_id FROM site_matching WHERE enabled = 1")]
        finally:
            conn.close()
        if on:
            raise ModelError(
                f"watchlist matching is on for site {', '.join(on)} but no face embedding model is set; "
                "set analysis.embedding_model in the settings (see README: Watchlists)"
            )
        return None
    path = verify_file(Path(model_path).expanduser(), model_sha256 or None)
    model_id = model_sha256.lower() if model_sha256 else sha256_file(path)
    return WatchlistMatcher(db_path, lambda: OnnxFaceEmbedder(path, model_id), model_id)
