"""Inputs and outputs (spec §1.5): typed IO declarations of a template."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import model_validator

from ..errors import Problem
from .base import Bool, Spec, fail
from .values import parse_value

IOType = Literal[
    "int",
    "float",
    "bool",
    "str",
    "dict",
    "dict_of_dicts",
    "list",
    "uri",
    "auth",
    "s3_path",
    "gcs_path",
    "azure_path",
    "path",
    "metric",
    "metadata",
]
IO_TYPES: tuple[str, ...] = get_args(IOType)


def _parses(io: IO) -> bool:
    """False when the default does not parse: that error (reported by resolve) comes first."""
    if io.type is None:
        return True
    try:
        parse_value(io, io.default, check_options=False, optional=True)
    except Problem:
        return False
    return True


class IO(Spec):
    """One input or output. ``default`` needs ``is_optional: true``; ``is_flag`` needs ``type: bool``."""

    name: str
    """The input's or output's name; `{{ name }}` in run.cmd reads an input."""
    description: str | None = None
    """Free text."""
    type: IOType | None = None
    """The value's type; an untyped IO takes any value."""
    default: Any = None
    """The value when no param is given (needs `is_optional: true`)."""
    is_optional: Bool | None = None
    """The input may be left out (it then takes `default`)."""
    is_list: Bool | None = None
    """The value is a list of `type`."""
    is_flag: Bool | None = None
    """A bool rendered as `--name` when true and nothing when false (needs `type: bool`)."""
    options: list[Any] | None = None
    """The only values allowed."""

    @model_validator(mode="after")
    def _rules(self) -> IO:
        # As the original: a falsy default (0, false, '', {}) is not checked.
        if self.default and not self.is_optional and _parses(self):
            fail(
                "PF230",
                f"input '{self.name}' is not optional and has a default value",
                at="default",
                hint="add `is_optional: true`, or remove `default`",
            )
        if self.is_flag and self.type != "bool":
            fail(
                "PF231",
                f"'{self.name}' is a flag, so its type must be bool (got {self.type or 'no type'})",
                at="is_flag",
                hint="set `type: bool`, or remove `is_flag`",
            )
        return self

    @property
    def optional(self) -> bool:
        return bool(self.is_optional)
