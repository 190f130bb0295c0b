"""The registry: versioned actions and events shared by teams (docs/registry.md).

A local registry is a directory of YAML entry files (any layout; every ``*.yaml``/``*.yml`` under
it is read). ``registry build`` publishes each entry as an Argo WorkflowTemplate (or
ClusterWorkflowTemplate), and ops that use an action compile to a ``templateRef`` to it.
"""

from .local import Entry, Registry, load_registries, registry_paths, template_ref_name

__all__ = ["Entry", "Registry", "load_registries", "registry_paths", "template_ref_name"]
