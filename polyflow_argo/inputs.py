"""The input edge: everything a pipeline refers to, read before it is resolved.

Resolving looks names up; it never opens a file or a socket. What it looks up is read here, once,
from the loaded pipeline and where it came from:

- ``path`` templates: each file, relative to the file that names it, inside the project root (the
  nearest directory above it holding ``.git`` or ``polyflow.yaml``; else the file's directory);
- ``url`` templates: checked (https only), their pins in ``polyflow.lock`` of the project root, and
  their pinned content from the cache (``$XDG_CACHE_HOME/polyflow-argo/url``), fetched and checked
  against the pin only when the cache does not hold it (``polyflow-argo lock`` writes pins and cache);
- the registries (``--registry`` then ``POLYFLOW_REGISTRY``), only when an op uses an action or an
  event; in-cluster ones through the ``connect`` the caller injects (compiler.py: the cluster client);
- the project config (``--project``, else ``polyflow.yaml`` beside the first pipeline file), which
  translate reads (builds, volumes, run hygiene).

Problems are kept as data (:class:`TemplateFile` diagnostics, a :class:`PathRef` state) and reported by
resolve where the op names them, so codes, positions and their order are those of one resolve pass.
The exceptions are those that stop a run wherever they are met: a malformed ``polyflow.lock`` (PF114)
is raised here, and a broken project config is raised by :meth:`Project.config`, which compile calls
after resolving, as before this edge existed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

import yaml

from .errors import Diagnostic, PolyflowError, Problem, SourceError
from .files import write_atomic
from .language import Pipeline, Template
from .source import LocatedDoc, PathT, parse, read

if TYPE_CHECKING:
    from .language.project import ProjectConfig
    from .registry.cluster import Connect
    from .registry.local import Registry

LOCK_FILE = "polyflow.lock"
MAX_BYTES = 1 << 20
TIMEOUT = 10.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


# ----------------------------------------------------------------------------- what resolve is given


@dataclass(frozen=True)
class TemplateFile:
    """A path or url template as read: the template, or why it cannot be used. ``diagnostics`` are at
    the template file's own lines (or its URL's); ``problem`` is a message and hint that resolve reports
    at the op that names the URL (PF327: its content changed, the fetch failed)."""

    template: Template | None
    diagnostics: tuple[Diagnostic, ...] = ()
    problem: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class PathRef:
    """Where an op's ``path`` template points: ``found`` (``file`` is a key of ``Sources.files``), or
    ``outside`` the project root, ``missing``, or a ``directory``."""

    state: Literal["found", "outside", "missing", "directory"]
    file: str  # the resolved path
    rel: str  # relative to the project root, the op's `ref` in the IR
    stem: str  # the file name without its extension: the template's default name
    root: str  # the project root folder's name (PF322's hint)
    named_in: str  # the file that names it (PF323's hint)


@dataclass(frozen=True)
class UrlRef:
    """An op's ``url`` template: refused by :func:`check_url` (``refused``), not pinned, or pinned (its
    content is ``Sources.files[url]``)."""

    url: str
    refused: tuple[str, str | None] | None = None
    pinned: bool = False


@dataclass(frozen=True)
class Sources:
    """Everything resolve looks up for the templates of one pipeline (ops by their index)."""

    paths: Mapping[int, PathRef] = field(default_factory=dict)
    urls: Mapping[int, UrlRef] = field(default_factory=dict)
    files: Mapping[str, TemplateFile] = field(default_factory=dict)  # by resolved path or URL
    registry: Registry | None = None


@dataclass(frozen=True)
class Project:
    """The project config as read: ``config`` returns it (None: there is none) or raises what reading
    it found (kept until then, so a pipeline's own errors are reported first)."""

    path: Path | None = None
    loaded: ProjectConfig | None = None
    error: PolyflowError | None = None

    def config(self) -> ProjectConfig | None:
        if self.error is not None:
            raise self.error
        return self.loaded


# ----------------------------------------------------------------------------- reading them


def read_sources(
    spec: Pipeline,
    doc: LocatedDoc,
    *,
    resolve_sources: bool,
    registries: tuple[str, ...] | list[str] = (),
    connect: Connect,
) -> Sources:
    """Read every template the ops of ``spec`` refer to (``url`` ones and the registries only when
    ``resolve_sources``: plain ``lint`` never needs the network or a registry, as in Polyflow 0.5)."""
    paths: dict[int, PathRef] = {}
    urls: dict[int, UrlRef] = {}
    files: dict[str, TemplateFile] = {}
    locks: dict[Path, dict[str, str]] = {}
    for i, op in enumerate(spec.ops or []):
        ref = op.template
        where: PathT = ("ops", i, "template", ref.source)
        if ref.source == "path":
            paths[i] = _path(doc, where, ref.value, files)
        elif ref.source == "url" and resolve_sources:
            urls[i] = _url(doc, where, ref.value, files, locks)
    registry = None
    if resolve_sources and any(op.template.source in ("action", "event") for op in spec.ops or []):
        registry = load_registry(registries, connect)
    return Sources(paths, urls, files, registry)


def load_registry(paths: tuple[str, ...] | list[str], connect: Connect) -> Registry:
    """Every registry source (``--registry`` values, then ``POLYFLOW_REGISTRY``); ``cluster:NS`` and
    ``cluster-scope:`` sources are read through ``connect``, called only for them."""
    from .registry.sources import load_sources

    return load_sources(paths, connect)


def read_project(explicit: str | None, pipeline_files: list[str]) -> Project:
    """The project config: ``explicit`` (``--project``), else ``polyflow.yaml`` beside the first
    pipeline file, if there is one."""
    from .language.project import load_project, project_path

    path = project_path(explicit, pipeline_files)
    if path is None:
        return Project()
    try:
        return Project(path, load_project(path))
    except PolyflowError as exc:
        return Project(path, None, exc)


def project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / ".git").exists() or (folder / "polyflow.yaml").exists():
            return folder
    return start


def _base_dir(doc: LocatedDoc, where: PathT) -> Path:
    span = doc.span(where)
    if span and span.file not in ("<string>", "<command line>") and "://" not in span.file:
        return Path(span.file).resolve().parent
    return Path.cwd()


def _path(doc: LocatedDoc, where: PathT, value: str, files: dict[str, TemplateFile]) -> PathRef:
    from .language.load import load_template

    span = doc.span(where)
    base = _base_dir(doc, where)
    root = project_root(base).resolve()
    named_in = span.file if span else "the pipeline"
    try:
        target = (base / value).resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13): no such file
        return PathRef("missing", str(base / value), "", Path(value).stem, root.name, named_in)
    if not target.is_relative_to(root):
        return PathRef("outside", str(target), "", target.stem, root.name, named_in)
    if not target.exists():  # a FIFO or a device exists: read() says what it is, without opening it
        return PathRef("missing", str(target), "", target.stem, root.name, named_in)
    if target.is_dir():
        return PathRef("directory", str(target), "", target.stem, root.name, named_in)
    key = str(target)
    if key not in files:
        try:
            files[key] = TemplateFile(load_template(read(target)))
        except PolyflowError as exc:
            files[key] = TemplateFile(None, tuple(exc.diagnostics))  # at the template file's own lines
    return PathRef("found", key, target.relative_to(root).as_posix(), target.stem, root.name, named_in)


def _url(
    doc: LocatedDoc, where: PathT, url: str, files: dict[str, TemplateFile], locks: dict[Path, dict[str, str]]
) -> UrlRef:
    from .language.load import load_template

    root = project_root(_base_dir(doc, where))
    try:
        check_url(url)
    except Problem as exc:
        return UrlRef(url, refused=(exc.message, exc.hint))
    if root not in locks:
        locks[root] = read_lock(root)  # a malformed lock stops the run here (PF114)
    pin = locks[root].get(url)
    if pin is None:
        return UrlRef(url)
    if url not in files:
        try:
            files[url] = TemplateFile(load_template(parse(pinned_content(url, pin).decode("utf-8", "replace"),
                                                          url)))
        except Problem as exc:
            files[url] = TemplateFile(None, problem=(exc.message, exc.hint))
        except PolyflowError as exc:
            files[url] = TemplateFile(None, tuple(exc.diagnostics))  # at the fetched file's lines, by URL
    return UrlRef(url, pinned=True)


# ----------------------------------------------------------------------------- url templates: lock and cache
# ``template: {url: ...}``: fetched once, pinned by content hash, cached (docs/registry.md).
# Only ``https://`` (``http://`` for localhost, for development), a 10 s timeout, at most 1 MiB.
# ``polyflow.lock`` in the project root maps each URL to the sha256 of its content; ``polyflow-argo
# lock FILE...`` writes it. Compile refuses a URL that is not pinned, or whose content no longer
# matches its pin, so a build is reproducible. A pinned URL in the cache compiles offline.


def check_url(url: str) -> None:
    try:
        parts = urlparse(url)
        parts.port  # noqa: B018 - parsing the port raises for `host:abc`
    except ValueError as exc:  # `https://[::1/x`, a port that is not a number
        raise Problem(f"template URL {url!r} is not a valid URL: {exc}", "check the URL") from None
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise Problem(
        f"template URL {url!r} must be https:// (http:// only for localhost)", "use an https:// URL"
    )


def fetch(url: str) -> bytes:
    """GET ``url``: https only (http for localhost), on every redirect too; at most ``MAX_BYTES``;
    the body within one ``TIMEOUT`` for the whole fetch, not per read (the status line and headers
    are bounded per read, as urllib does)."""
    import urllib.error
    import urllib.request

    check_url(url)

    class _Checked(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: object, fp: object, code: int, msg: str, headers: object,
                             newurl: str) -> urllib.request.Request | None:
            try:
                check_url(newurl)  # a redirect to http:// (or file:, ftp:) is refused like the URL itself
            except Problem as exc:
                raise Problem(f"GET {url} redirected: {exc.message}", exc.hint) from None
            return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]

    import http.client

    opener = urllib.request.build_opener(_Checked)
    request = urllib.request.Request(url, headers={"User-Agent": "polyflow-argo"})
    deadline = time.monotonic() + TIMEOUT
    try:
        with opener.open(request, timeout=TIMEOUT) as resp:
            chunks: list[bytes] = []
            size = 0
            while size <= MAX_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Problem(f"GET {url} took longer than {TIMEOUT:g} s",
                                  "check the server: it sends the template too slowly")
                _read_timeout(resp, left)  # no read may outlast the one deadline
                chunk = resp.read1(min(1 << 16, MAX_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
            expected = resp.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and size <= MAX_BYTES and int(expected) != size:
                raise Problem(f"GET {url} was cut off: {size} of {expected} bytes",
                              "fetch it again; check the server or a proxy in between")
    except Problem:
        raise  # a redirect refused, the deadline passed: already said (Problem is a ValueError)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise Problem(f"GET {url} answered {exc.code} {exc.reason}", "check the URL") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        if time.monotonic() >= deadline:
            raise Problem(f"GET {url} took longer than {TIMEOUT:g} s",
                          "check the server: it sends the template too slowly") from None
        detail = getattr(exc, "reason", None) or exc
        raise Problem(
            f"GET {url} failed: {str(detail) or type(detail).__name__}", "check the URL and the network"
        ) from None
    if len(data) > MAX_BYTES:
        raise Problem(
            f"template at {url} is over {MAX_BYTES} bytes", "a template file is small: check the URL"
        )
    return data


def _read_timeout(resp: object, seconds: float) -> None:
    """Bound the next read of ``resp`` by ``seconds`` (the time left of the fetch's deadline)."""
    sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "polyflow-argo" / "url"


def read_lock(root: Path) -> dict[str, str]:
    """The pins of ``polyflow.lock`` in ``root`` ({} when there is none). The lock is read like any
    input (bounded, regular file); one that is not ``urls: {URL: sha256:...}`` is a SourceError at
    its line (PF114), not a crash."""
    path = root / LOCK_FILE
    if not os.path.lexists(path):
        return {}
    try:
        doc = read(path)
    except SourceError as exc:
        if [d.code for d in exc.diagnostics] == ["PF104"]:
            return {}  # an empty lock pins nothing
        raise
    hint = f"`polyflow-argo lock FILE` writes it; or delete {LOCK_FILE} and run it again"
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("urls", {}), dict):
        where = ("urls",) if isinstance(data, dict) else ()
        raise SourceError(Diagnostic("PF114", f"{LOCK_FILE} must be a mapping `urls: {{URL: sha256:...}}`",
                                     doc.span(where), hint))
    pins: dict[str, str] = {}
    bad: list[Diagnostic] = []
    for url, pin in data.get("urls", {}).items():
        if isinstance(pin, str) and pin.startswith("sha256:"):
            pins[url] = pin
        else:
            bad.append(Diagnostic("PF114", f"the pin of {url} in {LOCK_FILE} is not a sha256: hash",
                                  doc.span(("urls", url)), hint))
    if bad:
        raise SourceError(bad)
    return pins


def write_lock(root: Path, pins: dict[str, str]) -> Path:
    text = "# polyflow-argo lock: content hashes of url templates (`polyflow-argo lock` writes it)\n"
    text += yaml.safe_dump({"urls": dict(sorted(pins.items()))}, sort_keys=False)
    path = root / LOCK_FILE
    write_atomic(path, text)
    return path


def _cached(pin: str) -> Path:
    return cache_dir() / (pin.replace(":", "-") + ".yaml")


def store(data: bytes) -> str:
    """Cache ``data`` under its hash (best effort: a cache is an optimisation); return the pin."""
    pin = digest(data)
    try:
        _cached(pin).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_cached(pin), data.decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        pass
    return pin


def cached_content(pin: str) -> bytes | None:
    """The cached content of ``pin``, if the cache holds it intact."""
    try:
        data = _cached(pin).read_bytes()
    except OSError:  # absent, unreadable, a directory: a cache miss
        return None
    return data if digest(data) == pin else None


def pinned_content(url: str, pin: str) -> bytes:
    """The content of a pinned URL: from the cache, else fetched and checked against the pin."""
    data_or_none = cached_content(pin)
    if data_or_none is not None:
        return data_or_none
    data = fetch(url)
    got = digest(data)
    if got != pin:
        raise Problem(
            f"the content of {url} changed: {got} is not the pinned {pin}",
            f"review the change, then run `polyflow-argo lock` to pin the new content ({LOCK_FILE})",
        )
    store(data)
    return data
