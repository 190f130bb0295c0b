"""Local registries: directories of entry files, loaded and checked with positions.

An entry file::

    kind: action                 # or event
    name: notify-slack
    version: 1.2.0
    description: Post a message to a Slack channel
    template:                    # a Polyflow template, as inline in a pipeline
      kind: job
      inputs: [{name: channel, type: str}, {name: text, type: str}]
      build: {image: 'curlimages/curl:8.5.0'}
      run: {cmd: 'curl -fsS -X POST ...'}

References: ``action: notify-slack`` (the highest version) or ``action: notify-slack:1.2.0``.
Registries are searched in order (``--registry DIR``..., then ``POLYFLOW_REGISTRY``, a
path-separated list); the same name and version in two registries is an error unless the entries
are identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from ..errors import Diagnostic, PolyflowError
from ..language.base import Spec, fail
from ..language.template import Template
from ..source import LocatedDoc, read

VERSION = re.compile(r"^[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.-]+)?\Z")
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def _version(value: Any) -> str:
    text = str(value)
    if not VERSION.match(text):
        fail("PF360", f"version {text!r} is not a version number", hint="use e.g. '1.0.0'")
    return text


def _entry_name(value: str) -> str:
    if not NAME.match(value) or len(value) > 40:
        fail(
            "PF361",
            f"registry name {value!r} must be lowercase letters, digits and '-', at most 40 characters",
            hint="it becomes part of an Argo WorkflowTemplate name",
        )
    return value


class EntrySpec(Spec):
    kind: Literal["action", "event"]
    name: Annotated[str, AfterValidator(_entry_name)]
    version: Annotated[Any, AfterValidator(_version)]
    description: str | None = None
    template: Template


def version_key(version: str) -> tuple[Any, ...]:
    """Sort key: numeric parts, then a pre-release (``1.0.0-rc1``) before its release."""
    match = re.match(r"^(\d+(?:\.\d+)*)(.*)$", version)
    assert match is not None
    numbers = tuple(int(p) for p in match.group(1).split("."))
    numbers += (0,) * (4 - len(numbers))
    tail = match.group(2)
    return numbers + ((0, tail) if tail.startswith("-") else (1, tail))


@dataclass(frozen=True)
class Entry:
    spec: EntrySpec
    file: str
    doc: LocatedDoc = field(compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return str(self.spec.version)

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"

    builtin = False  # see registry/builtin.py


MAX_TEMPLATE_NAME = 63


def template_ref_name(entry: Entry) -> str:
    """The WorkflowTemplate name of an entry version: ``polyflow-<kind>-<name>-v<version>``.

    A name longer than 63 characters is cut (the entry's name first, so the version stays readable)
    and ends in ``-`` and 8 hex digits of a hash of the kind, name and version as written, so two
    versions never share a cut name (names that fit are kept as they are). ``registry build`` and
    ``push`` still refuse two entries with one name (PF365): versions that differ only in
    punctuation (``1.0.0-rc.1``, ``1.0.0-rc-1``) normalise alike.
    """
    version = re.sub(r"[^a-z0-9]+", "-", entry.version.lower()).strip("-")
    name = f"polyflow-{entry.kind}-{entry.name}-v{version}"
    if len(name) <= MAX_TEMPLATE_NAME:
        return name
    digest = hashlib.sha256(f"{entry.kind}\0{entry.name}\0{entry.version}".encode()).hexdigest()[:8]
    prefix, suffix = f"polyflow-{entry.kind}-", f"-v{version}-{digest}"
    room = MAX_TEMPLATE_NAME - len(prefix) - len(suffix)
    if room >= 8:  # keep the version readable: cut the entry's name
        return prefix + entry.name[:room].rstrip("-") + suffix
    return name[: MAX_TEMPLATE_NAME - len(digest) - 1].rstrip("-") + "-" + digest


def name_collisions(entries: list[Entry]) -> list[Diagnostic]:
    """PF365 for every published name that two entry versions would share."""
    by_name: dict[str, Entry] = {}
    out = []
    for entry in entries:
        name = template_ref_name(entry)
        other = by_name.setdefault(name, entry)
        if other is not entry:
            out.append(
                Diagnostic(
                    "PF365",
                    f"{entry.kind} {entry.ref} ({entry.file}) and {other.kind} {other.ref} ({other.file}) "
                    f"would both be published as WorkflowTemplate '{name}', so one would replace the other",
                    entry.doc.span(("version",)),
                    "choose versions that differ in more than punctuation (e.g. 1.0.0-rc1 and 1.0.0-rc2)",
                )
            )
    return out


LABEL_KIND = "polyflow.io/registry-kind"
LABEL_NAME = "polyflow.io/registry-name"
LABEL_VERSION = "polyflow.io/registry-version"

DEFINITION = "polyflow.io/definition"
"""Annotation holding the entry as written (compact JSON): ``registry build`` (registry/build.py) writes
it and compile reads in-cluster registries from it (registry/cluster.py), so typed inputs are checked
against the published version itself."""


def definition_text(entry: Entry) -> str:
    return json.dumps(entry.doc.data, separators=(",", ":"), sort_keys=True, default=str)


@dataclass
class Registry:
    entries: dict[tuple[str, str, str], Entry] = field(default_factory=dict)  # (kind, name, version)
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        key = (entry.kind, entry.name, entry.version)
        other = self.entries.get(key)
        if other is not None:
            if other.spec != entry.spec:
                self.problems.append(
                    Diagnostic(
                        "PF362",
                        f"{entry.kind} {entry.ref} is defined differently in {other.file} and {entry.file}",
                        entry.doc.span(("version",)),
                        "bump the version of one of them",
                    )
                )
            return
        self.entries[key] = entry

    def versions(self, kind: str, name: str) -> list[Entry]:
        found = [e for (k, n, _), e in self.entries.items() if k == kind and n == name]
        return sorted(found, key=lambda e: version_key(e.version))

    def find(self, kind: str, reference: str) -> Entry | None:
        name, _, version = reference.partition(":")
        if version:
            return self.entries.get((kind, name, version))
        found = self.versions(kind, name)
        return found[-1] if found else None

    def names(self, kind: str) -> list[str]:
        return sorted({n for (k, n, _) in self.entries if k == kind})


def registry_paths(explicit: tuple[str, ...] | list[str] = ()) -> list[Path]:
    """``--registry`` values, then ``POLYFLOW_REGISTRY`` (split on the path separator; ``cluster:NS``
    and ``cluster-scope:`` stay whole: registry/cluster.py, read by registry/sources.py)."""
    paths = [Path(p) for p in explicit]
    parts = os.environ.get("POLYFLOW_REGISTRY", "").split(os.pathsep)
    while parts:
        part = parts.pop(0)
        if part in ("cluster", "cluster-scope") and os.pathsep == ":":
            part += ":" + (parts.pop(0) if parts else "")
        if part:
            paths.append(Path(part))
    return paths


def load_registries(paths: list[Path]) -> Registry:
    """Read every entry file under each path; problems are collected, not raised."""
    registry = Registry()
    for root in paths:
        if not root.is_dir():
            registry.problems.append(
                Diagnostic("PF363", f"registry {root} is not a directory", None,
                           "pass --registry DIR or set POLYFLOW_REGISTRY to existing directories")
            )
            continue
        for path in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
            try:
                doc = read(path)
                spec = _validate(doc)
            except PolyflowError as exc:
                registry.problems.extend(exc.diagnostics)
                continue
            registry.add(Entry(spec, str(path), doc))
    return registry


def _validate(doc: LocatedDoc) -> EntrySpec:
    from ..language.load import load_mapping

    return load_mapping(doc, EntrySpec.model_validate, EntrySpec, "a registry entry must be a mapping",
                        "start with `kind: action` or `kind: event`")
