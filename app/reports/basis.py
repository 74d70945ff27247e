"""How many people a compliance % rests on, said the same way on the timeline, in reports and in status.

A % from fewer than ``MIN_DECIDED`` decided people (masked + unmasked + incorrect) is marked "too few":
one person more or less moves it by 10 points or more.
"""

from __future__ import annotations

from collections.abc import Callable

from app.i18n import QT_TRANSLATE_NOOP

MIN_DECIDED = 10


def too_few(decided: float) -> bool:
    return 0 < decided < MIN_DECIDED


Translate = Callable[[str, str], str]  # (context, text) -> text shown; the window passes Qt's translate


def _english(context: str, text: str) -> str:
    del context
    return text


ONE_PERSON = QT_TRANSLATE_NOOP("Compliance", "{decided} decided of {people} person")
PEOPLE = QT_TRANSLATE_NOOP("Compliance", "{decided} decided of {people} people")
TOO_FEW = QT_TRANSLATE_NOOP("Compliance", "{basis} - too few")
NO_VERDICT = QT_TRANSLATE_NOOP("Compliance", "no clear verdict")


def basis_text(decided: float, people: float, tr_fn: Translate = _english) -> str:
    """``8 decided of 11 people - too few`` (``- too few`` only under ``MIN_DECIDED``)."""
    template = tr_fn("Compliance", ONE_PERSON if round(people) == 1 else PEOPLE)
    text = template.format(decided=f"{decided:.0f}", people=f"{people:.0f}")
    return tr_fn("Compliance", TOO_FEW).format(basis=text) if too_few(decided) else text


def compliance_text(
    masked: float, decided: float, people: float, digits: int = 0, tr_fn: Translate = _english
) -> str:
    """``62 % (8 decided of 11 people - too few)``; ``no clear verdict (0 decided of 3 people)``."""
    pct = f"{100.0 * masked / decided:.{digits}f} %" if decided else tr_fn("Compliance", NO_VERDICT)
    return f"{pct} ({basis_text(decided, people, tr_fn)})"
