"""Templates (spec §1.4, §1.8, §1.9): the six kinds, their builds and run commands."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Bool, Int, Name, Spec, Tags, fail
from .environment import ExperimentEnvironment, PodEnvironment
from .hptuning import HPTuning
from .io import IO
from .logging import Logging


def check_image(image: str) -> str:
    """The original's image check: no spaces, at most two ':', ``registry:port/name:tag``."""
    if " " in image or not image:
        fail("PF251", f"invalid image {image!r}: it must not contain spaces", hint="e.g. 'python:3.7-slim'")
    parts = image.split(":")
    if len(parts) > 3:
        fail("PF251", f"invalid image {image!r}: too many ':'", hint="use 'registry:port/name:tag'")
    if len(parts) == 3 and ("/" not in parts[1] or parts[1].startswith("/")):
        fail("PF251", f"invalid image {image!r}: with two ':' the form is 'registry:port/name:tag'")
    return image


EnvVar = Annotated[list[Any], Field(min_length=2, max_length=2)]


class Build(Spec):
    """A build: exactly one of ``ref``, ``image``, ``dockerfile``."""

    ref: int | str | None = None
    """Reuse an earlier build: its tag, or a full image reference."""
    image: str | None = None
    """The image to run, e.g. 'python:3.7-slim' (with `build_steps`, the base of a generated Dockerfile)."""
    dockerfile: str | None = None
    """A Dockerfile to build, relative to the build context."""
    context: str | None = None
    """The build context folder, relative to the project's context (polyflow.yaml `build.context`)."""
    backend: Literal["native", "kaniko", "other"] | None = None
    """The builder: `native` or `kaniko` (polyflow.yaml `build.builder` by default)."""
    build_steps: list[str] | None = None
    """Commands run in the generated Dockerfile (one RUN each)."""
    lang_env: str | None = None
    """The LANG of the generated Dockerfile."""
    env_vars: list[EnvVar] | None = None
    """`[name, value]` pairs set in the generated Dockerfile."""
    commit: str | None = None
    """The git commit to build."""
    branch: str | None = None
    """The git branch to build (unpinned: every run builds a new image)."""
    nocache: Bool | None = None
    """Build without the builder's cache."""
    # The nested build inherits the common template fields in the original; they mean nothing.
    kind: Literal["build"] | None = None
    """`build` (inherited from the template fields; ignored here)."""
    name: Name | None = None
    """Ignored here."""
    version: Int | None = None
    """Ignored here."""
    description: str | None = None
    """Ignored here."""
    tags: Tags | None = None
    """Ignored here."""
    logging: Logging | None = None
    """Ignored here."""
    inputs: list[IO] | None = None
    """Ignored here."""
    outputs: list[IO] | None = None
    """Ignored here."""
    params: dict[str, Any] | None = None
    """Ignored here."""
    environment: PodEnvironment | None = None
    """The build pod's environment."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return value if not value else check_image(value)

    @model_validator(mode="after")
    def _one_source(self) -> Build:
        given = [k for k in ("ref", "image", "dockerfile") if getattr(self, k) not in (None, "")]
        if len(given) != 1:
            what = "none" if not given else " and ".join(f"`{k}`" for k in given)
            fail(
                "PF250",
                f"a build needs exactly one of `ref`, `image` or `dockerfile` (got {what})",
                hint="e.g. `image: 'python:3.7-slim'`" if not given else f"keep only one of {what}",
            )
        return self


_CONTINUATION = re.compile(r"\\\s*\n\s*")


class Run(Spec):
    """``run: {cmd}``; a list is joined with ``&&``, executed with ``/bin/bash -c`` (or the project
    config's ``shell``, translate/shell.py)."""

    cmd: str | list[str]
    """The command, run with /bin/bash -c (polyflow.yaml `shell`); a list is joined with ` && `; `{{ name }}`
    reads an input."""

    @property
    def command(self) -> str:
        parts = [self.cmd] if isinstance(self.cmd, str) else self.cmd
        cleaned = [" ".join(_CONTINUATION.sub(" ", p).split()) for p in parts]
        return " && ".join(c for c in cleaned if c)


class _TemplateBase(Spec):
    name: Name | None = None
    """The template's name, used by `template: {name: ...}`: letters, digits, `-` and `_`."""
    version: Int | None = None
    """Free integer, not used."""
    description: str | None = None
    """Free text."""
    tags: Tags | None = None
    """Free tags (a list of strings)."""
    logging: Logging | None = None
    """Logging settings."""
    inputs: list[IO] | None = None
    """Typed inputs: ops pass them as `params`."""
    outputs: list[IO] | None = None
    """Typed outputs: other ops read them as '{{ ops.NAME.outputs.X }}'."""
    params: dict[str, Any] | None = None
    """Fixed values of this template's inputs and outputs."""
    declarations: dict[str, Any] | None = None
    """Deprecated alias of `params`."""

    @model_validator(mode="after")
    def _params_alias(self) -> _TemplateBase:
        if self.params is not None and self.declarations is not None:
            fail(
                "PF252",
                "`declarations` and `params` cannot be used together",
                at="declarations",
                hint="`declarations` is a deprecated alias: keep only `params`",
            )
        return self

    @property
    def fixed_params(self) -> dict[str, Any]:
        return dict(self.params or self.declarations or {})


class JobTemplate(_TemplateBase):
    kind: Literal["job"]
    """`job`: one container."""
    environment: PodEnvironment | None = None
    """The pod's environment (resources, node selector, secrets, ...)."""
    build: Build | None = None
    """The image to run."""
    run: Run | None = None
    """The command to run."""
    backend: str | None = None
    """Free string, not used."""
    framework: str | None = None
    """Free string, not used."""


FRAMEWORKS = ("tensorflow", "mxnet", "horovod", "pytorch")
_WORKERS = {"n_workers", "default_worker", "worker"}
_REPLICA_FIELDS = {
    "tensorflow": _WORKERS | {"n_ps", "default_ps", "ps"},
    "mxnet": _WORKERS | {"n_ps", "default_ps", "ps"},
    "horovod": _WORKERS,
    "pytorch": _WORKERS,
    "mpi": {"n_workers", "default_worker"},
}


class ExperimentTemplate(_TemplateBase):
    kind: Literal["experiment"]
    """`experiment`: one container, or a distributed training job with `environment.replicas`."""
    environment: ExperimentEnvironment | None = None
    """The pod's environment; `replicas` makes it distributed."""
    build: Build | None = None
    """The image to run."""
    run: Run | None = None
    """The command to run."""
    backend: Literal["native", "kubeflow", "mpi", "other"] | None = None
    """native, kubeflow, mpi or other; `mpi` runs a distributed experiment as an MPIJob."""
    framework: str | None = None
    """tensorflow, pytorch, horovod or mxnet: required with `environment.replicas`."""

    @model_validator(mode="after")
    def _framework(self) -> ExperimentTemplate:
        replicas = self.environment.replicas if self.environment is not None else None
        if replicas is None:
            return self
        if self.framework not in FRAMEWORKS:
            fail(
                "PF253",
                "a distributed experiment (environment.replicas) needs `framework`: one of "
                + ", ".join(FRAMEWORKS)
                + (f" (got {self.framework!r})" if self.framework else ""),
                at="framework" if self.framework else None,
                hint="e.g. `framework: tensorflow`",
            )
        allowed = _REPLICA_FIELDS["mpi" if self.backend == "mpi" else str(self.framework)]
        for key in sorted(replicas.model_fields_set - allowed):
            fail(
                "PF254",
                f"`replicas.{key}` is not used by "
                + ("the mpi backend" if self.backend == "mpi" else f"the {self.framework} framework"),
                at=("environment", "replicas", key),
                hint="it takes " + ", ".join(sorted(allowed)),
            )
        return self


class GroupTemplate(ExperimentTemplate):
    kind: Literal["group"]  # type: ignore[assignment]
    """`group`: an experiment run once per hyperparameter suggestion."""
    hptuning: HPTuning | None = None
    """The search: `matrix` and one algorithm (grid_search, random_search)."""


class BuildTemplate(_TemplateBase, Build):
    kind: Literal["build"]
    """`build`: build an image (exactly one of `ref`, `image`, `dockerfile`)."""
    environment: PodEnvironment | None = None
    """The build pod's environment."""


class NotebookTemplate(_TemplateBase):
    kind: Literal["notebook"]
    """`notebook`: not run by polyflow-argo (an interactive service never ends)."""
    environment: PodEnvironment | None = None
    """The pod's environment."""
    build: Build | None = None
    """The image."""
    backend: Literal["notebook", "lab"] | None = None
    """notebook or lab."""


class TensorboardTemplate(_TemplateBase):
    kind: Literal["tensorboard"]
    """`tensorboard`: not run by polyflow-argo (an interactive service never ends)."""
    environment: PodEnvironment | None = None
    """The pod's environment."""
    build: Build | None = None
    """The image."""


Template = Annotated[
    JobTemplate | ExperimentTemplate | GroupTemplate | BuildTemplate | NotebookTemplate | TensorboardTemplate,
    Field(discriminator="kind"),
]
TEMPLATE_KINDS = ("job", "experiment", "group", "build", "notebook", "tensorboard")
