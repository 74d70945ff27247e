from app.analysis.verdict import VerdictAccumulator, VerdictConfig, confidence_to_text
from app.domain import MaskState

MASK = (0.95, 0.03, 0.02)
NO_MASK = (0.03, 0.95, 0.02)
INCORRECT = (0.05, 0.05, 0.90)


def feed(acc: VerdictAccumulator, frames):
    """Feed (state, probs) frames; return the changes that were reported, in order."""
    changes = []
    for state, probs in frames:
        change = acc.update(state, probs)
        if change is not None:
            changes.append(change)
    return changes


def test_settles_once_after_min_confident_frames():
    acc = VerdictAccumulator(VerdictConfig(min_frames=3))
    assert acc.update(MaskState.NO_MASK, NO_MASK) is None
    assert acc.update(MaskState.NO_MASK, NO_MASK) is None
    assert acc.verdict is MaskState.UNKNOWN
    change = acc.update(MaskState.NO_MASK, NO_MASK)
    assert change is not None and change.first
    assert change.verdict is MaskState.NO_MASK and change.frames == 3
    # Many more frames of the same: no second report, so the event is written once per person.
    assert feed(acc, [(MaskState.NO_MASK, NO_MASK)] * 30) == []
    assert acc.verdict is MaskState.NO_MASK
    assert "no_mask" in confidence_to_text(change)


def test_uncertain_and_unknown_frames_are_ignored():
    acc = VerdictAccumulator()
    frames = [(MaskState.UNCERTAIN, None), (MaskState.UNCERTAIN, NO_MASK), (MaskState.UNKNOWN, None)] * 5
    assert feed(acc, frames) == []
    assert acc.verdict is MaskState.UNKNOWN and acc.frames == 0


def test_one_blurred_wrong_frame_cannot_flip_a_settled_verdict():
    acc = VerdictAccumulator()
    feed(acc, [(MaskState.MASK, MASK)] * 6)
    assert acc.verdict is MaskState.MASK
    # a blurred frame judged confidently wrong, then an extreme one with probability 1.0 for no_mask
    changes = feed(
        acc,
        [(MaskState.NO_MASK, NO_MASK), (MaskState.NO_MASK, (0.0, 1.0, 0.0))] + [(MaskState.MASK, MASK)] * 3,
    )
    assert changes == []
    assert acc.verdict is MaskState.MASK


def test_one_wrong_frame_cannot_settle_or_pick_the_first_verdict():
    acc = VerdictAccumulator()
    changes = feed(acc, [(MaskState.NO_MASK, NO_MASK)] + [(MaskState.MASK, MASK)] * 4)
    assert [c.verdict for c in changes] == [MaskState.MASK]


def test_changes_only_with_sustained_evidence():
    acc = VerdictAccumulator(VerdictConfig(change_frames=4))
    feed(acc, [(MaskState.MASK, MASK)] * 6)
    # the person takes the mask off: three frames are not enough...
    assert feed(acc, [(MaskState.NO_MASK, NO_MASK)] * 3) == []
    assert acc.verdict is MaskState.MASK
    # ...sustained evidence is
    changes = feed(acc, [(MaskState.NO_MASK, NO_MASK)] * 10)
    assert len(changes) == 1
    assert changes[0].previous is MaskState.MASK and changes[0].verdict is MaskState.NO_MASK
    assert not changes[0].first
    assert acc.verdict is MaskState.NO_MASK


def test_alternating_frames_never_flip_back_and_forth():
    acc = VerdictAccumulator()
    feed(acc, [(MaskState.INCORRECT, INCORRECT)] * 5)
    assert acc.verdict is MaskState.INCORRECT
    changes = feed(acc, [(MaskState.MASK, MASK), (MaskState.INCORRECT, INCORRECT)] * 20)
    assert changes == []
    assert acc.verdict is MaskState.INCORRECT


def test_ambiguous_evidence_does_not_settle():
    acc = VerdictAccumulator()
    assert feed(acc, [(MaskState.MASK, (0.5, 0.45, 0.05))] * 20) == []
    assert acc.verdict is MaskState.UNKNOWN
