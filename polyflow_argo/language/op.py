"""Ops (spec §1.2, §1.3, §1.11, §1.14): template references, triggers, retries, conditions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Bool, Int, Name, Spec, Tags, fail
from .environment import ExperimentEnvironment
from .logging import Logging
from .template import Build

Trigger = Literal["all_succeeded", "all_failed", "all_done", "one_succeeded", "one_failed", "one_done"]


def needs_upstream(trigger: str) -> bool:
    """A ``one_*`` trigger waits for one upstream op: on an op with none it can never hold."""
    return trigger.startswith("one_")
TEMPLATE_SOURCES = ("name", "path", "url", "action", "event")


class TemplateRef(Spec):
    """Exactly one of ``name`` (inline), ``path``, ``url``, ``action`` or ``event``."""

    name: str | None = None
    """A template of this pipeline's `templates`, by name."""
    path: str | None = None
    """A template file, relative to the file that names it (inside the project)."""
    url: str | None = None
    """A template fetched from an https:// URL and pinned in polyflow.lock (`polyflow-argo lock`)."""
    action: str | None = None
    """A registry action, `name` or `name:version` (docs/registry.md)."""
    event: str | None = None
    """A registry or built-in event (time, http, s3, k8s, pipeline, approval), `name` or `name:version`."""

    @model_validator(mode="after")
    def _exactly_one(self) -> TemplateRef:
        given = [k for k in TEMPLATE_SOURCES if getattr(self, k)]
        if len(given) != 1:
            fail(
                "PF220",
                "a template reference needs one and only one of: name, path, url, action, event"
                + (f" (got {' and '.join(given)})" if given else ""),
                hint="e.g. `template: {name: my-template}`",
            )
        return self

    @property
    def source(self) -> str:
        return next(k for k in TEMPLATE_SOURCES if getattr(self, k))

    @property
    def value(self) -> str:
        return str(getattr(self, self.source))


class StatusCondition(Spec):
    kind: Literal["status"]
    """`status`: compare the status of an upstream op."""
    op: str
    """The upstream op whose status is read (list it in `dependencies`)."""
    trigger: Literal["succeeded", "failed", "done"]
    """The status the op must have: succeeded, failed or done."""


Pair = Annotated[list[Any], Field(min_length=2, max_length=2)]


class OutputsCondition(Spec):
    kind: Literal["outputs"]
    """`outputs`: compare outputs of an upstream op."""
    op: str
    """The upstream op whose outputs are read (list it in `dependencies`)."""
    exp: Literal["eq", "ne"]
    """`eq` (every pair equal) or `ne`."""
    params: list[Pair]
    """`[output, value]` pairs to compare."""


Condition = Annotated[StatusCondition | OutputsCondition, Field(discriminator="kind")]


class Op(Spec):
    """One node of the pipeline DAG."""

    name: Name
    """The op's name, unique in the pipeline: letters, digits, `-` and `_`."""
    template: TemplateRef
    """What the op runs: exactly one of `name`, `path`, `url`, `action`, `event`."""
    params: dict[str, Any] | None = None
    """Values of the template's inputs (and outputs), by name; a value may reference another op: '{{
    ops.NAME.outputs.X }}'."""
    dependencies: list[str] | None = None
    """Ops that must finish before this one (a list of op names)."""
    trigger: Trigger | None = None
    """When the op runs, given its upstream ops' results (default all_succeeded)."""
    max_retries: Int | None = None
    """Retries after a failure (0 or more)."""
    retry_delay: Int | None = None
    """Seconds before a retry (default 60; 0 or more)."""
    retry_exp_backoff: Bool | None = None
    """Double the delay at each retry, up to `max_retry_delay`."""
    max_retry_delay: Int | None = None
    """Upper bound of the delay between retries, in seconds (default 3600; 0 or more)."""
    skip_on_upstream_skip: Bool | None = None
    """Skip this op when an upstream op is skipped."""
    concurrency: Int | None = None
    """At most this many runs of this op at once, across pipeline runs (at least 1)."""
    conditions: Condition | None = None
    """One condition (`kind: status` or `kind: outputs`) on an upstream op; the op is skipped when it does
    not hold."""
    environment: ExperimentEnvironment | None = None
    """Overrides of the template's environment (resources, node selector, secrets, replicas, ...)."""
    build: Build | None = None
    """Overrides the template's `build` (the image the op runs)."""
    logging: Logging | None = None
    """Logging settings of this op."""
    description: str | None = None
    """Free text."""
    tags: Tags | None = None
    """Free tags (a list of strings)."""
    kind: str | None = None
    """Free string, not used."""
    version: Int | None = None
    """Free integer, not used."""

    @field_validator("params", mode="before")
    @classmethod
    def _params_mapping(cls, value: Any) -> Any:
        if value == []:
            return None  # the original accepted an empty list
        if value is not None and not isinstance(value, dict):
            fail(
                "PF221",
                "op `params` must be a mapping of input name to value",
                hint="write `params: {lr: 0.1}`, not a list",
            )
        return value

    @field_validator("dependencies", mode="before")
    @classmethod
    def _deps_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            fail(
                "PF222", "`dependencies` must be a list of op names", hint=f"write `dependencies: [{value}]`"
            )
        return value

    @property
    def effective_trigger(self) -> str:
        return self.trigger or "all_succeeded"
