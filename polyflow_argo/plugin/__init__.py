"""The ``polyflow`` Argo executor plugin: event ops (sensors) without a pod each (docs/plugin.md)."""

from .manifest import plugin_configmap
from .server import PATH, PLUGIN, execute, serve

__all__ = ["PATH", "PLUGIN", "execute", "plugin_configmap", "serve"]
