"""Manifest dicts → YAML/JSON text (own Dumper, canonical key order); atomic writes are files.py's.

The same input always gives the same bytes: keys of Kubernetes objects come first in the
conventional order (apiVersion, kind, metadata, spec), other keys keep the order the translator
built them in, and the Dumper is our own subclass so importing Hera (which patches PyYAML's
default representers) cannot change our output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml

from .files import write_atomic as write_atomic  # re-exported: the CLI writes manifests with it

_BASE: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_HEAD = ("apiVersion", "kind", "metadata", "spec")


class _Dumper(_BASE):  # type: ignore[misc]  # _BASE is CSafeDumper (libyaml) or SafeDumper: known at run time
    """Our own SafeDumper: block style, no aliases, literal blocks for multi-line strings."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _dict(dumper: Any, value: dict[str, Any]) -> Any:
    return dumper.represent_mapping("tag:yaml.org,2002:map", list(value.items()))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)


def canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """Put the Kubernetes header keys first; keep the rest in build order."""
    head = {k: doc[k] for k in _HEAD if k in doc}
    head.update((k, v) for k, v in doc.items() if k not in head)
    return head


def to_yaml(docs: Iterable[dict[str, Any]]) -> str:
    """A YAML stream, one ``---`` document per manifest."""
    parts = [
        yaml.dump(
            canonical(d),
            Dumper=_Dumper,
            default_flow_style=False,
            sort_keys=False,
            width=4096,
            allow_unicode=True,
        )
        for d in docs
    ]
    return "".join("---\n" + p for p in parts)


def to_json(docs: list[dict[str, Any]], indent: int | None = None) -> str:
    """One object, or a kubectl-style ``List`` when there are several; compact by default (the C
    encoder: 6x faster than indented output on big pipelines). YAML is the format for reading."""
    body: dict[str, Any]
    if len(docs) == 1:
        body = canonical(docs[0])
    else:
        body = {"apiVersion": "v1", "kind": "List", "items": [canonical(d) for d in docs]}
    sep = (",", ":") if indent is None else (",", ": ")
    return json.dumps(body, indent=indent, separators=sep, ensure_ascii=False) + "\n"
