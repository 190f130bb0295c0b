"""The two digests of a translation: an op's template key and the spec hash, made cheap.

Both are computed for every compile (the key once per op), and both must keep their exact text:
the key decides which ops share an Argo template (so the template names), and the spec hash is
the ``polyflow.io/spec-hash`` label of every manifest. So they are the same JSON as before, made
by encoders built once (``json.dumps`` with any non-default argument builds a new encoder at every
call), and the key of an op without environment, build or logging settings (most ops) is
remembered by its few plain values.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from ..resolve import Node

# json.dumps(..., sort_keys=True, default=str), built once
_KEY_JSON = json.JSONEncoder(sort_keys=True, default=str).encode
# json.dumps(..., sort_keys=True) without the cycle check: a model dump is a tree, and the check
# (an id() per container into a dict) is a sixth of the time; the text is the same
_SPEC_JSON = json.JSONEncoder(sort_keys=True, check_circular=False).encode


def template_key(node: Node) -> str:
    """Ops with equal keys share one Argo template."""
    assert node.template is not None
    op = node.op
    env, build, logging = op.environment, op.build, op.logging
    retries = (op.max_retries, op.retry_delay, op.retry_exp_backoff, op.max_retry_delay)
    lock = node.name if op.concurrency else None
    if env is None and build is None and logging is None:
        return _plain_key(node.template.key, *retries, op.concurrency, lock)
    return _KEY_JSON(_key(
        node.template.key,
        env.model_dump(exclude_none=True) if env else None,
        build.model_dump(exclude_none=True) if build else None,
        logging.model_dump(exclude_none=True) if logging else None,
        list(retries), op.concurrency, lock,
    ))


def _key(template: str, environment: Any, build: Any, logging: Any, retries: list[Any],
         concurrency: Any, lock: str | None) -> dict[str, Any]:
    return {
        "template": template,
        "environment": environment,
        "build": build,
        "logging": logging,
        "retries": retries,
        "concurrency": concurrency,
        "lock": lock,
    }


# typed: 1, 1.0 and True are different keys (they print differently); bounded for long-lived
# processes (watch, the plugin)
@functools.lru_cache(maxsize=4096, typed=True)
def _plain_key(template: str, max_retries: Any, retry_delay: Any, retry_exp_backoff: Any,
               max_retry_delay: Any, concurrency: Any, lock: str | None) -> str:
    retries = [max_retries, retry_delay, retry_exp_backoff, max_retry_delay]
    return _KEY_JSON(_key(template, None, None, None, retries, concurrency, lock))


def spec_digest(spec: Any) -> str:
    """12 hex digits of a validated spec: sha256 of its sorted JSON (formatting and comments of
    the file do not change it)."""
    data = spec.model_dump(mode="json", exclude_none=True)
    return hashlib.sha256(_SPEC_JSON(data).encode()).hexdigest()[:12]
