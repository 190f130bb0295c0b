"""``environment`` (spec §1.7): Polyaxon's pod environment, and the experiment flavour with replicas."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from .base import Int, Spec, fail


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        fail("PF243", f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            fail("PF243", "nan and infinity are not valid resources")
        return value
    if isinstance(value, str):
        for cast in (int, float):
            try:
                number = cast(value)
            except ValueError:
                continue
            if number == number and abs(number) != float("inf"):
                return number
        fail(
            "PF243",
            f"resources are plain numbers in Polyflow, got {value!r}",
            hint="cpu is in cores (0.5), memory in MiB (256), gpu/tpu in devices (1)",
        )
    fail("PF243", f"expected a number, got {type(value).__name__}")


Number = Annotated[float | int, BeforeValidator(_number)]


class ResourceRequirement(Spec):
    """Polyaxon numbers: cpu in cores, memory in MiB, gpu/tpu in devices."""

    requests: Number | None = None
    limits: Number | None = None


class Resources(Spec):
    cpu: ResourceRequirement | None = None
    memory: ResourceRequirement | None = None
    gpu: ResourceRequirement | None = None
    tpu: ResourceRequirement | None = None


class Persistence(Spec):
    """Deprecated: converted to ``data_refs`` / ``artifact_refs``."""

    data: list[str] | None = None
    outputs: str | None = None


class OutputsRefs(Spec):
    """Deprecated: mount outputs of previous runs by id or name."""

    jobs: list[int | str] | None = None
    experiments: list[int | str] | None = None


class PodEnvironment(Spec):
    """The pod environment of job, build, notebook and tensorboard templates."""

    index: Int | None = None
    resources: Resources | None = None
    node_selector: dict[str, Any] | None = None
    affinity: dict[str, Any] | None = None
    tolerations: list[dict[str, Any]] | None = None
    labels: dict[str, Any] | None = None
    annotations: dict[str, Any] | None = None
    service_account: str | None = None
    image_pull_secrets: list[str] | None = None
    max_restarts: Int | None = None
    secret_refs: list[str] | None = None
    config_map_refs: list[str] | None = None
    configmap_refs: list[str] | None = None
    data_refs: list[str] | None = None
    artifact_refs: list[str] | None = None
    persistence: Persistence | None = None
    outputs: OutputsRefs | None = None

    @model_validator(mode="after")
    def _aliases(self) -> PodEnvironment:
        if self.config_map_refs and self.configmap_refs:
            fail(
                "PF241",
                "`configmap_refs` and `config_map_refs` cannot be used together",
                at="configmap_refs",
                hint="keep only `config_map_refs`",
            )
        if self.persistence is not None and (self.data_refs is not None or self.artifact_refs is not None):
            fail(
                "PF242",
                "`persistence` cannot be combined with `data_refs` or `artifact_refs`",
                at="persistence",
                hint="move `persistence.data` to `data_refs` and `persistence.outputs` to `artifact_refs`",
            )
        return self

    @property
    def all_config_map_refs(self) -> list[str]:
        return list(self.config_map_refs or self.configmap_refs or [])


ReplicaEnvironment = PodEnvironment
"""A replica's environment is a full pod environment (with ``index``), as in the original."""


class Replicas(Spec):
    """Distributed training replicas (tensorflow ps/worker; horovod, pytorch, mxnet workers)."""

    n_workers: Int | None = None
    n_ps: Int | None = None
    default_worker: ReplicaEnvironment | None = None
    default_ps: ReplicaEnvironment | None = None
    worker: list[ReplicaEnvironment] | None = None
    ps: list[ReplicaEnvironment] | None = None


class ExperimentEnvironment(PodEnvironment):
    """The experiment flavour (experiment and group templates, and op-level overrides)."""

    replicas: Replicas | None = None

    @model_validator(mode="after")
    def _no_pod_metadata(self) -> ExperimentEnvironment:
        for key in ("labels", "annotations"):
            if getattr(self, key) is not None:
                fail(
                    "PF240",
                    f"`{key}` is not supported in this environment: Polyflow 0.5 accepts it only on "
                    "job, build, notebook and tensorboard templates (the original crashed here)",
                    at=key,
                    hint=f"move `{key}` to a job template's environment, or use `tags`",
                )
        return self
