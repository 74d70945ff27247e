"""Tile grids and merging of detections across tiles (pure functions, no model)."""

import pytest

from app.domain import BBox, Detection
from models.tiling import Candidate, Tile, confirmed, merge_detections, tile_grid


def _covered(tiles: list[Tile], x: int, y: int) -> bool:
    return any(t.x <= x < t.x + t.w and t.y <= y < t.y + t.h for t in tiles)


@pytest.mark.parametrize(
    ("w", "h", "size"), [(1280, 720, 192), (400, 267, 96), (301, 400, 128), (97, 61, 64)]
)
def test_tiles_cover_the_frame_with_overlap_and_stay_inside(w, h, size):
    tiles = tile_grid(w, h, size, overlap=0.25)
    assert all(t.x >= 0 and t.y >= 0 and t.x + t.w <= w and t.y + t.h <= h for t in tiles)
    assert all(_covered(tiles, x, y) for x in range(0, w, 7) for y in range(0, h, 7))
    assert _covered(tiles, w - 1, h - 1)
    xs = sorted({t.x for t in tiles})
    # neighbours share at least a quarter of a tile, so a face that small lies wholly in one tile
    assert all(b - a <= 0.75 * min(size, w) + 1 for a, b in zip(xs, xs[1:], strict=False))


def test_a_frame_smaller_than_a_tile_is_one_tile():
    assert tile_grid(100, 80, 192) == [Tile(0, 0, 100, 80)]


def test_more_tiles_for_smaller_tile_sizes():
    assert len(tile_grid(1280, 720, 96)) > len(tile_grid(1280, 720, 192)) > len(tile_grid(1280, 720, 384))


def test_bad_tiling_arguments_are_rejected():
    with pytest.raises(ValueError):
        tile_grid(100, 100, 0)
    with pytest.raises(ValueError):
        tile_grid(100, 100, 50, overlap=1.0)


def test_cut_means_touching_an_inner_tile_edge_only():
    t = Tile(100, 0, 200, 200)
    assert t.is_cut(BBox(100, 50, 130, 80), 640, 480)  # on the left edge, which is inside the frame
    assert not t.is_cut(BBox(150, 50, 180, 80), 640, 480)
    assert not Tile(0, 0, 200, 200).is_cut(BBox(0, 0, 30, 30), 640, 480)  # frame edge, not a cut


def _det(x1, y1, x2, y2, score=0.9):
    return Detection(BBox(x1, y1, x2, y2), score)


def test_merge_keeps_one_box_per_face_preferring_whole_over_cut():
    whole = _det(100, 100, 140, 140, score=0.7)
    duplicate = _det(102, 101, 141, 142, score=0.8)
    half = _det(100, 100, 120, 140, score=0.95)  # left half, cut by a tile edge
    other = _det(300, 300, 340, 340)
    cands = [Candidate(half, 0, cut=True), Candidate(whole, 1), Candidate(duplicate, 2), Candidate(other, 3)]
    merged = merge_detections(cands)
    assert len(merged) == 2
    assert duplicate in merged and other in merged  # the higher-scoring whole box of the first face
    assert half not in merged


def test_merge_keeps_a_cut_box_when_nothing_else_found_that_face():
    lone = _det(0, 0, 20, 40)
    assert merge_detections([Candidate(lone, 0, cut=True)]) == [lone]


def test_merge_keeps_neighbouring_faces_apart():
    a, b = _det(100, 100, 140, 140), _det(135, 100, 175, 140)
    assert len(merge_detections([Candidate(a, 0), Candidate(b, 0)])) == 2


def test_weak_boxes_survive_only_when_another_crop_agrees():
    weak = Candidate(_det(10, 10, 40, 40, 0.35), crop=0, strong=False)
    agreeing = Candidate(_det(11, 11, 41, 41, 0.4), crop=1, strong=False)
    same_crop = Candidate(_det(11, 11, 41, 41, 0.4), crop=0, strong=False)
    lonely = Candidate(_det(200, 10, 230, 40, 0.45), crop=2, strong=False)
    strong = Candidate(_det(300, 10, 330, 40, 0.9), crop=3)
    kept = confirmed([weak, agreeing, lonely, strong])
    assert weak in kept and agreeing in kept and strong in kept and lonely not in kept
    assert confirmed([weak, same_crop]) == []  # one crop cannot confirm itself
