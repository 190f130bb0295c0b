"""Inputs and outputs (spec §1.5): typed IO declarations of a template."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import model_validator

from .base import Bool, Spec, fail
from .values import ValueProblem, parse_value

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
    except ValueProblem:
        return False
    return True


class IO(Spec):
    """One input or output. ``default`` needs ``is_optional: true``; ``is_flag`` needs ``type: bool``."""

    name: str
    description: str | None = None
    type: IOType | None = None
    default: Any = None
    is_optional: Bool | None = None
    is_list: Bool | None = None
    is_flag: Bool | None = None
    options: list[Any] | None = None

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
