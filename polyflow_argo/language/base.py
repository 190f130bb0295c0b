"""Shared pieces of the spec models: the strict base class, names, and located errors.

Validators raise :func:`fail`, a pydantic error that carries our code, an optional sub-path
(``at``) below the object being validated, and a hint. ``spec.load`` turns it into a
:class:`~polyflow_argo.errors.Diagnostic` at the exact YAML position.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, NoReturn

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..source import INT64

NAME_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")


class Spec(BaseModel):
    """Base of every spec model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False, defer_build=True)

    def given(self, field: str) -> bool:
        """Whether the YAML set ``field`` (explicitly, even to its default)."""
        return field in self.model_fields_set


def fail(
    code: str, message: str, *, at: str | int | tuple[Any, ...] | None = None, hint: str | None = None
) -> NoReturn:
    """Raise a located validation error from inside a validator."""
    if at is not None and not isinstance(at, tuple):
        at = (at,)
    raise PydanticCustomError(
        "polyflow", "{message}", {"message": message, "code": code, "at": at, "hint": hint}
    )


def slugify(value: str) -> str:
    slug = re.sub(r"[^-a-zA-Z0-9_]+", "-", value).strip("-")
    return slug or "my-name"


def _check_name(value: str) -> str:
    if not NAME_RE.match(value):
        fail(
            "PF210",
            f"invalid name {value!r}: only letters, digits, '-' and '_' are allowed",
            hint=f"use {slugify(value)!r}",
        )
    return value


Name = Annotated[str, AfterValidator(_check_name), Field(pattern=r"^[-a-zA-Z0-9_]+$")]
"""A Polyflow name: ``^[-a-zA-Z0-9_]+\\Z`` (pipeline, op, template names)."""


def _enum_case_insensitive(allowed: tuple[str, ...]) -> Any:
    """Accept ``value``, ``VALUE`` and ``Value`` spellings, as the original hptuning enums did."""

    def coerce(value: Any) -> Any:
        if isinstance(value, str):
            for option in allowed:
                if value in (option, option.upper(), option.capitalize()):
                    return option
        return value

    return BeforeValidator(coerce)


def loose_enum(*allowed: str) -> Any:
    from typing import Literal

    return Annotated[Literal[allowed], _enum_case_insensitive(allowed)]


Tags = list[str]


def _int(value: Any) -> Any:
    # marshmallow's Int (the original): '3', ' 3 ' and 3.0 are accepted; true/false are not.
    if isinstance(value, bool):
        fail("PF209", f"expected an integer, got {value!r}", hint="write a whole number, e.g. 3")
    if isinstance(value, float):
        if not value.is_integer():
            fail(
                "PF209",
                f"expected an integer, got {value!r}",
                hint=f"write {int(value)} (Polyflow 0.5 silently truncated fractions)",
            )
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and len(text.lstrip("+-").lstrip("0")) > _INT64_DIGITS:
            value = INT64[1] + 1  # no 64-bit integer (and int() of thousands of digits is refused)
        else:
            try:
                value = int(text)
            except ValueError:
                fail("PF209", f"expected an integer, got {_shown(value)}", hint=_int_hint(value))
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        fail("PF209", "the integer does not fit in 64 bits",
             hint=f"use a whole number between {INT64[0]} and {INT64[1]}")
    return value


_INT64_DIGITS = 19  # the digits of 2**63


def _shown(value: str, limit: int = 60) -> str:
    """``value`` as a message quotes it: its repr, cut after ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...' ({len(value)} characters)"


_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def _int_hint(value: str) -> str:
    """How to write ``value`` as an integer; a duration with a unit (``1m``, ``30s``, ``2h``) is
    converted, as Polyflow's durations (retry_delay, frequency, timeout, ...) are whole seconds."""
    number, unit = value.strip().rstrip(_LETTERS), value.strip().lstrip("0123456789")
    if number.isdigit() and len(number) <= _INT64_DIGITS and unit.lower() in _UNITS:
        seconds = int(number) * _UNITS[unit.lower()]
        return f"durations are whole seconds: write {seconds}, without quotes or units"
    return "write a whole number, without quotes or units"


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


Int = Annotated[int, BeforeValidator(_int)]

_TRUE = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1"}
_FALSE = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0"}


def _bool(value: Any) -> Any:
    # marshmallow's Boolean (the original): these exact spellings, and 1/0.
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and (value in _TRUE or value in _FALSE):
        return value in _TRUE
    raise PydanticCustomError("bool_parsing", "Input should be a valid boolean")


Bool = Annotated[bool, BeforeValidator(_bool)]


def _float(value: Any) -> Any:
    # marshmallow's Float: numbers and numeric strings; no booleans, nan or infinity.
    if isinstance(value, bool):
        fail("PF209", f"expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            fail("PF209", f"expected a number, got {value!r}")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        fail("PF209", "nan and infinity are not allowed here")
    return value


Float = Annotated[float, BeforeValidator(_float)]
"""An integer field as the original read it (numeric strings allowed, booleans rejected)."""
