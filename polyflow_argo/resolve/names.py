"""Pass: the pipeline has templates and ops, and their names are unique."""

from __future__ import annotations

from .context import Context


def check_names(ctx: Context) -> None:
    spec = ctx.spec
    # The original required templates; a pipeline whose ops all use path/url/action/event
    # templates (polyflow-argo resolves them) needs none.
    inline = not spec.ops or any(op.template.source == "name" for op in spec.ops)
    if not spec.templates and inline:
        ctx.error(
            "PF301",
            "the pipeline has no templates",
            ("templates",) if spec.templates is not None else (),
            "add `templates:` with at least one template, e.g. `- {kind: job, name: step, ...}`",
        )
    if not spec.ops:
        ctx.error(
            "PF302",
            "the pipeline has no ops",
            ("ops",) if spec.ops is not None else (),
            "add `ops:` with at least one op, e.g. `- {name: first, template: {name: step}}`",
        )
    for i, template in enumerate(spec.templates or []):
        if template.name is None:
            ctx.warning(
                "PF305",
                f"template #{i + 1} has no name, so no op can use it",
                ("templates", i),
                "add `name: ...`",
            )
        elif template.name in ctx.template_index:
            first = ctx.template_index[template.name]
            ctx.error(
                "PF304",
                f"multiple templates with the same name '{template.name}'",
                ("templates", i, "name"),
                f"the first is template #{first + 1}; rename one of them",
            )
        else:
            ctx.template_index[template.name] = i
    for i, op in enumerate(spec.ops or []):
        if op.name in ctx.op_index:
            first = ctx.op_index[op.name]
            ctx.error(
                "PF303",
                f"multiple ops with the same name '{op.name}'",
                ("ops", i, "name"),
                f"the first is op #{first + 1}; rename one of them",
            )
        else:
            ctx.op_index[op.name] = i
