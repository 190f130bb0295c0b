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
    path: str | None = None
    url: str | None = None
    action: str | None = None
    event: str | None = None

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
    op: str
    trigger: Literal["succeeded", "failed", "done"]


Pair = Annotated[list[Any], Field(min_length=2, max_length=2)]


class OutputsCondition(Spec):
    kind: Literal["outputs"]
    op: str
    exp: Literal["eq", "ne"]
    params: list[Pair]


Condition = Annotated[StatusCondition | OutputsCondition, Field(discriminator="kind")]


class Op(Spec):
    """One node of the pipeline DAG."""

    name: Name
    template: TemplateRef
    params: dict[str, Any] | None = None
    dependencies: list[str] | None = None
    trigger: Trigger | None = None
    max_retries: Int | None = None
    retry_delay: Int | None = None
    retry_exp_backoff: Bool | None = None
    max_retry_delay: Int | None = None
    skip_on_upstream_skip: Bool | None = None
    concurrency: Int | None = None
    conditions: Condition | None = None
    environment: ExperimentEnvironment | None = None
    build: Build | None = None
    logging: Logging | None = None
    description: str | None = None
    tags: Tags | None = None
    kind: str | None = None
    version: Int | None = None

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
