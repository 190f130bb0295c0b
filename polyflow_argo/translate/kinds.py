"""The one table of template kinds: each builds the Argo templates of an op of that kind.

Adding a kind: a ``kind: Literal[...]`` model in language/template.py (and ``TEMPLATE_KINDS``), then
its builder here; tests/translate/test_kinds.py fails until both exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..resolve import Node
from .build import build_kind_template
from .context import TranslateContext
from .templates import TemplatePlan, container_template, unsupported_kind

# An op's plan (its template name, a namer, its image build, display name) → its Argo templates.
Builder = Callable[[TranslateContext, Node, TemplatePlan], list[dict[str, Any]] | None]


def _one(build: Callable[[TranslateContext, Node, TemplatePlan], dict[str, Any] | None]) -> Builder:
    def builder(ctx: TranslateContext, node: Node, plan: TemplatePlan) -> list[dict[str, Any]] | None:
        template = build(ctx, node, plan)
        return None if template is None else [template]

    return builder


def _group(ctx: TranslateContext, node: Node, plan: TemplatePlan) -> list[dict[str, Any]] | None:
    from .group import group_templates  # loaded for groups only (with resolve/matrix.py)

    return group_templates(ctx, node, plan)


def _build(ctx: TranslateContext, node: Node, plan: TemplatePlan) -> dict[str, Any] | None:
    return build_kind_template(ctx, node, plan.name, plan.build, plan.display_name)


# Keyed by the language's TEMPLATE_KINDS (tests/translate/test_kinds.py). Each returns the Argo
# templates of an op of that kind, the one its task calls first, or None after reporting why.
KINDS: dict[str, Builder] = {
    "job": _one(container_template),  # an experiment with replicas: translate/distributed.py
    "experiment": _one(container_template),
    "group": _group,  # hyperparameter search: translate/group.py
    "build": _one(_build),  # image builds: translate/build.py
    "notebook": _one(unsupported_kind),
    "tensorboard": _one(unsupported_kind),
}
