"""Pass: resolve each op's template reference to an inline template.

``path``, ``url``, ``action`` and ``event`` sources are left unresolved here (the registry issue
resolves them); with ``ResolveOptions.resolve_sources`` they are reported as unresolved.
"""

from __future__ import annotations

from ..spec.hints import did_you_mean
from .context import Context
from .model import ResolvedTemplate


def resolve_templates(ctx: Context) -> None:
    templates = ctx.spec.templates or []
    for name, i in ctx.template_index.items():
        ctx.templates[name] = ResolvedTemplate(name, templates[i], "name", ("templates", i))
    for i, op in enumerate(ctx.ops()):
        ref = op.template
        path = ("ops", i, "template")
        resolved = None
        if ref.source == "name":
            resolved = ctx.templates.get(ref.value)
            if resolved is None and templates:
                ctx.error(
                    "PF320",
                    f"op '{op.name}' requires a template named '{ref.value}', which the pipeline does not define",
                    path + ("name",),
                    did_you_mean(ref.value, ctx.templates)
                    or ("the templates are: " + ", ".join(sorted(ctx.templates)) if ctx.templates else None),
                )
        elif ctx.options.resolve_sources:
            ctx.error(
                "PF321",
                f"op '{op.name}' uses a `{ref.source}` template ('{ref.value}'), which is not resolved yet",
                path + (ref.source,),
                "only inline templates (`template: {name: ...}`) can be resolved for now",
            )
        if ctx.op_index.get(op.name) == i:
            ctx.op_templates[op.name] = resolved
