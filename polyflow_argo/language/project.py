"""The project config: ``polyflow.yaml`` beside the pipeline file (or ``--project FILE``).

It says where image builds (docs/builds.md) take their source from, where they push, and with
which pinned builder images; ``pipelines: {NAME: {build: {...}}}`` overrides the defaults for one
pipeline, and the ``--build-*`` flags override both::

    version: 1
    build:
      context: https://github.com/org/repo.git#<commit>   # or git://, ssh://, s3://…, gs://…, https://….tar.gz
      registry: registry.example.com/team/polyflow        # the repository built images are pushed to
      secret: registry-push                               # a kubernetes.io/dockerconfigjson Secret
    service_account: polyflow-workflow                    # spec.serviceAccountName of compiled Workflows
    shell: /bin/sh                                        # runs run.cmd (default /bin/bash, as 0.5.6)
    active_deadline_seconds: 86400                        # run hygiene (docs/cluster.md): stop after a day
    ttl: {seconds_after_success: 3600, seconds_after_failure: 604800}   # delete finished runs
    pod_gc: {strategy: OnPodSuccess, delete_delay_duration: 5m}          # and their pods
    pipelines:
      nightly: {build: {builder: kaniko}, shell: [/bin/bash, -eo, pipefail, -c]}
      hourly: {ttl: {seconds_after_success: 60}}

Read like a pipeline (:mod:`.source`, positions kept) and validated by pydantic models; problems
are :class:`~polyflow_argo.errors.SpecError` diagnostics at ``file:line:col`` (PF28x, and the
schema codes PF205-PF208).

``shell`` is the command every op's ``run.cmd`` is given to (the container ``command``; the text is
its last argument): ``/bin/bash -c`` by default, as Polyflow 0.5.6 ran it. A string is a program run
with ``-c``; a list is the whole command, ending with the option that reads the script (``-c``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import ValidationError, field_validator

from ..errors import Diagnostic, SourceError, Span, SpecError
from .base import Spec, fail

PROJECT_FILE = "polyflow.yaml"

# Builder images, pinned by version (docs/builds.md says where each comes from).
BUILDKIT_IMAGE = "moby/buildkit:v0.32.2-rootless"
KANIKO_IMAGE = "ghcr.io/osscontainertools/kaniko:v1.28.3-debug"
CRANE_IMAGE = "gcr.io/go-containerregistry/crane/debug:v0.22.1"

_SECRET = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\Z")
_REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+\Z")
_GIT_SCP = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[^\s]+\Z")  # git@github.com:org/repo.git
TARBALL = (".tar.gz", ".tgz", ".tar", ".zip")
DEFAULT_SHELL = ("/bin/bash", "-c")  # Polyflow 0.5.6's choice (docs/templates.md, "The shell")
_SHELL_OPTION = re.compile(r"^-[A-Za-z]*c\Z")  # -c, -ec, -euc: the option after which the script comes


@dataclass(frozen=True)
class Source:
    """A parsed build context: ``kind`` is git, s3, gcs or http; ``ref`` the git revision, if any."""

    kind: str
    url: str  # without the ``#ref`` fragment
    ref: str | None = None
    bucket: str = ""
    key: str = ""


def parse_context(url: str) -> Source:
    """Split a context URL; raises ValueError with the reason when it is not one we can fetch."""
    if not url or any(c.isspace() for c in url):
        raise ValueError("it must be a URL without spaces")
    base, _, ref = url.partition("#")
    if "#" in url and not ref:
        raise ValueError("nothing follows '#': write the commit, e.g. `...repo.git#0123abc...`")
    if _GIT_SCP.match(base):
        return Source("git", base, ref or None)
    parts = urlparse(base)
    if parts.scheme in ("s3", "gs"):
        if not parts.netloc or not parts.path.strip("/"):
            raise ValueError(f"a {parts.scheme}:// context needs a bucket and a key, e.g. {parts.scheme}://bucket/ctx.tar.gz")
        if ref:
            raise ValueError("an object-store context has no revision: drop the '#...'")
        return Source(
            "s3" if parts.scheme == "s3" else "gcs", base, None, parts.netloc, parts.path.lstrip("/")
        )
    if parts.scheme in ("https", "http") and parts.hostname:
        if parts.path.endswith(TARBALL):
            if ref:
                raise ValueError("a tarball context has no revision: drop the '#...'")
            return Source("http", base)
        return Source("git", base, ref or None)
    if parts.scheme in ("git", "ssh") and parts.hostname:
        return Source("git", base, ref or None)
    raise ValueError(
        "use a git URL (https://host/org/repo.git#<commit>, git://, ssh://, git@host:org/repo.git), "
        "s3://bucket/key, gs://bucket/key or an https:// tarball"
    )


def _check_image(value: str | None) -> str | None:
    if value is not None:
        from .template import check_image

        check_image(value)
        if "{{" in value or "}}" in value or any(c.isspace() or not c.isprintable() for c in value):
            fail("PF251", f"invalid image {value!r}: no whitespace, control characters or braces",
                 hint="e.g. 'registry.example.com/team/image:tag' (Argo would read '{{' as a template tag)")
    return value


class S3Settings(Spec):
    """Where an ``s3://`` context lives (Argo's S3 artifact needs an endpoint)."""

    endpoint: str = "s3.amazonaws.com"
    region: str | None = None
    insecure: bool = False


class BuilderImages(Spec):
    """The images the build steps run, pinned by version; mirror them for air-gapped clusters."""

    buildkit: str = BUILDKIT_IMAGE
    kaniko: str = KANIKO_IMAGE
    crane: str = CRANE_IMAGE

    @field_validator("buildkit", "kaniko", "crane")
    @classmethod
    def _image(cls, value: str) -> str:
        _check_image(value)
        return value


class BuildSettings(Spec):
    """``build:`` of the project config: every field optional, so layers can be merged."""

    context: str | None = None
    registry: str | None = None
    secret: str | None = None
    pull_secret: str | None = None
    context_secret: str | None = None
    builder: Literal["buildkit", "kaniko"] | None = None
    images: BuilderImages | None = None
    s3: S3Settings | None = None
    cache: bool | None = None
    cache_repository: str | None = None
    reuse: bool | None = None

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_context(value)
            except ValueError as exc:
                fail("PF281", f"invalid build context {value!r}: {exc}",
                     hint="e.g. `context: https://github.com/org/repo.git#<commit>`")
        return value

    @field_validator("registry", "cache_repository")
    @classmethod
    def _registry(cls, value: str | None) -> str | None:
        if value is not None and not _REGISTRY.match(value):
            why = (
                "drop the scheme"
                if "://" in value
                else (
                    "drop the tag: tags are derived from the build's content"
                    if ":" in value.rsplit("/", 1)[-1] or "@" in value
                    else "use lower case letters, digits and '.', '_', '-' separated by '/'"
                )
            )
            fail(
                "PF282",
                f"invalid image repository {value!r}",
                hint=f"{why}, e.g. registry.example.com/team/polyflow",
            )
        return value

    @field_validator("secret", "pull_secret", "context_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and not _SECRET.match(value):
            fail(
                "PF283",
                f"invalid Secret name {value!r}",
                hint="a Kubernetes name: lower case, digits, '-' and '.'",
            )
        return value

    def over(self, top: BuildSettings) -> BuildSettings:
        """These settings with ``top``'s given fields laid over them (nested ones key by key)."""
        data = self.model_dump(exclude_unset=True)
        for key, value in top.model_dump(exclude_unset=True).items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return BuildSettings.model_validate(data)

    # Effective values (defaults applied) ---------------------------------------------------
    @property
    def effective_builder(self) -> str:
        return self.builder or "buildkit"

    @property
    def effective_images(self) -> BuilderImages:
        return self.images or BuilderImages()

    @property
    def effective_s3(self) -> S3Settings:
        return self.s3 or S3Settings()

    @property
    def use_cache(self) -> bool:
        return True if self.cache is None else self.cache

    @property
    def use_reuse(self) -> bool:
        return True if self.reuse is None else self.reuse


class VolumeRef(Spec):
    """A PersistentVolumeClaim that ops mount by name (``environment.data_refs`` / ``artifact_refs``)."""

    claim: str
    mount_path: str | None = None  # default /data/<name> or /artifacts/<name>
    sub_path: str | None = None
    read_only: bool | None = None  # default: true for data, false for artifacts


class ResourceNames(Spec):
    """The Kubernetes extended resources that Polyflow's ``gpu`` and ``tpu`` counts request."""

    gpu: str = "nvidia.com/gpu"
    tpu: str = "cloud-tpus.google.com/v2"


def _check_shell(value: str | list[str] | None) -> str | list[str] | None:
    """``shell``: a program (``/bin/sh``, run with ``-c``) or the whole command (``[/bin/sh, -c]``)."""
    if value is None:
        return value
    words = [value] if isinstance(value, str) else list(value)
    example = "e.g. `shell: /bin/sh` or `shell: [/bin/bash, -eo, pipefail, -c]`"
    if not words or any(not w or w != w.strip() or "{{" in w or "}}" in w for w in words):
        fail("PF285", f"invalid shell {value!r}: every word must be non-empty, without surrounding spaces "
             "or '{{'", hint=example)
    if isinstance(value, str) and any(c.isspace() for c in value):
        fail("PF285", f"invalid shell {value!r}: a string is one program; options go in a list",
             hint="e.g. `shell: [/bin/bash, -eo, pipefail, -c]`")
    if isinstance(value, list) and (len(words) < 2 or not _SHELL_OPTION.match(words[-1])):
        fail("PF285", f"invalid shell {value!r}: the list is the whole command, so it must end with the "
             "option that reads the script (`-c`)", hint=example)
    return value


def shell_command(value: str | list[str] | None) -> list[str]:
    """The container ``command`` of a ``shell`` setting (the script is its one argument)."""
    if value is None:
        return list(DEFAULT_SHELL)
    return [value, "-c"] if isinstance(value, str) else list(value)


POD_GC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
MAX_TTL_SECONDS = 2**31 - 1  # Argo's ttlStrategy fields are int32
MAX_DEADLINE_SECONDS = 2**63 - 1  # activeDeadlineSeconds is int64
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+\Z")  # Go's time.ParseDuration


def check_seconds(value: Any, what: str, low: int, high: int) -> int:
    """A whole number of seconds in ``[low, high]`` (PF286): no booleans, strings or fractions."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(
            "PF286",
            f"invalid {what} {value!r}: expected a whole number of seconds from {low} to {high}",
            hint="write a number without quotes or units, e.g. 3600 for an hour",
        )
    return value


def check_pod_gc_strategy(value: Any) -> str:
    """One of Argo's podGC strategies (PF287)."""
    if value not in POD_GC_STRATEGIES:
        fail("PF287", f"invalid pod_gc strategy {value!r}",
             hint="use one of: " + ", ".join(POD_GC_STRATEGIES))
    return str(value)


def check_duration(value: Any) -> str:
    """A Go duration such as ``30s``, ``5m`` or ``1h30m`` (PF287)."""
    if not isinstance(value, str) or not _DURATION.match(value) or len(value) > 64:
        fail("PF287", f"invalid pod_gc delete_delay_duration {value!r}: expected a duration",
             hint="a number and a unit (ns, us, ms, s, m, h), e.g. 30s, 5m or 1h30m")
    return value


class TTLSettings(Spec):
    """``ttl:``: how long Argo keeps a finished Workflow before deleting it (its ``ttlStrategy``),
    so that runs do not pile up in the cluster."""

    seconds_after_completion: int | None = None
    """Delete the Workflow this many seconds after it finished, whatever its result (0 to 2147483647)."""
    seconds_after_success: int | None = None
    """Delete the Workflow this many seconds after it succeeded (0 to 2147483647)."""
    seconds_after_failure: int | None = None
    """Delete the Workflow this many seconds after it failed or errored (0 to 2147483647)."""

    @field_validator("seconds_after_completion", "seconds_after_success", "seconds_after_failure",
                     mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return value if value is None else check_seconds(value, "ttl", 0, MAX_TTL_SECONDS)

    def argo(self) -> dict[str, int]:
        """The ``ttlStrategy`` of the Workflow spec (only the fields given)."""
        names = (("seconds_after_completion", "secondsAfterCompletion"),
                 ("seconds_after_success", "secondsAfterSuccess"),
                 ("seconds_after_failure", "secondsAfterFailure"))
        return {argo: getattr(self, field) for field, argo in names if getattr(self, field) is not None}


class PodGCSettings(Spec):
    """``pod_gc:``: when Argo deletes the pods of a run (its ``podGC``); by default it keeps them."""

    strategy: str
    """When pods are deleted: OnPodCompletion, OnPodSuccess, OnWorkflowCompletion or OnWorkflowSuccess."""
    delete_delay_duration: str | None = None
    """How long a pod waits in the deletion queue first, as a duration (e.g. 30s, 5m, 1h)."""

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        return check_pod_gc_strategy(value)

    @field_validator("delete_delay_duration", mode="before")
    @classmethod
    def _delay(cls, value: Any) -> Any:
        return value if value is None else check_duration(value)

    def argo(self) -> dict[str, str]:
        """The ``podGC`` of the Workflow spec."""
        out = {"strategy": self.strategy}
        if self.delete_delay_duration is not None:
            out["deleteDelayDuration"] = self.delete_delay_duration
        return out


class RunHygiene(Spec):
    """Run hygiene: a deadline for each run, when finished runs and their pods are deleted. Every
    field is optional; unset ones are not emitted (Argo's defaults: no deadline, runs and pods kept)."""

    active_deadline_seconds: int | None = None
    """Seconds a run may take from its start; then Argo stops it and it fails (``activeDeadlineSeconds``)."""
    ttl: TTLSettings | None = None
    """When Argo deletes a finished run (``ttlStrategy``): `seconds_after_completion`, `_success` or
    `_failure`."""
    pod_gc: PodGCSettings | None = None
    """When Argo deletes a run's pods (``podGC``): `strategy` and an optional `delete_delay_duration`."""

    @field_validator("active_deadline_seconds", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> Any:
        if value is None:
            return value
        return check_seconds(value, "active_deadline_seconds", 1, MAX_DEADLINE_SECONDS)

    def over(self, top: RunHygiene) -> RunHygiene:
        """These settings with ``top``'s given fields laid over them (``ttl`` and ``pod_gc`` field by
        field)."""
        data = self.model_dump(include=set(RunHygiene.model_fields), exclude_unset=True, exclude_none=True)
        for key, value in top.model_dump(include=set(RunHygiene.model_fields), exclude_unset=True,
                                         exclude_none=True).items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return RunHygiene.model_validate(data)

    def argo(self) -> dict[str, Any]:
        """The Workflow spec fields, in the order they are emitted (empty when nothing is set)."""
        out: dict[str, Any] = {}
        if self.active_deadline_seconds is not None:
            out["activeDeadlineSeconds"] = self.active_deadline_seconds
        ttl = self.ttl.argo() if self.ttl is not None else {}
        if ttl:
            out["ttlStrategy"] = ttl
        if self.pod_gc is not None:
            out["podGC"] = self.pod_gc.argo()
        return out


class PipelineSettings(RunHygiene):
    """``pipelines: {NAME: ...}``: settings for one pipeline, over the project's."""

    build: BuildSettings | None = None
    """Build settings of this pipeline, laid over the project's `build`."""
    shell: str | list[str] | None = None
    """The command `run.cmd` is given to, for this pipeline (as the project's `shell`)."""

    @field_validator("shell")
    @classmethod
    def _shell(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _check_shell(value)


class ProjectConfig(RunHygiene):
    """The whole ``polyflow.yaml`` (with run hygiene, :class:`RunHygiene`, for every pipeline)."""

    version: Literal[1] = 1
    build: BuildSettings | None = None
    pipelines: dict[str, PipelineSettings] | None = None
    data: dict[str, VolumeRef] | None = None  # `environment.data_refs: [name]` mounts these
    artifacts: dict[str, VolumeRef] | None = None  # `environment.artifact_refs: [name]`
    resources: ResourceNames | None = None
    # the ServiceAccount compiled Workflows run as (`spec.serviceAccountName`); `--service-account` wins
    service_account: str | None = None
    # the command run.cmd is given to: `/bin/sh` (run with -c) or `[/bin/sh, -c]`; default /bin/bash -c
    shell: str | list[str] | None = None

    @field_validator("shell")
    @classmethod
    def _shell(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _check_shell(value)

    @field_validator("service_account")
    @classmethod
    def _service_account(cls, value: str | None) -> str | None:
        if value is not None and not service_account_ok(value):
            fail(
                "PF284",
                f"invalid ServiceAccount name {value!r}",
                hint="a Kubernetes name: lower case, digits, '-' and '.', e.g. polyflow-workflow",
            )
        return value

    def settings_for(self, pipeline: str | None) -> BuildSettings:
        base = self.build or BuildSettings()
        extra = (self.pipelines or {}).get(pipeline or "")
        return base.over(extra.build) if extra is not None and extra.build is not None else base

    def hygiene_for(self, pipeline: str | None) -> RunHygiene:
        """The run hygiene of ``pipeline``: its ``pipelines:`` entry over the project's."""
        base = RunHygiene().over(self)
        extra = (self.pipelines or {}).get(pipeline or "")
        return base if extra is None else base.over(extra)

    def shell_for(self, pipeline: str | None) -> list[str]:
        """The container ``command`` of ``run.cmd``: the pipeline's ``shell``, else the project's,
        else ``/bin/bash -c``."""
        extra = (self.pipelines or {}).get(pipeline or "")
        if extra is not None and extra.shell is not None:
            return shell_command(extra.shell)
        return shell_command(self.shell)


def service_account_ok(name: str) -> bool:
    """A ServiceAccount name: a DNS-1123 subdomain (≤ 253 characters)."""
    return len(name) <= 253 and bool(_SECRET.match(name)) and ".." not in name


def load_project(path: str | Path) -> ProjectConfig:
    """Read and validate a project config (raises :class:`~polyflow_argo.errors.PolyflowError`)."""
    from .. import source
    from .load import load_mapping

    try:
        doc = source.read(path)
    except SourceError as exc:
        if [d.code for d in exc.diagnostics] == ["PF104"]:
            return ProjectConfig()  # an empty polyflow.yaml only marks the project root (`lock`)
        raise
    if doc.data is None:
        return ProjectConfig()
    return load_mapping(doc, ProjectConfig.model_validate, ProjectConfig,
                        "a project config must be a mapping at the top level",
                        "start with `version: 1` and `build: {context: ..., registry: ...}`", code="PF280")


def project_path(explicit: str | None, pipeline_files: list[str]) -> Path | None:
    """``--project FILE``, else ``polyflow.yaml`` beside the first pipeline file, if there is one."""
    if explicit:
        return Path(explicit)
    for name in pipeline_files[:1]:
        candidate = Path(name).parent / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


FLAG_FIELDS = {
    "build_context": ("context", "--build-context"),
    "build_registry": ("registry", "--build-registry"),
    "build_secret": ("secret", "--build-secret"),
    "builder": ("builder", "--builder"),
}


def flag_settings(flags: dict[str, Any], builder: str = "buildkit") -> BuildSettings:
    """The ``--build-*`` flags as settings (errors point at the command line); ``--builder-image``
    is the image of ``builder``, the builder in effect."""
    data: dict[str, Any] = {field: flags[name] for name, (field, _) in FLAG_FIELDS.items() if flags.get(name)}
    image = flags.get("builder_image")
    if image:
        data["images"] = {builder: image}
    try:
        return BuildSettings.model_validate(data)
    except ValidationError as exc:
        where = Span("<command line>", 1, 1)
        out = []
        for err in exc.errors(include_url=False):
            field = str(err["loc"][0]) if err["loc"] else ""
            flag = next((f for n, (fld, f) in FLAG_FIELDS.items() if fld == field), "--builder-image")
            ctx = err.get("ctx") or {}
            message = ctx.get("message") or err.get("msg", "invalid value")
            out.append(Diagnostic(ctx.get("code", "PF280"), f"{flag}: {message}", where, ctx.get("hint")))
        raise SpecError(out) from None


def build_settings(
    config: ProjectConfig | None, pipeline: str | None, flags: dict[str, Any]
) -> BuildSettings:
    """The effective build settings: project defaults, the pipeline's overrides, then the flags."""
    settings = config.settings_for(pipeline) if config is not None else BuildSettings()
    return settings.over(flag_settings(flags, flags.get("builder") or settings.effective_builder))


HYGIENE_FLAGS = {  # CompileOptions field → (RunHygiene location, flag)
    "active_deadline_seconds": (("active_deadline_seconds",), "--active-deadline-seconds"),
    "ttl_after_completion": (("ttl", "seconds_after_completion"), "--ttl-after-completion"),
    "ttl_after_success": (("ttl", "seconds_after_success"), "--ttl-after-success"),
    "ttl_after_failure": (("ttl", "seconds_after_failure"), "--ttl-after-failure"),
    "pod_gc": (("pod_gc", "strategy"), "--pod-gc"),
    "pod_gc_delete_delay": (("pod_gc", "delete_delay_duration"), "--pod-gc-delete-delay"),
}


def run_hygiene(config: ProjectConfig | None, pipeline: str | None, flags: dict[str, Any]) -> RunHygiene:
    """The effective run hygiene: the project's, the pipeline's ``pipelines:`` entry, then the flags
    (``flags``: CompileOptions fields of :data:`HYGIENE_FLAGS`; errors point at the command line)."""
    base = config.hygiene_for(pipeline) if config is not None else RunHygiene()
    data: dict[str, Any] = {}
    for name, (loc, _) in HYGIENE_FLAGS.items():
        if flags.get(name) is not None:
            target = data
            for key in loc[:-1]:
                target = target.setdefault(key, {})
            target[loc[-1]] = flags[name]
    if not data:
        return base
    gc = data.get("pod_gc")
    if gc is not None and "strategy" not in gc:  # --pod-gc-delete-delay alone: the configured strategy
        if base.pod_gc is None:
            raise SpecError(Diagnostic(
                "PF287", "--pod-gc-delete-delay: no pod GC strategy to delay", Span("<command line>", 1, 1),
                "add --pod-gc STRATEGY, or `pod_gc: {strategy: ...}` to polyflow.yaml"))
        gc["strategy"] = base.pod_gc.strategy
    try:
        top = RunHygiene.model_validate(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors(include_url=False):
            loc = tuple(str(x) for x in err["loc"])
            flag = next((f for _, (where, f) in HYGIENE_FLAGS.items() if where == loc[: len(where)]), "flag")
            ctx = err.get("ctx") or {}
            message = ctx.get("message") or err.get("msg", "invalid value")
            where = Span("<command line>", 1, 1)
            out.append(Diagnostic(ctx.get("code", "PF286"), f"{flag}: {message}", where, ctx.get("hint")))
        raise SpecError(out) from None
    return base.over(top)
