"""The resolved pipeline (IR): graph, resolved templates and typed params.

Frozen dataclasses built by the passes in :mod:`.passes`. Every node keeps its document path so
later stages can still point at the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from ..errors import Diagnostic
from ..language import IO, Op
from ..language import Pipeline as SpecPipeline
from ..language.template import Template
from ..source import LocatedDoc, PathT

if TYPE_CHECKING:  # types only: the registry is an earlier stage; schedule.py is a pass over this IR
    from ..registry.builtin import BuiltinEvent
    from ..registry.local import Entry

    from .schedule import ResolvedSchedule

# A value as YAML (or JSON) gives it: what a param is written as, and its typed value.
Value: TypeAlias = "str | int | float | bool | None | list[Value] | dict[str, Value]"


@dataclass(frozen=True, slots=True)
class Ref:
    """``{{ ops.X.outputs.Y }}`` (entity ``ops``) or ``{{ jobs.N.outputs.Y }}`` (``jobs``/``experiments``)."""

    entity: str
    target: str
    output: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Param:
    """One op param after typing: a literal ``value`` or a reference (``refs`` in text order)."""

    name: str
    raw: Value
    value: Value
    refs: tuple[Ref, ...]
    io: IO | None
    is_output: bool
    path: PathT
    from_default: bool = False


@dataclass(frozen=True, slots=True)
class ResolvedTemplate:
    """A template an op uses, with where it came from (``name``, ``path``, ``url``, ``action``, ``event``)."""

    name: str
    spec: Template
    source: str
    path: PathT
    ref: str = ""  # identity: the file of a path template, ``name:version`` of a registry entry
    entry: Entry | BuiltinEvent | None = None  # the registry entry of an action/event template

    @property
    def key(self) -> str:
        """Equal keys mean the same template (ops with equal keys may share an Argo template)."""
        return f"{self.source}:{self.ref or self.name}"

    @property
    def kind(self) -> str:
        return str(self.spec.kind)

    @property
    def inputs(self) -> list[IO]:
        return list(self.spec.inputs or [])

    @property
    def outputs(self) -> list[IO]:
        return list(self.spec.outputs or [])


@dataclass(frozen=True, slots=True)
class Node:
    """One op of the DAG with its upstream set (dependencies ∪ ops referenced in params)."""

    name: str
    index: int
    op: Op
    upstream: tuple[str, ...]
    template: ResolvedTemplate | None
    params: dict[str, Param]

    @property
    def path(self) -> PathT:
        return ("ops", self.index)

    @property
    def trigger(self) -> str:
        return self.op.effective_trigger


@dataclass
class Pipeline:
    """The resolved pipeline: what every later stage consumes."""

    spec: SpecPipeline
    doc: LocatedDoc
    nodes: dict[str, Node] = field(default_factory=dict)
    levels: list[list[str]] = field(default_factory=list)
    templates: dict[str, ResolvedTemplate] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    schedule: ResolvedSchedule | None = None  # None when the pipeline has no schedule

    @property
    def name(self) -> str | None:
        return self.spec.name
