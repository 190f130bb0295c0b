"""polyflow-argo: run Polyaxon's Polyflow (2019) pipelines on Argo Workflows.

Public API::

    import polyflow_argo
    pipeline = polyflow_argo.load("pipeline.yaml")      # spec.Pipeline, or raises PolyflowError
    manifests = polyflow_argo.compile(pipeline)         # list of Argo manifest dicts
"""

from __future__ import annotations

from .compiler import compile, lint, load
from .errors import Diagnostic, PolyflowError, Span
from .translate.context import CompileOptions

__all__ = ["CompileOptions", "Diagnostic", "PolyflowError", "Span", "compile", "lint", "load"]
__version__ = "0.1.0"
