"""Kubernetes validity before submit: what the API server (or Argo's templating) would reject.

A pod that the API server refuses leaves the node in Error at run time; here every such value is a
compile error at its line, or is repaired where there is one obvious fix (pod.py: a GPU/TPU request
without a limit gets its limit; workflow.py: the ``polyflow-op`` label value and the display-name
annotation). Checked per environment an op uses (its own, its template's, each replica's):

- resources (PF455, PF456): positive, well-formed quantities (cpu ≥ 1m, memory ≥ 1Ki);
  extended resources (gpu/tpu, under the names of the project config) in whole devices with
  requests equal to limits; cpu/memory requests ≤ limits;
- labels and ``node_selector`` (PF457): keys ``[prefix/]name``, values ≤ 63 characters,
  alphanumeric at both ends;
- annotations (PF458): keys as label keys, all of them ≤ 256 KiB (the pipeline's too);
- names of Kubernetes objects (PF459): ``service_account``, ``image_pull_secrets``,
  ``secret_refs``, ``config_map_refs``: DNS-1123 subdomains.

And every string of the pipeline that lands in a manifest (PF432, as for params in params.py): a
literal ``{{`` or ``}}`` is an Argo template tag, with no escape (``run.cmd`` and builds have their
own checks).
"""

from __future__ import annotations

import re
from typing import Any

from ..resolve import Node
from ..source import PathT
from .context import TranslateContext
from .pod import GPU_KEY, TPU_KEY, merged_environment, resource_names

MAX_ANNOTATIONS_BYTES = 256 * 1024  # Kubernetes' TotalAnnotationSizeLimitB
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")  # a label key's name, a label value
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?\Z")
_SMALLEST = {"cpu": (0.001, "1m (0.001 cores)"), "memory": (1 / 1024, "1Ki (1/1024 MiB)")}


def check_pod_settings(ctx: TranslateContext) -> None:
    """Report every value the API server would reject, once per place it is written."""
    seen: set[tuple[str, PathT]] = set()
    checker = _Checker(ctx, seen)
    for node in ctx.ir.nodes.values():
        if node.template is None or node.template.entry is not None:
            continue  # registry templates are checked by `registry build`
        env = merged_environment(node)
        for key in env:
            env_path = _env_path(node, key)
            checker.environment(env, key, env_path)
        replicas = env.get("replicas")
        if replicas is not None:
            base = _env_path(node, "replicas") + ("replicas",)
            for role in ("default_worker", "default_ps"):
                settings = getattr(replicas, role, None)
                if settings is not None:
                    checker.replica(settings, base + (role,))
            for role in ("worker", "ps"):
                for i, settings in enumerate(getattr(replicas, role, None) or []):
                    checker.replica(settings, base + (role, i))
    description = ctx.ir.spec.description or ""
    tags = ",".join(ctx.ir.spec.tags or [])
    size = len(description.encode()) + len(tags.encode()) + len((ctx.ir.spec.name or "").encode())
    if size > MAX_ANNOTATIONS_BYTES - 4096:  # the title, op-names and Argo's own annotations need room
        ctx.error("PF458", f"the pipeline's description is {len(description.encode())} bytes; Kubernetes "
                  f"allows {MAX_ANNOTATIONS_BYTES} bytes of annotations per object", ("description",),
                  "shorten the description; link to a document instead")
    check_braces(ctx)


def _env_path(node: Node, key: str) -> PathT:
    """Where ``environment.<key>`` of the op's merged environment is written: the op's or its template's."""
    assert node.template is not None
    own = node.op.environment
    if own is not None and key in own.model_fields_set:
        return node.path + ("environment",)
    return node.template.path + ("environment",)


class _Checker:
    def __init__(self, ctx: TranslateContext, seen: set[tuple[str, PathT]]):
        self.ctx = ctx
        self.seen = seen
        names = resource_names(ctx)
        self.names = {"cpu": "cpu", "memory": "memory", "gpu": names.get("gpu", GPU_KEY),
                      "tpu": names.get("tpu", TPU_KEY)}

    def error(self, code: str, message: str, path: PathT, hint: str | None = None) -> None:
        if (code, path) not in self.seen:
            self.seen.add((code, path))
            self.ctx.error(code, message, path, hint)

    def environment(self, env: dict[str, Any], key: str, path: PathT) -> None:
        value = env.get(key)
        if value is None:
            return
        if key == "resources":
            self.resources(value, path + ("resources",))
        elif key in ("labels", "node_selector"):
            self.labels(value, path + (key,), key)
        elif key == "annotations":
            self.annotations(value, path + (key,))
        elif key == "service_account":
            self.object_name(value, path + (key,), "ServiceAccount", key)
        elif key in ("image_pull_secrets", "secret_refs"):
            for i, name in enumerate(value):
                self.object_name(name, path + (key, i), "Secret", key)
        elif key in ("config_map_refs", "configmap_refs"):
            for i, name in enumerate(value):
                self.object_name(name, path + (key, i), "ConfigMap", key)

    def replica(self, settings: Any, path: PathT) -> None:
        env = {k: getattr(settings, k) for k in settings.model_fields_set}
        for key in env:
            self.environment(env, key, path)

    # --- resources ------------------------------------------------------------------------
    def resources(self, res: Any, path: PathT) -> None:
        for field in ("cpu", "memory", "gpu", "tpu"):
            req = getattr(res, field, None)
            if req is None:
                continue
            where = path + (field,)
            name = self.names[field]
            ok = True
            for side in ("requests", "limits"):
                value = getattr(req, side)
                if value is not None and not self.quantity(field, name, side, value, where + (side,)):
                    ok = False
            requests, limits = req.requests, req.limits
            if not ok or requests is None or limits is None:
                continue
            if field in ("gpu", "tpu") and requests != limits:
                self.error(
                    "PF456",
                    f"`{field}` ({name}) requests {_num(requests)} and limits {_num(limits)}; Kubernetes "
                    "requires an extended resource's request to equal its limit",
                    where + ("requests",),
                    f"give one number: `{field}: {{limits: {_num(limits)}}}`",
                )
            elif field in ("cpu", "memory") and requests > limits:
                self.error(
                    "PF456",
                    f"`{field}` requests {_num(requests)}, more than its limit {_num(limits)}; Kubernetes "
                    "rejects the pod",
                    where + ("requests",),
                    f"raise `limits` to at least {_num(requests)}, or lower `requests`",
                )

    def quantity(self, field: str, name: str, side: str, value: float, path: PathT) -> bool:
        from .pod import _RESOURCES

        unit = {"cpu": "cores", "memory": "MiB", "gpu": "devices", "tpu": "devices"}[field]
        if value <= 0:
            self.error("PF455", f"`{field}.{side}` must be positive, got {_num(value)}", path,
                       f"give a positive number of {unit}, or remove `{side}`")
            return False
        if field in ("gpu", "tpu") and not float(value).is_integer():
            self.error("PF455", f"`{field}.{side}` is {_num(value)}, but {name} is counted in whole "
                       "devices", path, f"use a whole number, e.g. {max(1, round(value))}")
            return False
        if field in _SMALLEST and value < _SMALLEST[field][0]:
            smallest, text = _SMALLEST[field]
            self.error("PF455", f"`{field}.{side}` is {_num(value)} {unit}, less than the smallest quantity "
                       f"Kubernetes can express, {text}", path, f"use at least {smallest:g}")
            return False
        convert = next(c for f, _, c in _RESOURCES if f == field)
        text = convert(value)
        if not _QUANTITY.match(text) or len(text) > 20:
            self.error("PF455", f"`{field}.{side}` {_num(value)} gives the quantity {text!r}, which "
                       "Kubernetes cannot parse", path, f"give a plain number of {unit}")
            return False
        return True

    # --- labels and annotations -------------------------------------------------------------
    def labels(self, labels: dict[Any, Any], path: PathT, key: str) -> None:
        what = "label" if key == "labels" else "node selector"
        for name, value in labels.items():
            where = path + (name,)
            problem = label_key_problem(str(name))
            if problem:
                self.error("PF457", f"{what} key {str(name)!r} is not valid in Kubernetes: {problem}", where,
                           "write `[prefix/]name`: name ≤ 63 letters, digits, '-', '_', '.', "
                           "alphanumeric at both ends; prefix a DNS subdomain")
                continue
            problem = label_value_problem(_text(value))
            if problem:
                self.error("PF457", f"{what} {name}: {_text(value)!r} is not a valid Kubernetes label "
                           f"value: {problem}", where,
                           "use ≤ 63 letters, digits, '-', '_' and '.', alphanumeric at both ends "
                           "(e.g. 'ml-ops'); put free text in `annotations`")

    def annotations(self, annotations: dict[Any, Any], path: PathT) -> None:
        size = 0
        for name, value in annotations.items():
            problem = label_key_problem(str(name))
            if problem:
                self.error("PF458", f"annotation key {str(name)!r} is not valid in Kubernetes: {problem}",
                           path + (name,), "write `[prefix/]name`: name ≤ 63 letters, digits, '-', '_', '.'")
            size += len(str(name).encode()) + len(_text(value).encode())
        if size > MAX_ANNOTATIONS_BYTES:
            self.error("PF458", f"the annotations are {size} bytes; Kubernetes allows "
                       f"{MAX_ANNOTATIONS_BYTES} bytes of annotations per pod", path,
                       "put large values in a ConfigMap")

    def object_name(self, value: Any, path: PathT, kind: str, key: str) -> None:
        text = str(value)
        if not _SUBDOMAIN.match(text) or len(text) > 253:
            self.error("PF459", f"`{key}` {text!r} is not a valid {kind} name", path,
                       "Kubernetes names are lower case letters, digits, '-' and '.', "
                       "alphanumeric at both ends")


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid label (or annotation) key, or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "the prefix before '/' is empty"
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return f"the prefix {prefix!r} is not a DNS subdomain (lower case, digits, '-', '.')"
    if not name:
        return "the name is empty"
    if len(name) > 63:
        return f"the name has {len(name)} characters (at most 63)"
    if not _NAME.match(name):
        return "the name must be letters, digits, '-', '_' and '.', alphanumeric at both ends"
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"it has {len(value)} characters (at most 63)"
    if value and not _NAME.match(value):
        return "only letters, digits, '-', '_' and '.', alphanumeric at both ends"
    return None


def _text(value: Any) -> str:
    """A label/annotation value as pod.py renders it (``str``)."""
    return str(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- `{{` in any string that lands in a manifest ---------------------------------------------

# Checked elsewhere: params (PF432, params.py), run.cmd (its `{{ name }}` tags: params.py), builds
# (PF494/PF496, build.py; only `build.image` is checked here), and text that never reaches a manifest.
_BUILD_CHECKED = {"image"}


def check_braces(ctx: TranslateContext) -> None:
    """PF432 for every literal ``{{``/``}}`` in a string of the pipeline (or an entry's template)."""
    found: list[PathT] = []
    _braces(ctx.ir.doc.data, (), found)
    for path in found:
        rest = path[2:] if path[:1] in (("ops",), ("templates",)) and len(path) > 2 else path
        where = ".".join(str(p) for p in rest if not isinstance(p, int)) or "value"
        ctx.error(
            "PF432",
            f"`{where}` contains '{{{{' or '}}}}', which Argo would read as a template tag "
            "(there is no escape)",
            path,
            "remove the braces; pass such text to the container through a file or a ConfigMap",
        )


def _braces(value: Any, path: PathT, found: list[PathT]) -> None:
    """Append to ``found`` the path of every string under ``value`` with ``{{`` or ``}}``, in
    document order (a plain recursion: a path is built only for a container or a hit)."""
    if isinstance(value, dict):
        _braces_in_mapping(value, path, found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                if "{{" in item or "}}" in item:
                    found.append(path + (i,))
            elif isinstance(item, (dict, list)):
                _braces(item, path + (i,), found)
    elif isinstance(value, str) and ("{{" in value or "}}" in value):
        found.append(path)


def _braces_in_mapping(value: dict[Any, Any], path: PathT, found: list[PathT]) -> None:
    for key, item in value.items():
        if isinstance(key, str) and ("{{" in key or "}}" in key):
            found.append(path + (key,))
        if key in _ELSEWHERE and _checked_elsewhere(key, path):
            continue
        if key == "build" and isinstance(item, dict):
            for sub in _BUILD_CHECKED:
                text = item.get(sub)
                if isinstance(text, str) and ("{{" in text or "}}" in text):
                    found.append(path + (key, sub))
        elif isinstance(item, str):
            if "{{" in item or "}}" in item:
                found.append(path + (key,))
        elif isinstance(item, (dict, list)):
            _braces(item, path + (key,), found)


_ELSEWHERE = frozenset({"params", "default", "run", "description"})  # the keys _checked_elsewhere skips


def _checked_elsewhere(key: Any, path: PathT) -> bool:
    if key == "params" and len(path) == 2 and path[0] == "ops":
        return True
    if key == "default" and len(path) >= 2 and path[-2] in ("inputs", "outputs"):
        return True  # a default is a param value (PF432)
    # the pipeline's own description is an annotation of the Workflow
    return key in ("run", "description") and not (key == "description" and path == ())
