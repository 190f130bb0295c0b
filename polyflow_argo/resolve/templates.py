"""Pass: resolve each op's template reference to a template (docs/registry.md).

- ``name``: a template of the pipeline;
- ``path``: a template file, relative to the file that names it, inside the project root (the
  nearest directory above it holding ``.git`` or ``polyflow.yaml``; else the file's directory);
- ``action`` / ``event``: an entry of the registries (``name`` or ``name:version``);
- ``url``: fetched, checked against its pin in ``polyflow.lock`` and cached (:mod:`.remote`).

Problems with ``path``/``action``/``event`` are reported when ``ResolveOptions.resolve_sources``
is set (compile always; lint with ``--resolve``), as the original never resolved them.
"""

from __future__ import annotations

from pathlib import Path

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
            resolved = _path_template(ctx, op.name, ref.value, path + ("path",))
        elif ref.source in ("action", "event"):
            resolved = _registry_template(ctx, op.name, ref.source, ref.value, path + (ref.source,))
        elif ctx.options.resolve_sources:  # url: only when resolving (it may need the network)
            resolved = _url_template(ctx, op.name, ref.value, path + ("url",))
        if ctx.op_index.get(op.name) == i:
            ctx.op_templates[op.name] = resolved


def _report(ctx: Context, code: str, message: str, path: PathT, hint: str | None) -> None:
    if ctx.options.resolve_sources:
        ctx.error(code, message, path, hint)


def project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / ".git").exists() or (folder / "polyflow.yaml").exists():
            return folder
    return start


def _base_dir(ctx: Context, path: PathT) -> Path:
    span = ctx.span(path)
    if span and span.file not in ("<string>", "<command line>") and "://" not in span.file:
        return Path(span.file).resolve().parent
    return Path.cwd()


def _url_template(ctx: Context, op: str, url: str, path: PathT) -> ResolvedTemplate | None:
    from ..errors import PolyflowError, Problem
    from ..language.load import load_template
    from ..source import parse
    from .remote import LOCK_FILE, check_url, pinned_content, read_lock

    root = project_root(_base_dir(ctx, path))
    try:
        check_url(url)
    except Problem as exc:
        ctx.error("PF327", exc.message, path, exc.hint)
        return None
    pin = read_lock(root).get(url)
    if pin is None:
        ctx.error("PF326", f"template URL {url} of op '{op}' is not pinned in {LOCK_FILE}", path,
                  "run `polyflow-argo lock FILE` to fetch it and pin its content hash")
        return None
    cached = ctx.files.get(url)
    if cached is None:
        try:
            cached = load_template(parse(pinned_content(url, pin).decode("utf-8", "replace"), url))
        except Problem as exc:
            ctx.error("PF327", exc.message, path, exc.hint)
            cached = False
        except PolyflowError as exc:
            ctx.sink.extend(exc.diagnostics)  # at the fetched file's lines, named by its URL
            cached = False
        ctx.files[url] = cached
    if cached is False:
        return None
    return ResolvedTemplate(cached.name or url.rstrip("/").rsplit("/", 1)[-1], cached, "url", path, ref=url)


def _path_template(ctx: Context, op: str, value: str, path: PathT) -> ResolvedTemplate | None:
    from ..errors import PolyflowError
    from ..language.load import load_template
    from ..source import read

    span = ctx.span(path)
    base = _base_dir(ctx, path)
    root = project_root(base).resolve()
    target = (base / value).resolve()
    if not target.is_relative_to(root):
        _report(
            ctx,
            "PF322",
            f"template path '{value}' of op '{op}' leaves the project",
            path,
            f"keep template files inside the project root ({root.name}/, the folder with .git or "
            "polyflow.yaml)",
        )
        return None
    if not target.exists():  # a FIFO or a device exists: read() says what it is, without opening it
        named_in = span.file if span else "the pipeline"
        _report(ctx, "PF323", f"template file '{value}' of op '{op}' does not exist", path,
                f"paths are relative to the file that names them ({named_in})")
        return None
    cache = ctx.files.get(str(target))
    if cache is None:
        try:
            spec = load_template(read(target))
        except PolyflowError as exc:
            ctx.sink.extend(exc.diagnostics)  # at the template file's own lines
            ctx.files[str(target)] = False
            return None
        cache = ctx.files[str(target)] = spec
    if cache is False:
        return None
    rel = target.relative_to(root).as_posix()
    return ResolvedTemplate(cache.name or target.stem, cache, "path", path, ref=rel)


def _registry_template(ctx: Context, op: str, kind: str, value: str, path: PathT) -> ResolvedTemplate | None:
    registry = ctx.options.registry
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
