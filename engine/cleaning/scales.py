"""Known answer scales: text levels that have an order (Likert agreement, likelihood, quality, ...).

A text column is ordinal when every one of its levels belongs to the same scale below, so a
column holding "Good" next to "Fizzo" stays categorical. Each scale lists its points from low to
high; words on one point are synonyms that survey tools use interchangeably.

It is also ordinal when every level starts with its own number and some carry words after it: the
numbered answers survey tools export ("1 - Not at all likely", "2", ..., "5 - Very likely") and
bands ("18-24", "25-34", "55+"), ordered by that number.
"""

from __future__ import annotations

import re

_NEUTRAL = ("neutral", "neither", "undecided")
SCALES: tuple[tuple[tuple[str, ...], ...], ...] = (
    (
        ("strongly disagree", "completely disagree", "totally disagree"),
        ("disagree", "mostly disagree"),
        ("somewhat disagree", "slightly disagree", "tend to disagree"),
        ("neither agree nor disagree", "neither agree or disagree", *_NEUTRAL),
        ("somewhat agree", "slightly agree", "tend to agree"),
        ("agree", "mostly agree"),
        ("strongly agree", "completely agree", "totally agree"),
    ),
    (
        ("extremely unlikely",),
        ("very unlikely",),
        ("unlikely",),
        ("somewhat unlikely", "slightly unlikely"),
        ("neither likely nor unlikely", "neither likely or unlikely", *_NEUTRAL),
        ("somewhat likely", "slightly likely"),
        ("likely",),
        ("very likely",),
        ("extremely likely",),
    ),
    (
        ("definitely would not", "definitely will not", "definitely not"),
        ("probably would not", "probably will not", "probably not"),
        ("might or might not", "may or may not", "not sure", "unsure"),
        ("probably would", "probably will", "probably"),
        ("definitely would", "definitely will", "definitely"),
    ),
    (
        ("extremely dissatisfied",),
        ("very dissatisfied",),
        ("dissatisfied",),
        ("somewhat dissatisfied", "slightly dissatisfied"),
        ("neither satisfied nor dissatisfied", "neither satisfied or dissatisfied", *_NEUTRAL),
        ("somewhat satisfied", "slightly satisfied"),
        ("satisfied",),
        ("very satisfied",),
        ("extremely satisfied",),
    ),
    (
        ("very poor", "terrible"),
        ("poor", "bad"),
        ("fair", "average"),
        ("good",),
        ("very good",),
        ("excellent",),
    ),
    (
        ("not at all important", "not important"),
        ("slightly important", "a little important"),
        ("moderately important", "somewhat important"),
        ("important",),
        ("very important",),
        ("extremely important",),
    ),
    (
        ("never",),
        ("rarely", "seldom"),
        ("sometimes", "occasionally"),
        ("often", "frequently"),
        ("very often",),
        ("always",),
    ),
    (
        ("very low",),
        ("low",),
        ("medium", "moderate"),
        ("high",),
        ("very high",),
    ),
)
_SPACING = re.compile(r"[\s_\-]+")
_NUMBERED = re.compile(r"\s*(\d+(?:\.\d+)?)(.*)", re.DOTALL)


def scale_order(levels: list[str]) -> list[str] | None:
    """The levels sorted low to high if all of them (at least two) lie on one known scale, else None."""
    if len(levels) < 2:
        return None
    keys = {level: _SPACING.sub(" ", level.strip().lower()).strip(" .") for level in levels}
    for scale in SCALES:
        rank = {word: position for position, point in enumerate(scale) for word in point}
        if all(key in rank for key in keys.values()):
            return sorted(levels, key=lambda level: (rank[keys[level]], level))
    return _numbered_order(levels)


def _numbered_order(levels: list[str]) -> list[str] | None:
    matches = [match for level in levels if (match := _NUMBERED.fullmatch(level))]
    if len(matches) != len(levels):
        return None
    numbers = {level: float(match.group(1)) for level, match in zip(levels, matches, strict=True)}
    # Bare numbers would have been read as a number column; two levels on one number are not a scale.
    worded = any(match.group(2).strip() for match in matches)
    if not worded or len(set(numbers.values())) != len(levels):
        return None
    return sorted(levels, key=numbers.__getitem__)
