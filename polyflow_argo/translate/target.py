"""Argo versions as a feature table: code asks ``target.has(Feature.X)``, never compares versions.

Sources: ../shared/spec/peers.md TL;DR table (schema diffs of v3.5.14, v3.6.10, v3.7.0, v4.0.0) and
../shared/spec/argo-semantics.md §6.
"""

from __future__ import annotations

import enum
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
    SKIPPED_OUTPUT_DEFAULTS = "defaults for outputs of Skipped/Omitted producers"
    UI_ANNOTATIONS_ON_TEMPLATES = "title/description annotations on WorkflowTemplates and CronWorkflows"
    TEMPLATE_DISPLAY_NAME = "`workflows.argoproj.io/display-name` in a template's `annotations`"


_ALL = set(Feature)
FEATURES: dict[str, frozenset[Feature]] = {
    "3.5": frozenset({Feature.CRON_SCHEDULE_SINGULAR, Feature.SYNC_SINGULAR}),
    "3.6": frozenset(
        {
            Feature.CRON_SCHEDULES_LIST,
            Feature.CRON_SCHEDULE_SINGULAR,
            Feature.CRON_WHEN,
            Feature.CRON_STOP_STRATEGY,
            Feature.SYNC_PLURAL,
            Feature.SYNC_SINGULAR,
        }
    ),
    "3.7": frozenset(
        {
            Feature.CRON_SCHEDULES_LIST,
            Feature.CRON_SCHEDULE_SINGULAR,
            Feature.CRON_WHEN,
            Feature.CRON_STOP_STRATEGY,
            Feature.BACKOFF_CAP,
            Feature.SYNC_PLURAL,
            Feature.SYNC_SINGULAR,
            Feature.UI_ANNOTATIONS_ON_TEMPLATES,
            Feature.TEMPLATE_DISPLAY_NAME,
        }
    ),
    "4": frozenset(_ALL - {Feature.CRON_SCHEDULE_SINGULAR, Feature.SYNC_SINGULAR}),
}
VERSIONS = tuple(FEATURES)
DEFAULT_VERSION = "4"


@dataclass(frozen=True)
class ArgoTarget:
    version: str = DEFAULT_VERSION

    def __post_init__(self) -> None:
        if self.version not in FEATURES:
            raise ValueError(f"unknown Argo version {self.version!r}; choose one of {', '.join(VERSIONS)}")

    def has(self, feature: Feature) -> bool:
        return feature in FEATURES[self.version]
