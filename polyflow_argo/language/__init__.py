"""FRONT END: pydantic models that mirror the Polyflow 2019 YAML one to one."""

from .environment import ExperimentEnvironment, PodEnvironment, Resources
from .hptuning import HPTuning, MatrixEntry
from .io import IO, IO_TYPES
from .logging import Logging
from .op import Condition, Op, OutputsCondition, StatusCondition, TemplateRef
from .pipeline import CronSchedule, IntervalSchedule, Pipeline, Schedule
from .template import (
    Build,
    BuildTemplate,
    ExperimentTemplate,
    GroupTemplate,
    JobTemplate,
    NotebookTemplate,
    Run,
    Template,
    TensorboardTemplate,
)

__all__ = [
    "Build",
    "BuildTemplate",
    "Condition",
    "CronSchedule",
    "ExperimentEnvironment",
    "ExperimentTemplate",
    "GroupTemplate",
    "HPTuning",
    "IO",
    "IO_TYPES",
    "IntervalSchedule",
    "JobTemplate",
    "Logging",
    "MatrixEntry",
    "NotebookTemplate",
    "Op",
    "OutputsCondition",
    "Pipeline",
    "PodEnvironment",
    "Resources",
    "Run",
    "Schedule",
    "StatusCondition",
    "Template",
    "TemplateRef",
    "TensorboardTemplate",
]
