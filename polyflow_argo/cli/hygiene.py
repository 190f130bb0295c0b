"""Run-hygiene flags (``--active-deadline-seconds``, ``--ttl-after-*``, ``--pod-gc``,
``--pod-gc-delete-delay``), shared by ``compile``, ``submit``, ``apply`` and ``backfill``: they lay
over ``active_deadline_seconds``, ``ttl`` and ``pod_gc`` of the project config (docs/cluster.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

# the CompileOptions fields these flags set (language/project.py HYGIENE_FLAGS, checked by tests/cli)
FIELDS = ("active_deadline_seconds", "ttl_after_completion", "ttl_after_success", "ttl_after_failure",
          "pod_gc", "pod_gc_delete_delay")
POD_GC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")


def _seconds(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number of seconds, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high} seconds, got {value}")
        return value

    return parse


def _duration(text: str) -> str:
    from pydantic_core import PydanticCustomError

    from ..language.project import check_duration

    try:
        return check_duration(text)
    except PydanticCustomError:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 30s, 5m or 1h30m, got {text!r}"
        ) from None


def add_hygiene_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "run hygiene (over polyflow.yaml's active_deadline_seconds, ttl and pod_gc; docs/cluster.md)"
    )
    g.add_argument("--active-deadline-seconds", type=_seconds(1, 2**63 - 1), metavar="S",
                   help="stop a run (it fails) S seconds after it started (spec.activeDeadlineSeconds)")
    ttl = _seconds(0, 2**31 - 1)
    g.add_argument("--ttl-after-completion", type=ttl, metavar="S",
                   help="delete a run S seconds after it finished, whatever its result (spec.ttlStrategy)")
    g.add_argument("--ttl-after-success", type=ttl, metavar="S",
                   help="delete a run S seconds after it succeeded")
    g.add_argument("--ttl-after-failure", type=ttl, metavar="S",
                   help="delete a run S seconds after it failed or errored")
    g.add_argument("--pod-gc", choices=POD_GC_STRATEGIES, metavar="STRATEGY",
                   help="when to delete a run's pods (spec.podGC.strategy): " + ", ".join(POD_GC_STRATEGIES))
    g.add_argument("--pod-gc-delete-delay", type=_duration, metavar="DURATION",
                   help="wait this long before deleting a pod, e.g. 30s or 5m "
                   "(spec.podGC.deleteDelayDuration)")


def hygiene_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``CompileOptions`` fields of these flags (none when the command has no such flags)."""
    return {name: getattr(args, name, None) for name in FIELDS}
