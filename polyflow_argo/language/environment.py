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
    """The amount reserved: cpu in cores (0.5), memory in MiB (256), gpu/tpu in devices (1)."""
    limits: Number | None = None
    """The most the pod may use, in the same units."""


class Resources(Spec):
    cpu: ResourceRequirement | None = None
    """CPU cores, e.g. `{requests: 0.5, limits: 2}`."""
    memory: ResourceRequirement | None = None
    """Memory in MiB, e.g. `{requests: 512, limits: 1024}`."""
    gpu: ResourceRequirement | None = None
    """GPUs, in whole devices (requests equal to limits)."""
    tpu: ResourceRequirement | None = None
    """TPUs, in whole devices (requests equal to limits)."""


class Persistence(Spec):
    """Deprecated: converted to ``data_refs`` / ``artifact_refs``."""

    data: list[str] | None = None
    """Deprecated: use `data_refs`."""
    outputs: str | None = None
    """Deprecated: use `artifact_refs`."""


class OutputsRefs(Spec):
    """Deprecated: mount outputs of previous runs by id or name."""

    jobs: list[int | str] | None = None
    """Deprecated: outputs of earlier jobs, by id or name."""
    experiments: list[int | str] | None = None
    """Deprecated: outputs of earlier experiments, by id or name."""


class PodEnvironment(Spec):
    """The pod environment of job, build, notebook and tensorboard templates."""

    index: Int | None = None
    """The replica this entry is for (in `replicas.worker` and `replicas.ps`)."""
    resources: Resources | None = None
    """cpu (cores), memory (MiB), gpu and tpu (devices), each `{requests, limits}`; plain numbers."""
    node_selector: dict[str, Any] | None = None
    """Kubernetes nodeSelector: labels the node must have."""
    affinity: dict[str, Any] | None = None
    """Kubernetes affinity, as is."""
    tolerations: list[dict[str, Any]] | None = None
    """Kubernetes tolerations, as is."""
    labels: dict[str, Any] | None = None
    """Pod labels (job, build, notebook and tensorboard templates only)."""
    annotations: dict[str, Any] | None = None
    """Pod annotations (job, build, notebook and tensorboard templates only)."""
    service_account: str | None = None
    """The pod's ServiceAccount."""
    image_pull_secrets: list[str] | None = None
    """Secrets to pull the image with."""
    max_restarts: Int | None = None
    """Restarts of a failed pod (0 or more; 0 means restartPolicy Never)."""
    secret_refs: list[str] | None = None
    """Kubernetes Secrets exposed to the container as environment variables."""
    config_map_refs: list[str] | None = None
    """Kubernetes ConfigMaps exposed to the container as environment variables."""
    configmap_refs: list[str] | None = None
    """Deprecated alias of `config_map_refs`."""
    data_refs: list[str] | None = None
    """Data volumes to mount, by their name in polyflow.yaml `data`."""
    artifact_refs: list[str] | None = None
    """Artifact volumes to mount, by their name in polyflow.yaml `artifacts`."""
    persistence: Persistence | None = None
    """Deprecated: use `data_refs` and `artifact_refs`."""
    outputs: OutputsRefs | None = None
    """Deprecated: outputs of earlier runs."""

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
    """Number of workers."""
    n_ps: Int | None = None
    """Number of parameter servers (tensorflow, mxnet)."""
    default_worker: ReplicaEnvironment | None = None
    """The environment of every worker."""
    default_ps: ReplicaEnvironment | None = None
    """The environment of every parameter server."""
    worker: list[ReplicaEnvironment] | None = None
    """Per-worker environments, each with its `index`."""
    ps: list[ReplicaEnvironment] | None = None
    """Per-parameter-server environments, each with its `index`."""


class ExperimentEnvironment(PodEnvironment):
    """The experiment flavour (experiment and group templates, and op-level overrides)."""

    replicas: Replicas | None = None
    """Distributed training replicas (needs the template's `framework`; docs/distributed.md)."""

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
