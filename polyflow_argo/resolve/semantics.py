"""Pass: things the original accepted but that cannot mean what they seem. Warnings here;
``translate`` turns the ones Argo cannot honour into errors.

- a ``one_*`` trigger on an op with no upstream can never fire;
- a condition on an op that is not upstream of the op;
- retry settings without ``max_retries``;
- deprecated aliases (``declarations``, ``configmap_refs``, ``persistence``, ``outputs``).
"""

from __future__ import annotations

from ..language.op import needs_upstream
from .context import Context


def check_semantics(ctx: Context) -> None:
    for i, op in enumerate(ctx.ops()):
        if ctx.op_index.get(op.name) != i:
            continue
        upstream = ctx.upstream.get(op.name, ())
        trigger = op.effective_trigger
        if needs_upstream(trigger) and not upstream and op.name in ctx.upstream:
            ctx.warning(
                "PF340",
                f"op '{op.name}' has trigger {trigger} but no upstream op, so it can never run",
                ("ops", i, "trigger"),
                "add `dependencies:`, or remove `trigger` (all_* triggers hold for a root op)",
            )
        cond = op.conditions
        if cond is not None and cond.op not in upstream:
            where = (
                "is not an op of this pipeline" if cond.op not in ctx.op_index else "is not upstream of it"
            )
            ctx.warning(
                "PF341",
                f"the condition of op '{op.name}' reads op '{cond.op}', which {where}",
                ("ops", i, "conditions", "op"),
                f"add '{cond.op}' to `dependencies` of '{op.name}'" if cond.op in ctx.op_index else None,
            )
        if op.max_retries is None:
            for key in ("retry_delay", "retry_exp_backoff", "max_retry_delay"):
                if op.given(key):
                    ctx.warning(
                        "PF342",
                        f"`{key}` has no effect without `max_retries`",
                        ("ops", i, key),
                        "add `max_retries: N`",
                        key=True,
                    )
        if op.environment is not None:
            _env_deprecations(ctx, op.environment, ("ops", i, "environment"))
    for i, template in enumerate(ctx.spec.templates or []):
        if template.declarations is not None:
            ctx.warning(
                "PF343",
                "`declarations` is deprecated",
                ("templates", i, "declarations"),
                "rename it to `params`",
                key=True,
            )
        env = getattr(template, "environment", None)
        if env is not None:
            _env_deprecations(ctx, env, ("templates", i, "environment"))


def _env_deprecations(ctx: Context, env: object, path: tuple[object, ...]) -> None:
    renames = {
        "configmap_refs": "rename it to `config_map_refs`",
        "persistence": "use `data_refs` and `artifact_refs`",
        "outputs": "reference outputs of earlier runs with params such as `{{ jobs.42.outputs.x }}`",
    }
    for key, hint in renames.items():
        if getattr(env, key, None) is not None:
            ctx.warning("PF344", f"`environment.{key}` is deprecated", path + (key,), hint, key=True)
