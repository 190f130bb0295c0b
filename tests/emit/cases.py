"""Shared inputs of the emit tests: the tricky strings table and the golden manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Strings some YAML reader takes for another type when written plain (issue 15), by the rule that
# catches them: YAML 1.1 (PyYAML, go-yaml v2 under sigs.k8s.io/yaml), YAML 1.2 core, Go's strconv.
NON_STRINGS = [
    # booleans: YAML 1.1 (y/n only go-yaml v2 and the spec; PyYAML misses them) and 1.2
    "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    "true", "True", "TRUE", "false", "False", "FALSE",
    # null
    "", "~", "null", "Null", "NULL",
    # integers: decimal, signs, octal 1.1 and 1.2, hex, binary, underscores, base 60, Go's prefixes
    "0", "7", "-1", "+1", "017", "09", "0o17", "-0o17", "0O17", "0x1F", "0X1F", "-0x1F", "0b101",
    "0B101", "-0b1", "1_000", "1__0", "1_", "+_1", "12:30", "1:20:30", "-1:30", "99999999999999999999",
    "010_000",
    # floats: 1.1 (PyYAML needs a dot and a signed exponent), 1.2 core (no dot, unsigned exponent)
    "1.5", "1.", "-1.5", ".5", "-.5", "+.5", "1e3", "1E3", "1e+3", "1e-3", "-1e3", "1.e3", ".5e3",
    "1_0e3", "24642126e889", "1e999", "190:20:30.15",
    ".inf", ".Inf", ".INF", "+.inf", "-.inf", "-.Inf", ".nan", ".NaN", ".NAN",
    # timestamps (YAML 1.1; go-yaml v3 reads them as time)
    "2001-12-14", "2001-1-2", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z", "2002-12-14T1:2:3Z",
    # merge key and value
    "<<", "=",
]

# Strings that every reader reads as strings when written plain: no quotes needed for the type (the
# golden bytes depend on it) — version strings, hex hashes, names, durations, Argo expressions.
PLAIN_STRINGS = [
    "1.2.3", "v1", "3.5x", "abc", "0x", "0xZ", "0b2", "0o8", "1e", "e3", "1e3x", "12:30pm", "1:2:3:",
    "_1", "-", "+", ".", "..", "...5", "1-2", "2001-12", "2001-12-14x", "yess", "nope",
    "onn", "Off1", "NULLs", "inf", "nan", "+inf", "-nan", "Infinity", "0x1p-2", "1.0.0-rc1",
    "6b9c1d2e", "deadbeef", "e4b1", "10s", "5m", "1h30m", "argoproj.io/v1alpha1", "{{inputs.parameters.x}}",
    "tasks.a.Succeeded", "alpine:3.10", "python:3.7-slim", "a b", "ä", "日本",
]

# Strings the emitter must get right for other reasons: indicators, spaces, line breaks, unicode
# line separators, long keys; every reader must read them back unchanged.
AWKWARD_STRINGS = [
    "- a", "? a", ": a", "a: b", "a #b", "#a", "&a", "*a", "!a", "|a", ">a", "%a", "@a", "`a", "'a'",
    '"a"', "[a]", "{a}", "a,b", " a", "a ", "\ta", "a\t", "a\nb", "a\nb\n", "a\n\n", "\na", " a\nb",
    "a\n ", "a\r\nb", "a\rb", "\x85", "a\u2028b", "a\u2029b", "\ufeffa", "\x07", "\x1b[0m", "a\\b",
    "😀", "\u00a0a", "k" * 200, "x\n" * 3 + "y",
]

TRICKY = NON_STRINGS + PLAIN_STRINGS + AWKWARD_STRINGS


def tricky_manifest() -> dict[str, Any]:
    """A manifest holding every tricky string as a value, a key and a list item."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "tricky", "labels": {"app": "y"}},
        "data": {f"v{i}": s for i, s in enumerate(TRICKY)},
        "keys": {s: i for i, s in enumerate(TRICKY)},
        "list": list(TRICKY),
        "typed": {"int": 17, "neg": -3, "big": 2**63 - 1, "float": 1.5, "exp": 1e20, "tiny": 1e-7,
                  "zero": 0.0, "true": True, "false": False, "null": None, "empty": {}, "none": []},
    }


def golden_files() -> list[Path]:
    """Every golden that holds manifests (not diagnostics): examples/*.argo.yaml, tests/golden/**."""
    paths = sorted(ROOT.glob("examples/*.argo.yaml")) + sorted((ROOT / "tests" / "golden").rglob("*.yaml"))
    return [p for p in paths if golden_body(p).startswith("---")]


def golden_body(path: Path) -> str:
    """The YAML stream of a golden, without the comment lines (warnings) it starts with."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        i += 1
    return "".join(lines[i:])


def golden_docs(path: Path) -> list[dict[str, Any]]:
    return list(yaml.load_all(golden_body(path), Loader=yaml.CSafeLoader))
