"""The one store behind both APIs: objects by resource, one resourceVersion counter (as etcd's
revision), the bounded event history that watches read, and pod container logs.

Every read returns a copy and every write stores a copy, so callers never share mutable state with
the server threads. All methods take the store's lock; ``cond`` is notified on every change.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .meta import Kind, copy, now

Key = tuple[str, str, str, str]  # group, plural, namespace ("" when cluster-scoped), name


@dataclass
class Event:
    rv: int
    kind: Kind
    type: str  # ADDED, MODIFIED, DELETED
    old: dict[str, Any] | None
    new: dict[str, Any]


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy(obj)
    meta = out.get("metadata", {})
    for key in ("resourceVersion", "managedFields", "generation"):
        meta.pop(key, None)
    return out


def _body(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}


class Store:
    """Objects, events and logs under one lock."""

    def __init__(self, history: int = 10_000) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.rv = 1000
        self.objects: dict[Key, dict[str, Any]] = {}
        self.events: deque[Event] = deque(maxlen=history)
        self.compacted = 0  # a watch from a resourceVersion below this gets 410 Expired
        self.applied: dict[Key, dict[str, dict[str, list[str]]]] = {}  # server-side apply: manager → fields
        self.logs: dict[tuple[str, str, str], list[tuple[datetime, str]]] = {}
        self.finished: set[tuple[str, str, str]] = set()
        self.closed = False

    @staticmethod
    def key(kind: Kind, namespace: str | None, name: str) -> Key:
        return (kind.group, kind.plural, (namespace or "") if kind.namespaced else "", name)

    def get(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        with self.cond:
            obj = self.objects.get(self.key(kind, namespace, name))
            return copy(obj) if obj is not None else None

    def select(self, kind: Kind, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of ``kind`` (in ``namespace`` unless None), in etcd key order (namespace, name)."""
        with self.cond:
            keys = sorted(k for k in self.objects if k[:2] == (kind.group, kind.plural)
                          and (namespace is None or not kind.namespaced or k[2] == namespace))
            return [copy(self.objects[k]) for k in keys]

    def _record(self, type_: str, kind: Kind, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        if self.events.maxlen is not None and len(self.events) == self.events.maxlen:
            self.compacted = self.events[0].rv
        self.events.append(Event(self.rv, kind, type_, copy(old) if old else None, copy(new)))
        self.cond.notify_all()

    def add(self, kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object, filling the server's metadata; an ADDED event."""
        with self.cond:
            obj = copy(obj)
            obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
            meta = obj.setdefault("metadata", {})
            if kind.namespaced:
                meta["namespace"] = meta.get("namespace") or "default"
            else:
                meta.pop("namespace", None)
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now())
            if kind.group:
                meta["generation"] = 1
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self.objects[self.key(kind, meta.get("namespace"), meta["name"])] = obj
            self._record("ADDED", kind, None, obj)
            return copy(obj)

    def update(self, kind: Kind, new: dict[str, Any]) -> dict[str, Any]:
        """Replace the stored object with ``new``: a no-op when nothing changed (no new resourceVersion);
        else a MODIFIED event, or the deletion once a deleting object has no finalizers left."""
        with self.cond:
            meta = new["metadata"]
            key = self.key(kind, meta.get("namespace"), meta["name"])
            old = self.objects[key]
            new = copy(new)
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "namespace"):
                if field in old["metadata"]:
                    new["metadata"][field] = old["metadata"][field]
                else:
                    new["metadata"].pop(field, None)
            if _comparable(new) == _comparable(old):
                return copy(old)
            if kind.group:
                generation = old["metadata"].get("generation", 1)
                new["metadata"]["generation"] = generation + (_body(new) != _body(old))
            self.rv += 1
            new["metadata"]["resourceVersion"] = str(self.rv)
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                del self.objects[key]
                self.applied.pop(key, None)
                self._record("DELETED", kind, old, new)
                return copy(new)
            self.objects[key] = new
            self._record("MODIFIED", kind, old, new)
            return copy(new)

    def delete(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        """Delete now, or mark ``deletionTimestamp`` while finalizers remain. None when absent."""
        with self.cond:
            key = self.key(kind, namespace, name)
            old = self.objects.get(key)
            if old is None:
                return None
            if old["metadata"].get("finalizers"):
                if old["metadata"].get("deletionTimestamp"):
                    return copy(old)
                marked = copy(old)
                marked["metadata"]["deletionTimestamp"] = now()
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                self.rv += 1
                marked["metadata"]["resourceVersion"] = str(self.rv)
                self.objects[key] = marked
                self._record("MODIFIED", kind, old, marked)
                return copy(marked)
            del self.objects[key]
            self.applied.pop(key, None)
            self.rv += 1
            gone = copy(old)
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self._record("DELETED", kind, old, gone)
            return gone

    def events_after(self, rv: int) -> list[Event]:
        with self.cond:
            out = []
            for event in reversed(self.events):
                if event.rv <= rv:
                    break
                out.append(event)
            return out[::-1]

    def compact(self) -> None:
        """Forget the history: a watch from any earlier resourceVersion now gets 410 Expired."""
        with self.cond:
            self.compacted = self.rv
            self.events.clear()

    # ------------------------------------------------------------ logs

    def append_log(self, key: tuple[str, str, str], lines: list[str], at: datetime | None = None) -> None:
        with self.cond:
            stamp = at or datetime.now(timezone.utc)
            self.logs.setdefault(key, []).extend((stamp, line) for line in lines)
            self.cond.notify_all()

    def log(self, key: tuple[str, str, str]) -> list[tuple[datetime, str]]:
        with self.cond:
            return list(self.logs.get(key, []))

    def finish(self, key: tuple[str, str, str]) -> None:
        with self.cond:
            self.finished.add(key)
            self.cond.notify_all()

    def close(self) -> None:
        """Wake every waiting stream so it ends; used when the double stops."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()
