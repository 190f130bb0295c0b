"""Argo versions as a feature table: code asks ``target.has(Feature.X)``, never compares versions.

:data:`SUPPORT` names, for each thing we emit that not every release accepts, the exact release
that added it and the one that removed it, as read in Argo's source (docs/templates.md, "Argo
versions", says which source and which cluster checked each row). A target is a release series
(``3.5``, ``3.6``, ``3.7``, ``4``: the ``--argo-version`` choices) or an exact release
(``3.7.12``); a series stands for its first release, and since every boundary in the table is the
first release of a series (asserted below), a whole series emits the same. Behaviour that changed
within a series and would matter to what we emit is designed out instead: a consumer reads an
upstream output through an expression that gives ``""`` when the producer has none
(:func:`.params.reference_tag`), so it does not depend on how a release fills in the outputs of a
Skipped, Omitted or failed producer (3.5–3.7.12: nothing, 3.7.16+: ``valueFrom.default``, v4.0: ``""``).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass


class Feature(enum.Enum):
    CRON_SCHEDULES_LIST = "CronWorkflow `schedules` list (singular `schedule` before 3.6, removed in 4.0)"
    CRON_SCHEDULE_SINGULAR = "CronWorkflow singular `schedule`"
    CRON_WHEN = "CronWorkflow `when`"
    CRON_STOP_STRATEGY = "CronWorkflow `stopStrategy`"
    BACKOFF_CAP = "retryStrategy.backoff.cap"
    SYNC_PLURAL = "synchronization `mutexes` / `semaphores` lists"
    SYNC_SINGULAR = "synchronization singular `mutex` / `semaphore`"
    FULL_CRD_LIMITS = "full CRDs with 200 templates / 200 DAG tasks"
    UI_ANNOTATIONS_ON_TEMPLATES = "title/description annotations on WorkflowTemplates and CronWorkflows"
    TEMPLATE_DISPLAY_NAME = "`workflows.argoproj.io/display-name` in a template's `annotations`"


Version = tuple[int, int, int]
OLDEST: Version = (3, 5, 0)

# Feature → (first release that has it, first release that no longer has it or None).
SUPPORT: dict[Feature, tuple[Version, Version | None]] = {
    Feature.CRON_SCHEDULE_SINGULAR: (OLDEST, (4, 0, 0)),
    Feature.SYNC_SINGULAR: (OLDEST, (4, 0, 0)),
    Feature.CRON_SCHEDULES_LIST: ((3, 6, 0), None),
    Feature.CRON_WHEN: ((3, 6, 0), None),
    Feature.CRON_STOP_STRATEGY: ((3, 6, 0), None),
    Feature.SYNC_PLURAL: ((3, 6, 0), None),
    Feature.BACKOFF_CAP: ((3, 7, 0), None),
    Feature.UI_ANNOTATIONS_ON_TEMPLATES: ((3, 7, 0), None),
    Feature.TEMPLATE_DISPLAY_NAME: ((3, 7, 0), None),
    Feature.FULL_CRD_LIMITS: ((4, 0, 0), None),
}
assert set(SUPPORT) == set(Feature)

# The release series a target can name (the CLI's --argo-version choices) → its first release.
SERIES: dict[str, Version] = {"3.5": (3, 5, 0), "3.6": (3, 6, 0), "3.7": (3, 7, 0), "4": (4, 0, 0)}
assert all(
    bound in SERIES.values() for since, until in SUPPORT.values() for bound in (since, until) if bound
), "a boundary inside a series: the series choice would not say what to emit"
VERSIONS = tuple(SERIES)
DEFAULT_VERSION = "4"
_EXACT = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def parse_version(version: str) -> Version:
    """A series name (``3.7``, ``4``) → its first release; an exact release from 3.5.0 to 4.x
    (``3.7.12``, ``v4.0.5``) → itself."""
    if version in SERIES:
        return SERIES[version]
    m = _EXACT.fullmatch(version)
    exact = (int(m[1]), int(m[2]), int(m[3])) if m else None
    if exact is None or not OLDEST <= exact < (5, 0, 0):
        raise ValueError(
            f"unknown Argo version {version!r}; choose one of {', '.join(VERSIONS)} "
            "(or an exact release of one of them, e.g. 3.7.12)"
        )
    return exact


@functools.cache
def features(version: str) -> frozenset[Feature]:
    """What a target accepts among the things we emit."""
    v = parse_version(version)
    return frozenset(f for f, (since, until) in SUPPORT.items() if since <= v < (until or (99, 0, 0)))


FEATURES: dict[str, frozenset[Feature]] = {name: features(name) for name in VERSIONS}


@dataclass(frozen=True)
class ArgoTarget:
    version: str = DEFAULT_VERSION

    def __post_init__(self) -> None:
        parse_version(self.version)  # raises ValueError for an unknown version

    def has(self, feature: Feature) -> bool:
        return feature in features(self.version)
