"""Image builds (spec §1.8) → a build task before the op, running BuildKit or kaniko (docs/builds.md).

An op whose build has a ``dockerfile`` (or an ``image`` with ``build_steps``/``env_vars``/``lang_env``,
from which a Dockerfile is generated as Polyaxon's dockerizer did) gets a DAG task
``<task>-build`` that builds and pushes ``<registry>:<tag>``, the tag being a hash of what is built
(source, commit, Dockerfile path, context, generated Dockerfile). The op's container runs the
build's output parameter ``image`` (``<registry>:<tag>@sha256:…``)::

    <op>-build   depends/when = the op's own; outputs.parameters.image
    <op>         depends = (<the op's depends>) && <op>-build; image = {{inputs.parameters.polyflow-image}}

Whether an op builds, and what image its container runs, is decided once per op before its task
and template are made (:func:`plan_builds` → :class:`BuildPlan`); the task and template builders
read the plan and write their final dicts.

A failed build leaves the op Omitted, which Polyflow reads as failed everywhere except in
``one_failed``: there, ``(op.Failed || op.Errored)`` also counts the build's failure (see
:func:`build_failures` and dag.depends; proven with argo-sim in tests/translate/test_builds.py). An op whose
template is ``kind: build`` is the build task itself. The source is fetched by an Argo input
artifact (git, S3, GCS or an HTTP tarball), so both builders read a local directory.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticCustomError

from ..language.project import BuildSettings, Source, parse_context
from ..language.template import Build, BuildTemplate
from ..resolve import Node
from ..source import PathT
from .context import TranslateContext
from .names import Namer
from .pod import OP_PARAM, merged_environment, resources, template_head
from .retry import retry_strategy

IMAGE_PARAM = "polyflow-image"  # the op's input: the image its container runs
IMAGE_OUTPUT = "image"  # the build's output: <registry>:<tag>@<digest>
SRC_DIR = "/polyflow/src"
DOCKERFILE_DIR = "/polyflow/dockerfile"
BUILD_DIR = "/polyflow/build"
DOCKER_CONFIG_DIR = "/polyflow/docker"
BUILDKIT_STATE = "/home/user/.local/share/buildkit"
WORKDIR = "/code"  # where Polyaxon's generated Dockerfile put the code

Report = Callable[[str, str, PathT, "str | None"], None]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_HEX = re.compile(r"^[0-9a-f]{7,64}\Z")
_FLAGS_HINT = (
    "set `build.context` and `build.registry` in polyflow.yaml beside the pipeline (or --project FILE), or "
    "pass --build-context URL and --build-registry REGISTRY/REPOSITORY (docs/builds.md)"
)


@dataclass(frozen=True)
class BuildSpec:
    """What one build makes: enough to name it (``tag``) and to write its template."""

    source: Source
    revision: str | None
    context_dir: str
    dockerfile: str | None  # relative to the source root; None when ``generated``
    generated: str | None  # the Dockerfile text generated from ``image`` + steps
    builder: str
    nocache: bool
    settings: BuildSettings

    @property
    def pinned(self) -> bool:
        return self.source.kind != "git" or bool(self.revision and _HEX.match(self.revision))

    def content_hash(self) -> str:
        what = {"v": 1, "source": self.source.url, "revision": self.revision, "context": self.context_dir,
                "dockerfile": self.dockerfile, "generated": self.generated}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()

    @property
    def tag(self) -> str:
        digest = self.content_hash()
        if not self.pinned:  # a branch moves: a tag per run, never reused
            return f"{digest[:12]}-{{{{workflow.uid}}}}"
        if self.source.kind == "git":
            return f"{str(self.revision)[:12]}-{digest[:12]}"
        return digest[:16]

    @property
    def image(self) -> str:
        return f"{self.settings.registry}:{self.tag}"

    @property
    def key(self) -> str:
        return json.dumps([self.content_hash(), self.builder, self.nocache, self.tag], sort_keys=True)


def effective_build(node: Node) -> tuple[Build | None, PathT]:
    """The op's ``build`` (an override) or its template's, with its document path."""
    assert node.template is not None
    if node.op.build is not None:
        return node.op.build, node.path + ("build",)
    spec = node.template.spec
    if isinstance(spec, BuildTemplate):  # `kind: build`: the template is the build
        return spec, node.template.path
    return spec.build, node.template.path + ("build",)


def has_ref(build: Build | None) -> bool:
    """The build names an existing image (``ref``: a tag in the build registry, or an image)."""
    return build is not None and build.ref is not None and build.ref != ""


def builds_image(build: Build | None) -> bool:
    """A dockerfile, or an image with steps, env vars or a locale to bake in."""
    if build is None or has_ref(build):
        return False
    return bool(build.dockerfile) or bool(build.build_steps or build.env_vars or build.lang_env)


def image_param() -> str:
    return f"{{{{inputs.parameters.{IMAGE_PARAM}}}}}"


class Deferred:
    """Diagnostics found while planning, reported later in the same order, where the op's template is
    made (so a pipeline's diagnostics keep the order of its ops and templates)."""

    def __init__(self) -> None:
        self.calls: list[Callable[[TranslateContext], None]] = []

    def error(self, code: str, message: str, path: PathT, hint: str | None = None) -> None:
        self.calls.append(lambda ctx: ctx.error(code, message, path, hint))

    def warning(self, code: str, message: str, path: PathT, hint: str | None = None) -> None:
        self.calls.append(lambda ctx: ctx.warning(code, message, path, hint))

    def unsupported(self, path: PathT, what: str, why: str, hint: str | None = None) -> None:
        self.calls.append(lambda ctx: ctx.unsupported(path, what, why, hint))

    def extend(self, other: Deferred) -> None:
        self.calls.extend(other.calls)


@dataclass(frozen=True)
class BuildPlan:
    """What image builds mean for one op, decided before its task and template are made.

    ``image``: what the op's container runs (a job, experiment or group trial): the given image, a
    ``ref``, or :func:`image_param` when ``task`` builds it; None when there is none (``problems``
    says why). ``task``: the ``<task>-build`` DAG task before the op, building ``spec``; the op's task
    then passes its output as the argument ``polyflow-image``. ``spec`` is also the build of a
    ``kind: build`` op, which is the build itself. ``registry_image``: the op runs (or is) an image of
    the build registry, whose pull secret the Workflow then names. ``problems``: reported by
    :meth:`report` when the op's template is made.
    """

    image: str | None = None
    task: str | None = None
    spec: BuildSpec | None = None
    registry_image: bool = False
    problems: tuple[Callable[[TranslateContext], None], ...] = ()

    @property
    def image_input(self) -> bool:
        """The op's template takes the built image as its input ``polyflow-image``."""
        return self.task is not None and self.image == image_param()

    def report(self, ctx: TranslateContext) -> None:
        for call in self.problems:
            call(ctx)


def plan_builds(ctx: TranslateContext, tasks: dict[str, str]) -> dict[str, BuildPlan]:
    """The build plan of every op (``tasks``: op → DAG task name), in op order.

    Build tasks are named ``<task>-build``, made unique beside the task names.
    """
    namer = Namer(reserved=tuple(tasks.values()) + ("polyflow-previous-run",), prefix="op")
    plans: dict[str, BuildPlan] = {}
    given: dict[tuple[int, PathT], BuildPlan] = {}  # a template's own `image`: one plan for its ops
    for node in ctx.ir.nodes.values():
        tpl = node.template
        if tpl is None or tpl.entry is not None:
            plans[node.name] = BuildPlan()  # unresolved, or a registry entry: runs as published
        elif tpl.kind == "build":
            plans[node.name] = _plan_build_op(ctx, node)
        elif tpl.kind in ("job", "experiment", "group"):
            plans[node.name] = _given_image(node, given) or _plan_op(
                ctx, node, f"{tasks[node.name]}-build", namer.unique)
        else:  # a kind that is not run (notebook, tensorboard): its `ref` still names a registry image
            build = effective_build(node)[0]
            plans[node.name] = BuildPlan(registry_image=has_ref(build))
    return plans


def build_failures(tasks: dict[str, str], plans: dict[str, BuildPlan]) -> dict[str, str]:
    """Upstream task → its build task, for ``one_failed`` (dag.depends: a failed build is a failure)."""
    return {tasks[op]: p.task for op, p in plans.items() if p.task is not None}


def _given_image(node: Node, plans: dict[tuple[int, PathT], BuildPlan]) -> BuildPlan | None:
    """The plan of an op that runs its template's own ``build: {image: ...}`` (most ops), shared by
    the ops of that template (``plans``, by build object and place); None for any other op. The
    same plan :func:`_plan_op` makes: the image, and what :func:`_meaningless_fields` reports."""
    if node.op.build is not None:
        return None
    build, where = effective_build(node)
    if build is None or builds_image(build) or has_ref(build):
        return None
    key = (id(build), where)
    plan = plans.get(key)
    if plan is None:
        problems = Deferred()
        _meaningless_fields(problems, build, where)
        plan = plans[key] = BuildPlan(str(build.image), problems=tuple(problems.calls))
    return plan


def _plan_op(ctx: TranslateContext, node: Node, task: str, unique: Callable[[str], str]) -> BuildPlan:
    """A job, experiment or group op: the image it runs, and the build task before it (``task``,
    made unique by ``unique``, when it builds)."""
    build, where = effective_build(node)
    spec_problems = Deferred()
    spec = plan(ctx, node, build, where, spec_problems) if build is not None and builds_image(build) else None
    problems = Deferred()
    image = _run_image(ctx, node, build, where, problems, spec, spec_problems)
    registry = spec is not None or has_ref(build)
    return BuildPlan(image, unique(task) if spec is not None else None, spec, registry, tuple(problems.calls))


def _plan_build_op(ctx: TranslateContext, node: Node) -> BuildPlan:
    """An op whose template is ``kind: build``: the build itself; its output ``image`` is the result."""
    build, where = effective_build(node)
    assert build is not None  # the op's override, or the `kind: build` template itself
    problems = Deferred()
    spec = None
    if has_ref(build):
        problems.error(
            "PF491",
            f"op '{node.name}' is a `build` whose `ref` names an existing image: there is nothing to build",
            where + ("ref",),
            "remove the op, and use `build: {ref: ...}` in the ops that run it",
        )
    elif build.dockerfile or build.image:  # the spec requires one of them; nothing more to say
        spec = plan(ctx, node, build, where, problems)
    return BuildPlan(spec=spec, registry_image=True, problems=tuple(problems.calls))


def _run_image(
    ctx: TranslateContext,
    node: Node,
    build: Build | None,
    where: PathT,
    report: Deferred,
    spec: BuildSpec | None,
    spec_problems: Deferred,
) -> str | None:
    """The image an op's container runs: the given one, a ``ref``, or the build task's output.

    None after recording why there is none (PF440 and the PF49x build errors).
    """
    tpl = node.template
    assert tpl is not None
    if build is None:
        report.error(
            "PF440",
            f"op '{node.name}' uses template '{tpl.name}', which has no `build`, so there is no image to run",
            node.path + ("template",),
            "set `build: {image: 'registry/name:tag'}` on the template or on the op",
        )
        return None
    _meaningless_fields(report, build, where)
    if not builds_image(build) and not has_ref(build):
        return str(build.image)
    if _distributed(node):
        report.error(
            "PF497",
            f"op '{node.name}' is a distributed experiment whose image is "
            + ("a build `ref`" if has_ref(build) else "built")
            + "; polyflow-argo passes only `build: {image: ...}` to the training job for now",
            where,
            "build the image in a `kind: build` op and give its reference as `build: {image: ...}`",
        )
        return None
    if has_ref(build):
        return _ref_image(ctx, report, build, where)
    report.extend(spec_problems)
    return None if spec is None else image_param()


def _distributed(node: Node) -> bool:
    env = merged_environment(node)
    replicas = env.get("replicas")
    return replicas is not None and bool(replicas.model_fields_set)


_MEANINGLESS = ("environment", "params", "inputs", "outputs", "logging")


def _meaningless_fields(report: Deferred, build: Build, where: PathT) -> None:
    if getattr(build, "kind", None) == "build" and where[-1:] != ("build",):
        return  # a build template: these fields are the template's own
    for key in _MEANINGLESS:
        if getattr(build, key, None) not in (None, [], {}):
            report.unsupported(
                where + (key,),
                f"`build.{key}`",
                "a nested build accepts it but it has no meaning (Polyflow 0.5 ignored it too)",
                "set it on the template or the op",
            )


def _ref_image(ctx: TranslateContext, report: Deferred, build: Build, where: PathT) -> str | None:
    ref = build.ref
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        report.error(
            "PF491",
            f"`ref: {ref}` names a Polyaxon build by id, which does not exist on Argo",
            where + ("ref",),
            "write the tag of an earlier build (`ref: <tag>`) or a full image (`ref: registry/name:tag`)",
        )
        return None
    text = str(ref)
    if "/" in text or "@" in text:
        from ..language.template import check_image

        try:
            return check_image(text)
        except PydanticCustomError:
            report.error("PF491", f"`ref: {text}` is not a valid image reference", where + ("ref",),
                      "write `registry/name:tag`, or the tag of an earlier build")
            return None
    registry = ctx.options.build.registry if ctx.options.build is not None else None
    if not registry:
        report.error("PF491",
                     f"`ref: {text}` names a tag in the build registry, but no registry is configured",
                     where + ("ref",), _FLAGS_HINT)
        return None
    if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z", text):
        report.error("PF491", f"`ref: {text}` is not a valid image tag", where + ("ref",),
                  "a tag has letters, digits, '_', '.' and '-' (at most 128)")
        return None
    return f"{registry}:{text}"


def plan(ctx: TranslateContext, node: Node, build: Build, where: PathT, into: Deferred) -> BuildSpec | None:
    """The ``build`` of ``node`` (its own or its template's, at ``where``), or None after recording
    why not ``into``."""
    report: Report = into.error
    ok = True
    if build.backend == "other":
        report("PF492", "`backend: other` named a custom Polyaxon builder, which does not exist on Argo",
               where + ("backend",), "remove `backend` (the project's builder) or write `backend: kaniko`")
        ok = False
    if build.dockerfile:
        for key in ("build_steps", "env_vars", "lang_env"):
            if getattr(build, key):
                report("PF493", f"`{key}` is only used to generate a Dockerfile from `image`; this build has "
                       "its own `dockerfile`, so it would be ignored", where + (key,),
                       f"move it into the Dockerfile, or remove `{key}`")
                ok = False
    settings = ctx.options.build or BuildSettings()
    missing = [k for k in ("context", "registry") if not getattr(settings, k)]
    if missing:
        report(
            "PF490",
            f"op '{node.name}' builds its image, but no build {' and no '.join(missing)} is configured",
            where,
            _FLAGS_HINT,
        )
        return None
    assert settings.context is not None
    source = parse_context(settings.context)
    revision = source.ref
    if build.commit or build.branch:
        if source.kind != "git":
            key = "commit" if build.commit else "branch"
            report("PF495", f"`{key}` selects a git revision, but the build context is {source.kind} "
                   f"({settings.context})", where + (key,), "use a git context, or remove it")
            ok = False
        revision = str(build.commit or build.branch)
    context_dir = _relative(report, build.context or ".", where + ("context",))
    dockerfile = _relative(report, build.dockerfile, where + ("dockerfile",)) if build.dockerfile else None
    generated = None if build.dockerfile else _generate(report, build, where)
    if not ok or context_dir is None or (build.dockerfile and dockerfile is None) or (
            not build.dockerfile and generated is None):
        return None
    builder = "kaniko" if build.backend == "kaniko" else settings.effective_builder
    spec = BuildSpec(
        source, revision, context_dir, dockerfile, generated, builder, bool(build.nocache), settings
    )
    if not spec.pinned:
        into.warning("PF498", f"the build of op '{node.name}' is not pinned to a commit "
                    f"({'branch ' + revision if revision else 'the default branch'}), so every run builds "
                    "and pushes a new tag; nothing is reused", where,
                    "pin the context: `…repo.git#<commit>` or `commit: <sha>`")
    return spec


def _relative(report: Report, path: str, where: PathT) -> str | None:
    norm = posixpath.normpath(path.replace("\\", "/")) if path else "."
    if norm.startswith(("/", "../")) or norm == ".." or "{{" in path or "}}" in path:
        report(
            "PF496",
            f"invalid path {path!r}: it must be relative to the root of the build context and stay inside it",
            where,
            "e.g. `dockerfile: docker/Dockerfile`, `context: .`",
        )
        return None
    return norm


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _generate(report: Report, build: Build, where: PathT) -> str | None:
    """Polyaxon's dockerizer template: image, locale, env vars, /code, the steps, then the code."""
    lines = [f"FROM {build.image}"]
    if build.lang_env:
        lang = _quote(str(build.lang_env))
        lines.append(f"ENV LC_ALL={lang} LANG={lang} LANGUAGE={lang}")
    lines.append("ENV SHELL=/bin/bash")
    ok = True
    for i, (name, value) in enumerate(build.env_vars or []):
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            report("PF494", f"env var name {name!r} cannot be set in a Dockerfile", where + ("env_vars", i),
                   "use letters, digits and '_', not starting with a digit")
            ok = False
            continue
        lines.append(f"ENV {name}={_quote(str(value))}")
    lines.append(f"WORKDIR {WORKDIR}")
    for i, step in enumerate(build.build_steps or []):
        if re.search(r"(?<!\\)\n", step.rstrip("\n")):
            report("PF494", "a build step spans several lines, which would end the RUN instruction",
                   where + ("build_steps", i), "split it into several steps, or end each line with '\\'")
            ok = False
            continue
        lines.append(f"RUN {step.strip()}")
    lines.append(f"COPY . {WORKDIR}")
    text = "\n".join(lines) + "\n"
    if "{{" in text or "}}" in text:
        report("PF494", "the generated Dockerfile would contain '{{' or '}}', which Argo cannot pass through",
               where, "remove the braces from build_steps and env_vars")
        ok = False
    return text if ok else None


# ---------------------------------------------------------------------------------------------
# The build template


def build_template(
    spec: BuildSpec, name: str, env: dict[str, Any] | None = None, display_name: bool = False
) -> dict[str, Any]:
    """A container template that fetches the source, builds, pushes, and outputs ``image``
    (``display_name``: the Argo UI shows the op's name, :func:`.pod.template_head`)."""
    settings = spec.settings
    reuse = spec.pinned and settings.use_reuse and not spec.nocache
    artifacts = [_context_artifact(spec)]
    if spec.generated is not None:
        artifacts.append(
            {"name": "dockerfile", "path": f"{DOCKERFILE_DIR}/Dockerfile", "raw": {"data": spec.generated}}
        )
    out = template_head(name, display_name)
    metadata: dict[str, Any] = {"labels": {"polyflow.io/op": f"{{{{inputs.parameters.{OP_PARAM}}}}}",
                                           "polyflow.io/build": "true"}}
    env = env or {}
    metadata["labels"].update({str(k): str(v) for k, v in (env.get("labels") or {}).items()})
    annotations = {str(k): str(v) for k, v in (env.get("annotations") or {}).items()}
    if spec.builder == "buildkit":  # for k8s < 1.30, where securityContext.appArmorProfile does not exist
        annotations["container.apparmor.security.beta.kubernetes.io/main"] = "unconfined"
    if annotations:
        metadata["annotations"] = annotations
    out["metadata"] = metadata
    out["inputs"] = {"parameters": [{"name": OP_PARAM}], "artifacts": artifacts}
    out["outputs"] = {
        "parameters": [{"name": IMAGE_OUTPUT, "valueFrom": {"path": f"{BUILD_DIR}/{IMAGE_OUTPUT}"}}]
    }
    mounts: list[dict[str, Any]] = [{"name": "polyflow-build", "mountPath": BUILD_DIR}]
    if settings.secret:
        mounts.append({"name": "docker-config", "mountPath": DOCKER_CONFIG_DIR, "readOnly": True})
    if reuse:
        out["initContainers"] = [_reuse_check(spec, mounts)]
    out["container"] = _builder_container(spec, mounts, reuse)
    if resources(env):
        out["container"]["resources"] = resources(env)
    volumes: list[dict[str, Any]] = [{"name": "polyflow-build", "emptyDir": {}}]
    if spec.builder == "buildkit":
        volumes.append({"name": "buildkitd", "emptyDir": {}})
    if settings.secret:
        volumes.append({"name": "docker-config", "secret": {
            "secretName": settings.secret, "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}})
    out["volumes"] = volumes
    for key, field in (("node_selector", "nodeSelector"), ("tolerations", "tolerations"),
                       ("affinity", "affinity"), ("service_account", "serviceAccountName")):
        if env.get(key):
            value = env[key]
            out[field] = {str(k): str(v) for k, v in value.items()} if key == "node_selector" else value
    return out


def _context_artifact(spec: BuildSpec) -> dict[str, Any]:
    source, secret = spec.source, spec.settings.context_secret
    art: dict[str, Any] = {"name": "context", "path": SRC_DIR}
    if source.kind == "git":
        git: dict[str, Any] = {"repo": source.url}
        if spec.revision:
            git["revision"] = spec.revision
        if secret and (source.url.startswith("ssh://") or "@" in source.url.split("/")[0]):
            git["sshPrivateKeySecret"] = {"name": secret, "key": "ssh-privatekey"}
        elif secret:
            git["usernameSecret"] = {"name": secret, "key": "username"}
            git["passwordSecret"] = {"name": secret, "key": "password"}
        art["git"] = git
    elif source.kind == "s3":
        s3 = spec.settings.effective_s3
        s3_art: dict[str, Any] = {"endpoint": s3.endpoint, "bucket": source.bucket, "key": source.key}
        if s3.region:
            s3_art["region"] = s3.region
        if s3.insecure:
            s3_art["insecure"] = True
        if secret:
            s3_art["accessKeySecret"] = {"name": secret, "key": "accessKey"}
            s3_art["secretKeySecret"] = {"name": secret, "key": "secretKey"}
        art["s3"] = s3_art
    elif source.kind == "gcs":
        gcs: dict[str, Any] = {"bucket": source.bucket, "key": source.key}
        if secret:
            gcs["serviceAccountKeySecret"] = {"name": secret, "key": "serviceAccountKey"}
        art["gcs"] = gcs
    else:
        http: dict[str, Any] = {"url": source.url}
        if secret:
            http["auth"] = {"basicAuth": {"usernameSecret": {"name": secret, "key": "username"},
                                          "passwordSecret": {"name": secret, "key": "password"}}}
        art["http"] = http
    return art


def _env(spec: BuildSpec) -> list[dict[str, str]]:
    env = [{"name": "POLYFLOW_IMAGE", "value": spec.image}]
    if spec.settings.secret:
        env.append({"name": "DOCKER_CONFIG", "value": DOCKER_CONFIG_DIR})
    return env


# The image exists already (same content tag, pinned source): its digest, else nothing.
_CHECK = f'crane digest "$POLYFLOW_IMAGE" > {BUILD_DIR}/digest 2>/dev/null || rm -f {BUILD_DIR}/digest'
_REUSE = (
    f'if [ -s {BUILD_DIR}/digest ]; then echo "reusing $POLYFLOW_IMAGE@$(cat {BUILD_DIR}/digest)"; '
    f'printf %s "$POLYFLOW_IMAGE@$(cat {BUILD_DIR}/digest)" > {BUILD_DIR}/image; exit 0; fi\n'
)
_BUILDKIT = (
    'buildctl-daemonless.sh build "$@"\ndigest=$(sed -n \'s/.*"containerimage.digest": '
    f'*"\\(sha256:[0-9a-f]*\\)".*/\\1/p\' {BUILD_DIR}/metadata.json | head -n 1)\ntest -n "$digest"\nprintf '
    f'%s "$POLYFLOW_IMAGE@$digest" > {BUILD_DIR}/image\n'
)
_KANIKO = (
    '/kaniko/executor "$@"\n'
    f'printf %s "$POLYFLOW_IMAGE@$(cat {BUILD_DIR}/built-digest)" > {BUILD_DIR}/image\n'
)


def _reuse_check(spec: BuildSpec, mounts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "reuse-check",
        "image": spec.settings.effective_images.crane,
        "command": ["sh", "-c", _CHECK],
        "env": _env(spec),
        "volumeMounts": mounts,
    }


def _builder_container(spec: BuildSpec, mounts: list[dict[str, Any]], reuse: bool) -> dict[str, Any]:
    images = spec.settings.effective_images
    context = posixpath.normpath(f"{SRC_DIR}/{spec.context_dir}")
    if spec.dockerfile is not None:
        dockerfile = posixpath.normpath(f"{SRC_DIR}/{spec.dockerfile}")
    else:
        dockerfile = f"{DOCKERFILE_DIR}/Dockerfile"
    script = "set -eu\n" + (_REUSE if reuse else "")
    cache = spec.settings.use_cache and not spec.nocache
    cache_repo = spec.settings.cache_repository or f"{spec.settings.registry}/cache"
    if spec.builder == "buildkit":
        args = ["--frontend", "dockerfile.v0", "--local", f"context={context}",
                "--local", f"dockerfile={posixpath.dirname(dockerfile)}",
                "--opt", f"filename={posixpath.basename(dockerfile)}",
                "--output", f"type=image,name={spec.image},push=true",
                "--metadata-file", f"{BUILD_DIR}/metadata.json"]
        if cache:
            ref = f"{cache_repo}:{_cache_key(spec)}"
            args += ["--import-cache", f"type=registry,ref={ref}",
                     "--export-cache", f"type=registry,ref={ref},mode=max,ignore-error=true"]
        if spec.nocache:
            args.append("--no-cache")
        container: dict[str, Any] = {
            "image": images.buildkit,
            "command": ["sh", "-c", script + _BUILDKIT, "build"],
            "args": args,
            "env": [{"name": "BUILDKITD_FLAGS", "value": "--oci-worker-no-process-sandbox"}] + _env(spec),
            "securityContext": {
                "seccompProfile": {"type": "Unconfined"},
                "appArmorProfile": {"type": "Unconfined"},
                "runAsUser": 1000,
                "runAsGroup": 1000,
            },
            "volumeMounts": mounts + [{"name": "buildkitd", "mountPath": BUILDKIT_STATE}],
        }
        return container
    args = [f"--context=dir://{context}", f"--dockerfile={dockerfile}", f"--destination={spec.image}",
            f"--digest-file={BUILD_DIR}/built-digest"]
    args += ["--cache=true", f"--cache-repo={cache_repo}"] if cache else ["--cache=false"]
    return {"image": images.kaniko, "command": ["/busybox/sh", "-c", script + _KANIKO, "build"], "args": args,
            "env": _env(spec), "volumeMounts": mounts}


def _cache_key(spec: BuildSpec) -> str:
    """One registry cache per Dockerfile of a source, shared by all its commits."""
    what = json.dumps([spec.source.url, spec.context_dir, spec.dockerfile, spec.generated is not None])
    return "buildcache-" + hashlib.sha256(what.encode()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# The `build` template kind, and the build tasks of other ops


def build_kind_template(
    ctx: TranslateContext, node: Node, name: str, plan: BuildPlan, display_name: bool = False
) -> dict[str, Any] | None:
    """An op whose template is ``kind: build``: the build itself; its output ``image`` is the result."""
    tpl = node.template
    assert tpl is not None
    plan.report(ctx)
    if plan.spec is None:
        return None
    template = build_template(plan.spec, name, merged_environment(node), display_name)
    template["inputs"]["parameters"] += [{"name": io.name} for io in tpl.inputs]
    retry = retry_strategy(ctx, node)
    if retry:
        template["retryStrategy"] = retry
    return template


class BuildTemplates:
    """The build templates of one DAG: identical builds share one (``build-<hash>``)."""

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}

    def name(self, spec: BuildSpec, unique: Callable[[str], str], templates: list[dict[str, Any]]) -> str:
        """The template building ``spec``, made (and appended to ``templates``) the first time."""
        template = self.by_key.get(spec.key)
        if template is None:
            template = self.by_key[spec.key] = unique(f"build-{spec.content_hash()[:10]}")
            templates.append(build_template(spec, template))
        return template


def build_task(
    plan: BuildPlan, template: str, depends: str | None, when: str | None, op: str
) -> dict[str, Any]:
    """The ``<op>-build`` task: the op's own ``depends`` and ``when`` (docs/builds.md says why), and
    its ``polyflow-op`` argument ``op``."""
    assert plan.task is not None
    task: dict[str, Any] = {"name": plan.task, "template": template}
    if depends:
        task["depends"] = depends
    if when:
        task["when"] = when
    task["arguments"] = {"parameters": [{"name": OP_PARAM, "value": op}]}
    return task


def after_build(depends: str | None, build: str) -> str:
    """The op's ``depends`` once its image is built: ``(<depends>) && <op>-build``."""
    if not depends:
        return build
    return f"({depends}) && {build}" if " " in depends else f"{depends} && {build}"


def image_argument(plan: BuildPlan) -> dict[str, str]:
    """The op task's argument ``polyflow-image``: its build task's output."""
    return {"name": IMAGE_PARAM, "value": f"{{{{tasks.{plan.task}.outputs.parameters.{IMAGE_OUTPUT}}}}}"}


def pull_secrets(ctx: TranslateContext, plans: dict[str, BuildPlan], have: list[str]) -> list[str]:
    """The registry's pull secret for the pods that run built images (default: the push secret)."""
    settings = ctx.options.build
    secret = settings and (settings.pull_secret or settings.secret)
    if not any(p.registry_image for p in plans.values()) or not secret or secret in have:
        return []
    return [secret]
