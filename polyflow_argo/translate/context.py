"""Options and state of one translation: the target, diagnostics, and ``unsupported``.

:class:`CompileOptions` is what a user asks of ``compile`` (the API and the CLI flags): it also
names the inputs (``params``, ``registries``, ``project``) and build flags. compiler.py reads those
and derives :class:`TranslateOptions` once, with the project config it read and the effective build
settings; translation reads only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from ..errors import DiagnosticSink
from ..resolve import Pipeline
from ..source import PathT
from .target import ArgoTarget

if TYPE_CHECKING:
    from ..language.project import BuildSettings, ProjectConfig


@dataclass(frozen=True)
class OutputOptions:
    """The fields of what is emitted, read by translation: shared by :class:`CompileOptions` (where
    a user sets them) and :class:`TranslateOptions` (what translation reads), under one name each."""

    name: str | None = None
    namespace: str | None = None
    argo_version: str = "4"
    strict: bool = False
    ignore_schedule: bool = False
    check_limits: bool = True
    lift_limits: bool = False
    allow_every_drift: bool = False
    starting_deadline_seconds: int | None = None
    successful_history_limit: int | None = None
    failed_history_limit: int | None = None
    suspend: bool = False
    registry_cluster_scope: bool = False
    tools_image: str = "python:3.12-alpine"
    service_account: str | None = None
    # run hygiene (docs/cluster.md): over the project config's; None: not set here
    active_deadline_seconds: int | None = None
    ttl_after_completion: int | None = None
    ttl_after_success: int | None = None
    ttl_after_failure: int | None = None
    pod_gc: str | None = None
    pod_gc_delete_delay: str | None = None


@dataclass(frozen=True)
class CompileOptions(OutputOptions):
    """What ``compile`` emits.

    Attributes:
        name: a fixed ``metadata.name`` (otherwise ``generateName`` from the pipeline name).
        namespace: ``metadata.namespace`` of every emitted object.
        argo_version: the Argo release to target (``3.5``, ``3.6``, ``3.7`` or ``4``).
        strict: every warning is an error (compile raises them; a dropped feature, PF401, is
            reported as an error where it is found), as ``--strict`` in every command.
        params: ``{"op.param": "value"}`` overrides applied before validation.
        ignore_schedule: compile a scheduled pipeline as a one-off Workflow.
        allow_every_drift: compile an interval that is not a whole number of minutes to ``@every``
            (which drifts) instead of rejecting it.
        starting_deadline_seconds, successful_history_limit, failed_history_limit, suspend: the
            CronWorkflow fields of the same names (scheduled pipelines only).
        registries: registry directories for ``action``/``event`` templates (before
            ``POLYFLOW_REGISTRY``); registry_cluster_scope: they are published as
            ClusterWorkflowTemplates (``registry build --cluster-scope``).
        tools_image: the image of polyflow-argo's own small steps (a group's best-trial pick);
            mirror it for clusters without access to Docker Hub.
        service_account: ``spec.serviceAccountName`` of the emitted Workflow (and CronWorkflow): the
            account step pods and the agent pod of event ops run as (``--service-account``; else
            ``service_account`` of the project config; else Argo's default).
        active_deadline_seconds, ttl_after_completion, ttl_after_success, ttl_after_failure, pod_gc,
            pod_gc_delete_delay: run hygiene (``--active-deadline-seconds``, ``--ttl-after-*``,
            ``--pod-gc``, ``--pod-gc-delete-delay``): the Workflow's ``activeDeadlineSeconds``,
            ``ttlStrategy`` and ``podGC``, over those of the project config (docs/cluster.md); unset
            and not in the project config, they are not emitted.
        check_limits: enforce Argo's limits (DAG tasks, templates, names, object size) and the
            backfill cap; off, none of them is checked.
        lift_limits: lift the limits a cluster can raise (200 DAG tasks and 200 templates per
            object of the full CRDs, ~1 MiB per object) and keep the others (``--lift-limits``;
            docs/performance.md says what the cluster then needs).
        project: the project config (default: ``polyflow.yaml`` beside the first pipeline file);
            build_context, build_registry, build_secret, builder, builder_image: override its
            ``build`` settings (docs/builds.md); ``compile`` derives the effective settings from
            them (:class:`TranslateOptions`).
    """

    params: tuple[tuple[str, str], ...] = ()
    registries: tuple[str, ...] = ()
    # image builds (docs/builds.md)
    project: str | None = None
    build_context: str | None = None
    build_registry: str | None = None
    build_secret: str | None = None
    builder: str | None = None
    builder_image: str | None = None


@dataclass(frozen=True)
class TranslateOptions(OutputOptions):
    """What translation reads: the output fields of :class:`CompileOptions` (same names and
    meanings), the project config read by the input edge and the effective build settings, which
    compiler.py derives once (``project_config``: None when there is none; ``build``: None when no
    build was configured, e.g. a registry template)."""

    project_config: ProjectConfig | None = None
    build: BuildSettings | None = None

    @classmethod
    def of(
        cls,
        options: CompileOptions,
        project_config: ProjectConfig | None = None,
        build: BuildSettings | None = None,
    ) -> TranslateOptions:
        """The translation options of ``options``: its output fields, and the derived state."""
        given = {f.name: getattr(options, f.name) for f in fields(OutputOptions)}
        return cls(**given, project_config=project_config, build=build)


@dataclass
class TranslateContext:
    ir: Pipeline
    options: TranslateOptions
    target: ArgoTarget
    sink: DiagnosticSink = field(default_factory=DiagnosticSink)
    scheduled: bool = False  # containers get POLYFLOW_SCHEDULED_TIME from {{workflow.scheduledTime}}
    spec_hash: str | None = None  # computed once (workflow.spec_hash)
    registry_entry: bool = False  # building a registry template (registry/build.py), for every pipeline

    def error(self, code: str, message: str, path: PathT, hint: str | None = None) -> None:
        self.sink.error(code, message, self.ir.doc.span(path), hint)

    def warning(self, code: str, message: str, path: PathT, hint: str | None = None) -> None:
        self.sink.warning(code, message, self.ir.doc.span(path), hint)

    def unsupported(self, path: PathT, what: str, why: str, hint: str | None = None) -> None:
        """A feature the target cannot express: a warning (dropped), an error with ``strict``."""
        report = self.error if self.options.strict else self.warning
        report(
            "PF401",
            f"{what} is not supported on Argo {self.target.version} and is dropped: {why}",
            path,
            hint,
        )
