""""Did you mean" suggestions for keys, enum values and names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to ``word``, if it is close enough to be a likely typo."""
    opts = [o for o in options if isinstance(o, str)]
    if not isinstance(word, str) or not opts:
        return None
    lowered = {o.lower(): o for o in opts}
    if word.lower() in lowered:
        return lowered[word.lower()]
    normalized = {o.replace("-", "_").lower(): o for o in opts}
    if word.replace("-", "_").lower() in normalized:
        return normalized[word.replace("-", "_").lower()]
    match = difflib.get_close_matches(word, opts, n=1, cutoff=0.6)
    if match:
        return match[0]
    # `bucket` for `input-bucket`: a whole word of a compound name.
    parts = [o for o in opts if word in o.replace("_", "-").split("-")]
    return parts[0] if len(parts) == 1 else None


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """``"did you mean 'x'?"`` or ``None``."""
    match = closest(word, options)
    return f"did you mean '{match}'?" if match and match != word else None


def one_of(options: Iterable[str]) -> str:
    return ", ".join(str(o) for o in options)
