"""Built-in event ops → Argo templates that need no pod of their own (registry/builtin.py).

- ``time`` / ``http``: a ``plugin`` template run by the ``polyflow`` executor plugin; its body holds
  the op's params as ``{{inputs.parameters.*}}`` (only those the op sets, so the plugin applies its
  defaults), and the plugin's outputs (``time``; ``status``, ``body``) are the node's outputs,
  declared on the template so Argo accepts the tasks that read them.
- ``s3`` / ``k8s`` / ``pipeline``: the same; an input whose default is a value of the running
  workflow (``workflow_default`` in the contract: the namespace) is passed as that Argo variable when
  not set, and ``body_key`` renames an input whose name the body already uses (k8s ``kind`` →
  ``resource_kind``).
- An input the contract marks ``regex`` (the http event's ``body``) is compiled with RE2, the
  plugin's engine, when the op gives it literally: a pattern the plugin would refuse is PF468 here.

Everything about a kind comes from the one contract, ``EVENTS`` in registry/events.py.
- ``approval``: a ``suspend`` template; resume it in the Argo UI or with ``polyflow-argo approve``.
  It has no timeout: Argo resumes a timed suspend as a success, which would approve by default.

One template per op (the plugin body depends on which params the op sets).
"""

from __future__ import annotations

from typing import Any

from ..resolve import Node
from .context import TranslateContext
from .pod import OP_PARAM

PLUGIN = "polyflow"


def is_builtin_event(node: Node) -> bool:
    return node.template is not None and getattr(node.template.entry, "builtin", False)


def given_params(node: Node) -> list[str]:
    """The inputs a built-in event op sets itself: the only ones its template declares and its
    task passes (the plugin applies the defaults)."""
    assert node.template is not None
    return [io.name for io in node.template.inputs
            if io.name in node.params and not node.params[io.name].from_default]


def event_template(ctx: TranslateContext, node: Node, name: str) -> dict[str, Any]:
    assert node.template is not None and node.template.entry is not None
    kind = node.template.entry.name
    given = given_params(node)
    template: dict[str, Any] = {
        "name": name,
        "metadata": {"labels": {"polyflow.io/op": f"{{{{inputs.parameters.{OP_PARAM}}}}}",
                                "polyflow.io/event": kind}},
        "inputs": {"parameters": [{"name": OP_PARAM}] + [{"name": n} for n in given]},
    }
    if kind == "approval":
        template["suspend"] = {}
        return template
    from ..registry.events import EVENTS  # loaded for event ops only

    event = EVENTS[kind]
    _check_regexes(ctx, node, given)
    body: dict[str, Any] = {"kind": kind}
    body.update({io.key: f"{{{{inputs.parameters.{io.name}}}}}" for io in event.inputs if io.name in given})
    body.update({io.key: io.workflow_default for io in event.inputs
                 if io.workflow_default and io.name not in given})
    template["plugin"] = {PLUGIN: body}
    if node.template.outputs:
        # Argo validates `tasks.E.outputs.parameters.X` against these; the plugin reports every one
        # in its final reply, "" when it has no value (a failure or a timeout), so a consumer that
        # runs after a failed event (all_done, one_failed) reads "" rather than waiting forever.
        # (`supplied`: the value comes from outside the template, here the plugin's reply; Argo's
        # validator wants one source per output and has no plugin-specific one)
        template["outputs"] = {"parameters": [{"name": o.name, "valueFrom": {"supplied": {}}}
                                              for o in node.template.outputs]}
    return template


def _check_regexes(ctx: TranslateContext, node: Node, given: list[str]) -> None:
    """PF468 for a literal pattern RE2 refuses (a reference is only known at run time: the plugin
    then fails the node with the same reason)."""
    from ..registry.events import EVENTS, regex_error

    assert node.template is not None and node.template.entry is not None
    event = EVENTS[node.template.entry.name]
    for io in event.inputs:
        param = node.params.get(io.name) if io.regex and io.name in given else None
        if param is None or param.refs or not isinstance(param.value, str):
            continue
        problem = regex_error(param.value)
        if problem is not None:
            ctx.error(
                "PF468",
                f"`{io.name}` of op '{node.name}' is not a regular expression the {event.name} event can "
                f"use: {problem}",
                param.path,
                hint="the plugin matches with RE2 (linear time): no backreferences (\\1) or lookaround "
                     "((?=...), (?<!...)); see https://github.com/google/re2/wiki/Syntax",
            )
