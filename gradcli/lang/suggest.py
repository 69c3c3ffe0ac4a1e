""" "did you mean ...?": the closest known name to a misspelt one."""

from __future__ import annotations

import difflib

# Words for a function that are not its name (an edit distance would not find them).
ALIAS_HINTS = {"sine": "did you mean 'sin'?", "cosine": "did you mean 'cos'?", "tangent": "did you mean 'tan'?"}


def edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of neighbours is one edit."""
    prev2, prev = [], list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def suggest(name: str, candidates) -> str | None:
    """ "did you mean 'tanh'?" for the closest candidate within a couple of edits."""
    best = min(
        sorted(c for c in candidates if c != name),  # never the name itself (y = x*y: y has no value yet)
        key=lambda c: (
            edits(name.lower(), c.lower()),
            abs(len(c) - len(name)),
            -difflib.SequenceMatcher(None, name, c).ratio(),
        ),
        default=None,
    )
    if best is None:
        return None
    distance = edits(name.lower(), best.lower())
    # Short names: only a change of case (X for x) or one extra or missing letter (xx for x).
    if distance > max(1, len(name) // 3) or (
        len(name) < 3 and distance and not (distance == 1 and len(best) < len(name))
    ):
        return None
    return f"did you mean '{best}'?"
