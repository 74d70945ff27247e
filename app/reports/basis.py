"""How many people a compliance % rests on, said the same way on the timeline, in reports and in status.

A % from fewer than ``MIN_DECIDED`` decided people (masked + unmasked + incorrect) is marked "too few":
one person more or less moves it by 10 points or more.
"""

from __future__ import annotations

MIN_DECIDED = 10


def too_few(decided: float) -> bool:
    return 0 < decided < MIN_DECIDED


def basis_text(decided: float, people: float) -> str:
    """``8 decided of 11 people - too few`` (``- too few`` only under ``MIN_DECIDED``)."""
    noun = "person" if round(people) == 1 else "people"
    text = f"{decided:.0f} decided of {people:.0f} {noun}"
    return f"{text} - too few" if too_few(decided) else text


def compliance_text(masked: float, decided: float, people: float, digits: int = 0) -> str:
    """``62 % (8 decided of 11 people - too few)``; ``no clear verdict (0 decided of 3 people)``."""
    pct = f"{100.0 * masked / decided:.{digits}f} %" if decided else "no clear verdict"
    return f"{pct} ({basis_text(decided, people)})"
