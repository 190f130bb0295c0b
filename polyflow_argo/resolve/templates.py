"""Pass: resolve each op's template reference to a template (docs/registry.md).

- ``name``: a template of the pipeline;
- ``path``: a template file, relative to the file that names it, inside the project root (the
  nearest directory above it holding ``.git`` or ``polyflow.yaml``; else the file's directory);
- ``action`` / ``event``: an entry of the registries (``name`` or ``name:version``);
- ``url``: pinned in ``polyflow.lock``, its content checked against the pin.

Nothing here reads a file or the network: the input edge (polyflow_argo/inputs.py) read every file,
URL and registry before resolving and hands them over as :class:`~polyflow_argo.inputs.Sources`;
this pass looks them up and reports what is wrong at the op that names them.

Problems with ``path``/``action``/``event`` are reported when ``ResolveOptions.resolve_sources``
is set (compile always; lint with ``--resolve``), as the original never resolved them.
"""

from __future__ import annotations

from ..inputs import LOCK_FILE
from ..language import Template
from ..language.hints import did_you_mean
from ..source import PathT
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
                    f"op '{op.name}' requires a template named '{ref.value}', which the pipeline does not "
                    "define",
                    path + ("name",),
                    did_you_mean(ref.value, ctx.templates)
                    or ("the templates are: " + ", ".join(sorted(ctx.templates)) if ctx.templates else None),
                )
        elif ref.source == "path":
            resolved = _path_template(ctx, i, op.name, ref.value, path + ("path",))
        elif ref.source in ("action", "event"):
            resolved = _registry_template(ctx, op.name, ref.source, ref.value, path + (ref.source,))
        elif ctx.options.resolve_sources:  # url: only when resolving (it may need the network)
            resolved = _url_template(ctx, i, op.name, path + ("url",))
        if ctx.op_index.get(op.name) == i:
            ctx.op_templates[op.name] = resolved


def _report(ctx: Context, code: str, message: str, path: PathT, hint: str | None) -> None:
    if ctx.options.resolve_sources:
        ctx.error(code, message, path, hint)


_NOT_READ = ("resolve() was given no Sources for a path or url template: read them first with "
             "polyflow_argo.inputs.read_sources (polyflow_argo.compile and lint do)")


def _loaded(ctx: Context, key: str, path: PathT) -> Template | None:
    """The template read at ``key``; its problems are reported where the first op names it."""
    loaded = ctx.sources.files[key]
    if key not in ctx.reported:
        ctx.reported.add(key)
        if loaded.problem is not None:
            ctx.error("PF327", loaded.problem[0], path, loaded.problem[1])
        ctx.sink.extend(loaded.diagnostics)  # at the template file's own lines (a URL's: named by it)
    return loaded.template


def _url_template(ctx: Context, i: int, op: str, path: PathT) -> ResolvedTemplate | None:
    url = ctx.sources.urls.get(i)
    if url is None:
        raise TypeError(_NOT_READ)
    if url.refused is not None:
        ctx.error("PF327", url.refused[0], path, url.refused[1])
        return None
    if not url.pinned:
        ctx.error("PF326", f"template URL {url.url} of op '{op}' is not pinned in {LOCK_FILE}", path,
                  "run `polyflow-argo lock FILE` to fetch it and pin its content hash")
        return None
    template = _loaded(ctx, url.url, path)
    if template is None:
        return None
    name = template.name or url.url.rstrip("/").rsplit("/", 1)[-1]
    return ResolvedTemplate(name, template, "url", path, ref=url.url)


def _path_template(ctx: Context, i: int, op: str, value: str, path: PathT) -> ResolvedTemplate | None:
    ref = ctx.sources.paths.get(i)
    if ref is None:
        raise TypeError(_NOT_READ)
    if ref.state == "outside":
        _report(
            ctx,
            "PF322",
            f"template path '{value}' of op '{op}' leaves the project",
            path,
            f"keep template files inside the project root ({ref.root}/, the folder with .git or "
            "polyflow.yaml)",
        )
        return None
    if ref.state == "missing":
        _report(ctx, "PF323", f"template file '{value}' of op '{op}' does not exist", path,
                f"paths are relative to the file that names them ({ref.named_in})")
        return None
    if ref.state == "directory":
        _report(ctx, "PF323", f"template path '{value}' of op '{op}' is a directory, not a template file",
                path, "name the template's file, e.g. `template: {path: templates/train.yaml}`")
        return None
    template = _loaded(ctx, ref.file, path)
    if template is None:
        return None
    return ResolvedTemplate(template.name or ref.stem, template, "path", path, ref=ref.rel)


def _registry_template(ctx: Context, op: str, kind: str, value: str, path: PathT) -> ResolvedTemplate | None:
    registry = ctx.sources.registry
    if kind == "event" and (registry is None or registry.find(kind, value) is None):
        from ..registry.builtin import builtin

        event = builtin(value)
        if event is not None:
            return ResolvedTemplate(
                f"polyflow-event-{value}", event.spec, "event", path, ref=event.ref, entry=event
            )
    if registry is None or not registry.entries:
        _report(ctx, "PF324", f"op '{op}' uses {kind} '{value}', but no registry is configured", path,
                "pass --registry DIR or set POLYFLOW_REGISTRY (docs/registry.md)")
        return None
    entry = registry.find(kind, value)
    if entry is None:
        name = value.partition(":")[0]
        versions = [e.version for e in registry.versions(kind, name)]
        hint: str | None
        if versions:
            hint = f"versions of {kind} '{name}': {', '.join(versions)}"
        else:
            hint = did_you_mean(name, registry.names(kind)) or (
                f"the registry has {kind}s: " + ", ".join(registry.names(kind))
                if registry.names(kind)
                else None
            )
        _report(ctx, "PF325", f"op '{op}' uses {kind} '{value}', which is not in the registry", path, hint)
        return None
    tpl = entry.spec.template
    return ResolvedTemplate(tpl.name or entry.name, tpl, kind, path, ref=entry.ref, entry=entry)
