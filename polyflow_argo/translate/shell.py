"""The shell that runs ``run.cmd``, and images known to lack it (warning PF403).

Polyflow 0.5.6 ran every command with ``/bin/bash -c``, and so does polyflow-argo by default; the
project config's ``shell`` (``polyflow.yaml``, per pipeline under ``pipelines``) changes it
(project.py). An image without that program fails at once on a real pod (``exec: "/bin/bash": no
such file or directory``, the node in Error), which no schema sees, so ops whose image is known to
lack it get a warning at the line naming the image (docs/templates.md, "The shell").

The text given to the shell is POSIX ``sh``: the expansions :mod:`.params` writes for ``{{ name }}``
(``"${VAR}"``, ``${VAR:+"${VAR}"}``) need no bash. The one exception is a tag the command itself puts
inside bash's ``$'…'``, which is closed and reopened as ``$'…'``: the command was bash already.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from ..resolve import Node
from ..source import PathT
from .build import builds_image, effective_build
from .context import TranslateContext

SHELL_WARNING = "PF403"

_BUSYBOX = frozenset({"/bin/sh", "/bin/ash", "/bin/busybox"})  # alpine and busybox: sh is busybox ash
_NO_SHELL: frozenset[str] = frozenset()

# Images known to lack bash, matched on the repository (without registry, `library/` and tag) or on
# its last part(s) behind a mirror's prefix (`registry.example.com/hub/alpine`): the shells each has.
KNOWN_IMAGES: tuple[tuple[str, frozenset[str]], ...] = (
    ("alpine", _BUSYBOX),
    ("alpine/*", _BUSYBOX),  # alpine/git, alpine/curl, ...
    ("busybox", _BUSYBOX),
    ("curlimages/curl", _BUSYBOX),
    ("bash", _BUSYBOX | {"/usr/local/bin/bash"}),  # Docker's bash image: bash is not /bin/bash
    ("distroless/*", _NO_SHELL),  # gcr.io/distroless/*: no shell at all (`:debug` tags: /busybox/sh)
)
_DISTROLESS_DEBUG = frozenset({"/busybox/sh"})


def shell_command(ctx: TranslateContext) -> list[str]:
    """The container ``command`` of ``run.cmd``: the project config's ``shell`` for this pipeline
    (``pipelines: {NAME: {shell}}``, else ``shell``), else ``/bin/bash -c``."""
    from ..language.project import shell_command as default

    config = ctx.options.project_config
    if config is None or ctx.registry_entry:  # a registry template serves every pipeline: the default
        return default(None)
    return list(config.shell_for(ctx.ir.spec.name))


def split_image(image: str) -> tuple[str, str]:
    """``[registry/]repository[:tag][@digest]`` → (repository without registry and ``library/``, tag)."""
    name = image.split("@", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    last, _, tag = parts[-1].partition(":")
    parts[-1] = last
    if parts[0] == "library" and len(parts) > 1:
        parts = parts[1:]
    return "/".join(parts).lower(), tag.lower()


def image_shells(image: str) -> frozenset[str] | None:
    """The shell programs an image is known to have, or None when it is not a known image."""
    repo, tag = split_image(image)
    for pattern, shells in KNOWN_IMAGES:
        if fnmatch.fnmatchcase(repo, pattern) or fnmatch.fnmatchcase(repo, "*/" + pattern):
            if pattern == "distroless/*" and "debug" in tag:
                return _DISTROLESS_DEBUG
            return shells
    if "alpine" in tag:  # python:3.12-alpine, node:20-alpine3.19: official images on alpine
        return _BUSYBOX
    return None


def has_program(shells: frozenset[str], program: str) -> bool:
    """``/bin/bash`` must be there as written; a bare ``bash`` is looked up in the PATH."""
    if "/" in program:
        return program in shells
    return any(path.rsplit("/", 1)[-1] == program for path in shells)


def check_image_shell(ctx: TranslateContext, node: Node, command: list[str]) -> None:
    """Warn (PF403) at the op's image when the image is known to lack ``command[0]``."""
    program = command[0]
    found = _image_of(node, program.rsplit("/", 1)[-1])
    if found is None:
        return
    image, where = found
    shells = image_shells(image)
    if shells is None or has_program(shells, program):
        return
    span = ctx.ir.doc.span(where)
    if any(d.code == SHELL_WARNING and d.span == span for d in ctx.sink.items):
        return  # the same template line, reached through another op
    ctx.warning(
        SHELL_WARNING,
        f"op '{node.name}' runs its command with `{' '.join(command)}`, but image '{image}' has no "
        f"{program}" + ("" if shells else " (it has no shell at all)") + ", so its pod would fail to start",
        where,
        _hint(shells, program, ctx.ir.spec.name, ctx.registry_entry),
    )


def _hint(shells: frozenset[str], program: str, pipeline: str | None, registry: bool) -> str:
    """``registry``: building a registry template, which runs with the default shell."""
    if not shells:
        return "use an image with a shell (a distroless image has none; its `:debug` tag has /busybox/sh)"
    if registry:
        return f"a registry template runs with `/bin/bash -c` in every pipeline: use an image with {program}"
    base = program.rsplit("/", 1)[-1]
    same = sorted(p for p in shells if p.rsplit("/", 1)[-1] == base)
    suggest = same[0] if same else ("/bin/sh" if "/bin/sh" in shells else sorted(shells)[0])
    only = ""
    if pipeline:
        only = f", or `pipelines: {{{pipeline}: {{shell: {suggest}}}}}` for this pipeline only"
    return f"set `shell: {suggest}` in polyflow.yaml{only}, or use an image with {program}"


def _image_of(node: Node, program: str) -> tuple[str, PathT] | None:
    """The image the op runs as written (or the base of a generated build), with its path; None
    when it is not known at compile time (a Dockerfile, a tag in the build registry)."""
    build, where = effective_build(node)
    if build is None:
        return None
    ref = getattr(build, "ref", None)
    if ref not in (None, ""):
        text = str(ref)
        return (text, where + ("ref",)) if ("/" in text or "@" in text) else None
    image = getattr(build, "image", None)
    if not isinstance(image, str) or not image:
        return None
    if builds_image(build):
        if getattr(build, "dockerfile", None):
            return None
        steps: list[Any] = list(getattr(build, "build_steps", None) or [])
        if any(re.search(rf"(?<![\w/-]){re.escape(program)}(?![\w-])", str(s)) for s in steps):
            return None  # the steps may install the shell (`apk add bash`)
    return image, where + ("image",)
