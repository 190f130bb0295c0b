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
    image: str | None = None
    dockerfile: str | None = None
    context: str | None = None
    backend: Literal["native", "kaniko", "other"] | None = None
    build_steps: list[str] | None = None
    lang_env: str | None = None
    env_vars: list[EnvVar] | None = None
    commit: str | None = None
    branch: str | None = None
    nocache: Bool | None = None
    # The nested build inherits the common template fields in the original; they mean nothing.
    kind: Literal["build"] | None = None
    name: Name | None = None
    version: Int | None = None
    description: str | None = None
    tags: Tags | None = None
    logging: Logging | None = None
    inputs: list[IO] | None = None
    outputs: list[IO] | None = None
    params: dict[str, Any] | None = None
    environment: PodEnvironment | None = None

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

    @property
    def command(self) -> str:
        parts = [self.cmd] if isinstance(self.cmd, str) else self.cmd
        cleaned = [" ".join(_CONTINUATION.sub(" ", p).split()) for p in parts]
        return " && ".join(c for c in cleaned if c)


class _TemplateBase(Spec):
    name: Name | None = None
    version: Int | None = None
    description: str | None = None
    tags: Tags | None = None
    logging: Logging | None = None
    inputs: list[IO] | None = None
    outputs: list[IO] | None = None
    params: dict[str, Any] | None = None
    declarations: dict[str, Any] | None = None

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
    environment: PodEnvironment | None = None
    build: Build | None = None
    run: Run | None = None
    backend: str | None = None
    framework: str | None = None


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
    environment: ExperimentEnvironment | None = None
    build: Build | None = None
    run: Run | None = None
    backend: Literal["native", "kubeflow", "mpi", "other"] | None = None
    framework: str | None = None

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
    hptuning: HPTuning | None = None


class BuildTemplate(_TemplateBase, Build):
    kind: Literal["build"]
    environment: PodEnvironment | None = None


class NotebookTemplate(_TemplateBase):
    kind: Literal["notebook"]
    environment: PodEnvironment | None = None
    build: Build | None = None
    backend: Literal["notebook", "lab"] | None = None


class TensorboardTemplate(_TemplateBase):
    kind: Literal["tensorboard"]
    environment: PodEnvironment | None = None
    build: Build | None = None


Template = Annotated[
    JobTemplate | ExperimentTemplate | GroupTemplate | BuildTemplate | NotebookTemplate | TensorboardTemplate,
    Field(discriminator="kind"),
]
TEMPLATE_KINDS = ("job", "experiment", "group", "build", "notebook", "tensorboard")
