"""MIDDLE: the resolved pipeline (IR) and the passes that build it."""

from .context import ResolveOptions
from .model import Node, Param, Pipeline, Ref, ResolvedTemplate
from .passes import PASSES, resolve

__all__ = ["Node", "PASSES", "Param", "Pipeline", "Ref", "ResolveOptions", "ResolvedTemplate", "resolve"]
