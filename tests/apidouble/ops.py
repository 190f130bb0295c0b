"""Object operations of the Kubernetes API (create, get, list, watch, replace, patch, delete), shared by
the HTTP front (kube.py) and the Argo Server double (argo.py), which calls them with the user's
identity as Argo Server does in ``client`` auth mode.

Each raises ``meta.ApiError`` with the apiserver's ``Status``; the order of checks follows the
apiserver: authorization, decoding (apiVersion/kind, strict fields), namespace, validation, size,
then storage (AlreadyExists / Conflict).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import yaml

from . import meta
from .meta import ApiError, Kind, bad_request, copy, invalid, not_found
from .validation import render, strip_nulls

if TYPE_CHECKING:
    from .double import ApiDouble

MAX_REQUEST_BYTES = 3145728  # apiserver's MaxRequestBodyBytes: "Request entity too large: limit is 3145728"
MAX_OBJECT_BYTES = 1572864  # etcd's --max-request-bytes default (1.5 MiB), measured on the object's JSON
FIELD_VALIDATION = ("Strict", "Warn", "Ignore")
FINISHED = ("Succeeded", "Failed", "Error")


class Ops:
    """The apiserver's behaviour on stored objects, for one double."""

    def __init__(self, double: ApiDouble) -> None:
        self.d = double
        self.store = double.store

    # ------------------------------------------------------------ checks

    def authorize(
        self, user: str, verb: str, kind: Kind, ns: str | None, name: str = "", sub: str = ""
    ) -> None:
        resource = kind.plural + (f"/{sub}" if sub else "")
        namespace = (ns or "") if kind.namespaced else ""
        if self.d.denied(verb, kind.group, resource, namespace, name):
            raise meta.forbidden(user, verb, kind, namespace, name, sub)

    def require_namespace(self, kind: Kind, ns: str | None) -> None:
        if kind.namespaced and ns not in self.d.namespaces:
            raise not_found(meta.NAMESPACES, ns or "")

    @staticmethod
    def decode(kind: Kind, body: bytes | dict[str, Any], yaml_ok: bool = False) -> dict[str, Any]:
        if isinstance(body, bytes) and len(body) > MAX_REQUEST_BYTES:
            raise meta.too_large(f"Request entity too large: limit is {MAX_REQUEST_BYTES}")
        if isinstance(body, bytes):
            try:
                obj = yaml.safe_load(body) if yaml_ok else json.loads(body)
            except (ValueError, yaml.YAMLError) as exc:
                raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from None
        else:
            obj = body
        if not isinstance(obj, dict):
            raise bad_request("couldn't get version/kind; json parse error: the body is not an object")
        if not kind.group:  # built-in types: the endpoint's group/version/kind is the default
            obj.setdefault("apiVersion", kind.api_version)
            obj.setdefault("kind", kind.kind)
        if not obj.get("kind"):
            raise bad_request(f"Object 'Kind' is missing in '{json.dumps(obj)[:200]}'")
        if obj.get("apiVersion") != kind.api_version:
            raise bad_request(
                f"the API version in the data ({obj.get('apiVersion')}) does not match the expected API "
                f"version ({kind.api_version})"
            )
        if obj["kind"] != kind.kind:
            raise bad_request(
                f'{obj["kind"]} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                f"the kind in the data does not match the resource ({kind.kind})"
            )
        return strip_nulls(obj)  # type: ignore[no-any-return]

    def _place(self, kind: Kind, obj: dict[str, Any], ns: str | None, name: str | None = None) -> None:
        meta_ = obj.setdefault("metadata", {})
        if not isinstance(meta_, dict):
            raise bad_request("metadata must be an object")
        if kind.namespaced:
            if meta_.get("namespace") and meta_["namespace"] != ns:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta_["namespace"] = ns
        else:
            meta_.pop("namespace", None)
        if name is not None and meta_.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({meta_['name']}) does not match the name on the URL ({name})"
            )
        if name is not None:
            meta_["name"] = name

    def _validate(self, kind: Kind, obj: dict[str, Any], old: dict[str, Any] | None,
                  field_validation: str) -> list[str]:
        """Raise 400 (Strict unknown fields) or 422 (Invalid); prune unknown fields; return warnings."""
        if field_validation not in FIELD_VALIDATION:
            raise bad_request(f'fieldValidation: Unsupported value: "{field_validation}": supported values: '
                              '"Ignore", "Strict", "Warn"')
        causes, unknown = self.d.validator.check(kind, obj, old)
        if unknown and field_validation == "Strict":
            fields = ", ".join(f'unknown field "{render(u)}"' for u in unknown)
            raise bad_request(f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                              f"strict decoding error: {fields}")
        if causes:
            raise invalid(kind, obj.get("metadata", {}).get("name", ""), causes)
        for path in sorted(unknown, key=len, reverse=True):
            node: Any = obj
            for part in path[:-1]:
                node = node[part]
            del node[path[-1]]
        return [f'unknown field "{render(u)}"' for u in unknown] if field_validation == "Warn" else []

    @staticmethod
    def _size(obj: dict[str, Any]) -> None:
        if len(json.dumps(obj, separators=(",", ":"))) > MAX_OBJECT_BYTES:
            raise meta.too_large("etcdserver: request is too large")

    @staticmethod
    def _managed(obj: dict[str, Any], kind: Kind, manager: str, operation: str) -> None:
        entries = [e for e in obj["metadata"].get("managedFields", [])
                   if (e.get("manager"), e.get("operation")) != (manager, operation)]
        entries.append({"manager": manager, "operation": operation, "apiVersion": kind.api_version,
                        "time": meta.now(), "fieldsType": "FieldsV1", "fieldsV1": {}})
        obj["metadata"]["managedFields"] = entries

    # ------------------------------------------------------------ verbs

    def create(
        self,
        kind: Kind,
        ns: str | None,
        body: bytes | dict[str, Any],
        *,
        user: str,
        dry_run: bool = False,
        field_validation: str = "Warn",
        manager: str = "unknown",
    ) -> tuple[dict[str, Any], list[str]]:
        self.authorize(user, "create", kind, ns)
        obj = self.decode(kind, body)
        self._place(kind, obj, ns)
        self.require_namespace(kind, ns)
        meta_ = obj["metadata"]
        for field in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "generation"):
            meta_.pop(field, None)
        if not meta_.get("name") and meta_.get("generateName"):
            meta_["name"] = meta.generate_name(meta_["generateName"])
            while self.store.get(kind, ns, meta_["name"]) is not None:  # RetryGenerateName (k8s 1.32 GA)
                meta_["name"] = meta.generate_name(meta_["generateName"])
        warnings = self._validate(kind, obj, None, field_validation)
        self._size(obj)
        with self.store.cond:
            if self.store.get(kind, ns, meta_["name"]) is not None:
                raise meta.already_exists(kind, meta_["name"])
            self._managed(obj, kind, manager, "Update")
            if dry_run:
                out = copy(obj)
                out["apiVersion"], out["kind"] = kind.api_version, kind.kind
                out["metadata"].update({"uid": meta.new_uid(), "creationTimestamp": meta.now()})
                if kind.group:
                    out["metadata"]["generation"] = 1
                return out, warnings
            created = self.store.add(kind, obj)
        self.d.created(created)
        return created, warnings

    def get(self, kind: Kind, ns: str | None, name: str, *, user: str) -> dict[str, Any]:
        self.authorize(user, "get", kind, ns, name)
        obj = self.store.get(kind, ns, name)
        if obj is None:
            raise not_found(kind, name)
        return obj

    def list_objects(
        self,
        kind: Kind,
        ns: str | None,
        *,
        user: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_: str | None = None,
    ) -> dict[str, Any]:
        self.authorize(user, "list", kind, ns)
        labels = meta.label_selector(label_selector)
        fields = meta.field_selector(kind, field_selector)
        with self.store.cond:
            items = [
                o
                for o in self.store.select(kind, ns)
                if meta.labels_match(labels, o["metadata"].get("labels") or {})
                and meta.fields_match(fields, o)
            ]
            rv = str(self.store.rv)
        list_meta: dict[str, Any] = {"resourceVersion": rv}
        if continue_:
            try:
                after = json.loads(base64.urlsafe_b64decode(continue_.encode()))
            except ValueError:
                raise ApiError(
                    meta.status(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. "
                        "You can start a new list without the continue parameter.",
                    )
                ) from None
            items = [o for o in items if [o["metadata"].get("namespace", ""), o["metadata"]["name"]] > after]
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            token = json.dumps([last.get("namespace", ""), last["name"]]).encode()
            list_meta["continue"] = base64.urlsafe_b64encode(token).decode()
            list_meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return {
            "apiVersion": kind.api_version,
            "kind": kind.kind + "List",
            "metadata": list_meta,
            "items": items,
        }

    def replace(self, kind: Kind, ns: str | None, name: str, body: bytes | dict[str, Any], *, user: str,
                dry_run: bool = False, field_validation: str = "Warn", manager: str = "unknown"
                ) -> tuple[dict[str, Any], list[str]]:
        self.authorize(user, "update", kind, ns, name)
        obj = self.decode(kind, body)
        self._place(kind, obj, ns, name)
        with self.store.cond:
            old = self.store.get(kind, ns, name)
            if old is None:
                raise not_found(kind, name)
            rv = obj["metadata"].get("resourceVersion")
            if not rv and not kind.unconditional_update:
                raise invalid(kind, name, [meta.cause("FieldValueInvalid", "metadata.resourceVersion",
                                                      "Invalid value: 0x0: must be specified for an update")])
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise meta.conflict(kind, name)
            obj["metadata"]["managedFields"] = old["metadata"].get("managedFields", [])
            warnings = self._validate(kind, obj, old, field_validation)
            self._size(obj)
            return self._write(kind, old, obj, manager, "Update", dry_run), warnings

    def _write(self, kind: Kind, old: dict[str, Any], new: dict[str, Any], manager: str, operation: str,
               dry_run: bool) -> dict[str, Any]:
        if _same(old, new):
            return old
        self._managed(new, kind, manager, operation)
        if dry_run:
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            return new
        return self.store.update(kind, new)

    def patch(self, kind: Kind, ns: str | None, name: str, body: bytes, content_type: str, *, user: str,
              dry_run: bool = False, field_validation: str = "Warn", manager: str | None = None,
              force: bool | None = None) -> tuple[dict[str, Any], list[str], bool]:
        """(object, warnings, created): merge, JSON or (on core kinds) strategic merge patch, or apply."""
        self.authorize(user, "patch", kind, ns, name)
        ctype = content_type.split(";")[0].strip()
        if len(body) > MAX_REQUEST_BYTES:
            raise meta.too_large(f"Request entity too large: limit is {MAX_REQUEST_BYTES}")
        if ctype == "application/apply-patch+yaml":
            return self._apply(
                kind,
                ns,
                name,
                body,
                user=user,
                dry_run=dry_run,
                field_validation=field_validation,
                manager=manager,
                force=bool(force),
            )
        if force is not None:
            raise ApiError(
                meta.status(
                    422,
                    "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may '
                    "not be specified for non-apply patch",
                )
            )
        smp = ctype == "application/strategic-merge-patch+json"
        if ctype not in ("application/merge-patch+json", "application/json-patch+json") and not (
            smp and not kind.group
        ):
            raise meta.unsupported_media_type(ctype)
        try:
            patch = json.loads(body or b"null")
        except ValueError as exc:
            raise bad_request(f"error decoding patch: {exc}") from None
        with self.store.cond:
            old = self.store.get(kind, ns, name)
            if old is None:
                raise not_found(kind, name)
            new = (
                meta.json_patch(old, patch)
                if ctype == "application/json-patch+json"
                else meta.merge_patch(old, patch)
            )
            if not isinstance(new, dict):
                raise bad_request("the patch did not produce an object")
            new = strip_nulls(new)
            rv = (new.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise meta.conflict(kind, name)
            new["apiVersion"], new["kind"] = kind.api_version, kind.kind
            self._place(kind, new, ns, name)
            warnings = self._validate(kind, new, old, field_validation)
            self._size(new)
            return self._write(kind, old, new, manager or "unknown", "Update", dry_run), warnings, False

    def _apply(
        self,
        kind: Kind,
        ns: str | None,
        name: str,
        body: bytes,
        *,
        user: str,
        dry_run: bool,
        field_validation: str,
        manager: str | None,
        force: bool,
    ) -> tuple[dict[str, Any], list[str], bool]:
        """Server-side apply without managedFields conflicts: this manager owns what it sends."""
        if not manager:
            raise invalid(Kind("meta.k8s.io", "v1", "patchoptions", "PatchOptions"), "", [meta.cause(
                "FieldValueRequired", "fieldManager", "Required value: is required for apply patch")])
        obj = self.decode(kind, body, yaml_ok=True)
        self._place(kind, obj, ns, name)
        key = self.store.key(kind, ns, name)
        owned = {"fields": sorted(k for k in obj if k not in ("apiVersion", "kind", "metadata")),
                 "labels": sorted(obj["metadata"].get("labels") or {}),
                 "annotations": sorted(obj["metadata"].get("annotations") or {})}
        with self.store.cond:
            old = self.store.get(kind, ns, name)
            if old is None:
                self.require_namespace(kind, ns)
                warnings = self._validate(kind, obj, None, field_validation)
                self._size(obj)
                self._managed(obj, kind, manager, "Apply")
                if dry_run:
                    return obj, warnings, True
                created = self.store.add(kind, obj)
                self.store.applied.setdefault(key, {})[manager] = owned
                self.d.created(created)
                return created, warnings, True
            before = self.store.applied.get(key, {}).get(
                manager, {"fields": [], "labels": [], "annotations": []}
            )
            new = copy(old)
            for field in before["fields"]:
                new.pop(field, None)
            for field in owned["fields"]:
                new[field] = obj[field]
            for part in ("labels", "annotations"):
                merged = {k: v for k, v in (new["metadata"].get(part) or {}).items() if k not in before[part]}
                merged.update(obj["metadata"].get(part) or {})
                if merged:
                    new["metadata"][part] = merged
                else:
                    new["metadata"].pop(part, None)
            for field in ("finalizers", "ownerReferences"):
                if field in obj["metadata"]:
                    new["metadata"][field] = obj["metadata"][field]
            warnings = self._validate(kind, new, old, field_validation)
            self._size(new)
            out = self._write(kind, old, new, manager, "Apply", dry_run)
            if not dry_run:
                self.store.applied.setdefault(key, {})[manager] = owned
            return out, warnings, False

    def delete(self, kind: Kind, ns: str | None, name: str, *, user: str, dry_run: bool = False,
               options: dict[str, Any] | None = None) -> dict[str, Any]:
        self.authorize(user, "delete", kind, ns, name)
        options = options or {}
        policy = options.get("propagationPolicy")
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise invalid(
                Kind("meta.k8s.io", "v1", "deleteoptions", "DeleteOptions"),
                "",
                [
                    meta.cause(
                        "FieldValueNotSupported",
                        "propagationPolicy",
                        f'Unsupported value: "{policy}": supported values: "Foreground", "Background", '
                        '"Orphan", "nil"',
                    )
                ],
            )
        with self.store.cond:
            old = self.store.get(kind, ns, name)
            if old is None:
                raise not_found(kind, name)
            pre = options.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != old["metadata"]["uid"]:
                raise meta.conflict(
                    kind,
                    name,
                    f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: "
                    f"{old['metadata']['uid']}",
                )
            if pre.get("resourceVersion") and pre["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise meta.conflict(kind, name, f"Precondition failed: ResourceVersion in precondition: "
                                    f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                                    f"{old['metadata']['resourceVersion']}")
            if not dry_run:
                self.store.delete(kind, ns, name)
        details: dict[str, Any] = {"name": name, "kind": kind.plural, "uid": old["metadata"]["uid"]}
        if kind.group:
            details["group"] = kind.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    # ------------------------------------------------------------ watch

    def watch(self, kind: Kind, ns: str | None, *, user: str, resource_version: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None,
              timeout: float | None = None, bookmarks: bool = False) -> Iterator[dict[str, Any]]:
        """Check the request now (raising ApiError), then return the iterator of watch events."""
        self.authorize(user, "watch", kind, ns)
        labels = meta.label_selector(label_selector)
        fields = meta.field_selector(kind, field_selector)
        if resource_version not in (None, "", "0"):
            try:
                int(str(resource_version))
            except ValueError:
                raise bad_request(f'invalid resource version: "{resource_version}"') from None
        limit = self.d.max_watch_seconds if timeout is None else min(timeout, self.d.max_watch_seconds)
        return self._events(kind, ns, labels, fields, resource_version, time.monotonic() + limit, bookmarks)

    def _events(self, kind: Kind, ns: str | None, labels: Any, fields: Any, rv: str | None, deadline: float,
                bookmarks: bool) -> Iterator[dict[str, Any]]:
        def match(obj: dict[str, Any] | None) -> bool:
            return (
                obj is not None
                and (ns is None or not kind.namespaced or obj["metadata"].get("namespace") == ns)
                and meta.labels_match(labels, obj["metadata"].get("labels") or {})
                and meta.fields_match(fields, obj)
            )

        store = self.store
        with store.cond:
            if rv in (None, "", "0"):
                pos = store.rv
                initial = [{"type": "ADDED", "object": o} for o in store.select(kind, ns) if match(o)]
            elif int(str(rv)) < store.compacted:
                initial = [{"type": "ERROR", "object": meta.status(
                    410, "Expired", f"too old resource version: {rv} ({store.compacted})")}]
                pos = -1
            else:
                pos, initial = int(str(rv)), []
        yield from initial
        while pos >= 0:
            with store.cond:
                events = store.events_after(pos)
                while not events and not store.closed and time.monotonic() < deadline:
                    store.cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                    events = store.events_after(pos)
                if events:
                    pos = events[-1].rv
                closing, last = store.closed, store.rv
            if not events:  # timed out: a bookmark just before the end, as the watch cache sends
                if bookmarks and not closing:
                    yield {"type": "BOOKMARK", "object": {"kind": kind.kind, "apiVersion": kind.api_version,
                                                          "metadata": {"resourceVersion": str(last)}}}
                return
            for event in events:
                if event.kind != kind:
                    continue
                was, now_ = match(event.old), match(event.new)
                type_ = {("ADDED", True): "ADDED", ("DELETED", True): "DELETED"}.get(
                    (event.type, now_ or was)
                )
                if event.type == "MODIFIED":
                    type_ = {(True, True): "MODIFIED", (False, True): "ADDED", (True, False): "DELETED"}.get(
                        (was, now_)
                    )
                if type_:
                    yield {"type": type_, "object": copy(event.new)}


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    def strip(obj: dict[str, Any]) -> dict[str, Any]:
        out = copy(obj)
        for key in ("resourceVersion", "managedFields", "generation"):
            out.get("metadata", {}).pop(key, None)
        return out

    return strip(old) == strip(new)


def finished(obj: dict[str, Any]) -> bool:
    return (obj.get("status") or {}).get("phase") in FINISHED
