"""polyflow-argo: run Polyaxon's Polyflow (2019) pipelines on Argo Workflows.

Public API::

    import polyflow_argo
    pipeline = polyflow_argo.load("pipeline.yaml")      # spec.Pipeline, or raises PolyflowError
    manifests = polyflow_argo.compile(pipeline)         # list of Argo manifest dicts
    manifests = polyflow_argo.compile(text=yaml_text)   # text is explicit: a str is always a path
    client = polyflow_argo.Client(namespace="ml")       # the cluster commands (docs/cluster.md)

The names are imported on first use (PEP 562), so ``import polyflow_argo.cli`` does not pay for
pydantic before the command line is parsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__ as __version__

__all__ = [
    "Client", "CompileOptions", "Diagnostic", "PolyflowError", "Span", "Text", "compile", "lint", "load",
]

_LAZY = {
    "Client": "client",
    "compile": "compiler",
    "lint": "compiler",
    "load": "compiler",
    "Text": "compiler",
    "Diagnostic": "errors",
    "PolyflowError": "errors",
    "Span": "errors",
    "CompileOptions": "translate.context",
}

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
    from .compiler import Text, compile, lint, load
    from .errors import Diagnostic, PolyflowError, Span
    from .translate.context import CompileOptions


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'polyflow_argo' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
