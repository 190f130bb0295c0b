"""DNS-safe, keyword-safe, deterministic Argo names.

Task and template names must match ``[a-z0-9][-a-z0-9]*`` (lowercase: they become pod names),
must not start with a digit (``depends`` validation), must not be expr-lang keywords (a task named
``in`` makes every dependent task Error at run time; argo-semantics.md §1), and are at most 63
characters. Names that are already valid are kept; others get a deterministic, collision-free
name. Names are assigned in a fixed order, so the same pipeline always gets the same names.
"""

from __future__ import annotations

import hashlib
import re

EXPR_KEYWORDS = frozenset(
    {"in", "not", "and", "or", "true", "false", "nil", "let", "if", "else", "matches", "contains",
     "startswith", "endswith", "startsWith", "endsWith"}
)
_VALID = re.compile(r"^[a-z][-a-z0-9]*\Z")
MAX_NAME = 63
DISPLAY_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-.]{0,61}[a-zA-Z0-9]\Z")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")


def is_valid(name: str, limit: int = MAX_NAME) -> bool:
    return (
        bool(_VALID.match(name))
        and len(name) <= limit
        and name not in EXPR_KEYWORDS
        and "--" not in name[-1:]
    )


def _short_hash(text: str, n: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def sanitize(name: str, limit: int = MAX_NAME, prefix: str = "op") -> str:
    """A valid name derived from ``name`` (not yet made unique)."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    base = re.sub(r"-{2,}", "-", base)
    if not base:
        base = f"{prefix}-{_short_hash(name)}"
    if base[0].isdigit():
        base = f"{prefix}-{base}"
    if base in EXPR_KEYWORDS:
        base = f"{base}-{prefix}"
    if len(base) > limit:
        base = base[: limit - 7].rstrip("-") + "-" + _short_hash(name)
    return base


class Namer:
    """Hands out unique names: valid names are reserved first, the rest are derived."""

    def __init__(self, reserved: tuple[str, ...] = (), limit: int = MAX_NAME, prefix: str = "op"):
        self.used: set[str] = set(reserved)
        self.limit = limit
        self.prefix = prefix

    def reserve_valid(self, names: list[str]) -> dict[str, str]:
        out = {}
        for name in names:
            if is_valid(name, self.limit) and name not in self.used:
                self.used.add(name)
                out[name] = name
        return out

    def unique(self, name: str) -> str:
        base = sanitize(name, self.limit, self.prefix)
        candidate, n = base, 2
        while candidate in self.used:
            suffix = f"-{n}"
            candidate = base[: self.limit - len(suffix)].rstrip("-") + suffix
            n += 1
        self.used.add(candidate)
        return candidate

    def assign(self, names: list[str]) -> dict[str, str]:
        """Map every name to a unique valid one; valid names map to themselves."""
        kept = self.reserve_valid(names)
        return {name: kept.get(name) or self.unique(name) for name in names}


def dns_label(name: str, limit: int = MAX_NAME) -> str:
    """A Kubernetes object name (DNS-1123 label) derived from ``name``."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    base = re.sub(r"-{2,}", "-", base) or "polyflow"
    if len(base) > limit:
        base = base[: limit - 7].rstrip("-") + "-" + _short_hash(name)
    return base


def label_value(value: str) -> str:
    """A valid label value (≤ 63 characters, alphanumeric ends)."""
    if LABEL_VALUE.match(value) and len(value) <= MAX_NAME:
        return value
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", value).strip("-_.")
    if len(cleaned) > MAX_NAME:
        cleaned = cleaned[:56].rstrip("-_.") + "-" + _short_hash(value)
    return cleaned or _short_hash(value)
