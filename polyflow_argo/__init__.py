"""polyflow-argo: run Polyaxon's Polyflow (2019) pipelines on Argo Workflows.

Public API::

    import polyflow_argo
    pipeline = polyflow_argo.load("pipeline.yaml")      # spec.Pipeline, or raises PolyflowError
"""

from __future__ import annotations

from .compiler import load, lint
from .errors import Diagnostic, PolyflowError, Span

__all__ = ["Diagnostic", "PolyflowError", "Span", "lint", "load"]
__version__ = "0.1.0"
