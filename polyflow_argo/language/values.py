"""Typed values: parse a param or default the way the original (rhea 0.5.4) did, per IO type.

``parse_value(io, value)`` returns the parsed Python value or raises :class:`Problem` with a
message and a hint. The quirks are deliberate (spec §1.5, §2.3 rule 16): an int is accepted where
a bool is given (bool ⊂ int), an int is rejected for ``float``, ``list`` splits a
comma-separated string, ``s3_path`` does not check the scheme.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ..errors import Problem
from ..source import YamlTimestamp
from .hints import did_you_mean

if TYPE_CHECKING:  # io.py imports this module to check defaults
    from .io import IO

TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})

_AZURE = re.compile(r"^([^@]+)@([^.]+)\.blob\.core\.windows\.net")


def _bad(value: Any, type_name: str, hint: str | None = None) -> Problem:
    return Problem(f"cannot convert {value!r} to {type_name}", hint)


def _int(value: Any) -> int:
    if isinstance(value, int):  # bool is an int, as in the original
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise _bad(value, "int", "write a whole number, e.g. 3") from None
    raise _bad(value, "int", "write a whole number, e.g. 3")


def _float(value: Any) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise _bad(value, "float", "write a decimal number, e.g. 0.5") from None
    if isinstance(value, int) and not isinstance(value, bool):
        raise Problem(
            f"cannot convert {value!r} to float: Polyflow 0.5 rejects an integer for a float input",
            f"write {value}.0 or '{value}'",
        )
    raise _bad(value, "float", "write a decimal number, e.g. 0.5")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise _bad(value, "bool", "write true or false")


def _str(value: Any) -> str:
    if isinstance(value, YamlTimestamp):
        raise _bad(value, "str", f"YAML reads an unquoted date as a date: quote it, '{value}'")
    if isinstance(value, str):
        return value
    raise _bad(value, "str", f"quote it: '{value}'")


def _dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad(value, "dict", "write a mapping, or a JSON object string") from None
    if isinstance(value, dict):
        return value
    raise _bad(value, "dict", "write a mapping, or a JSON object string")


def _dict_of_dicts(value: Any) -> dict[str, Any]:
    out = _dict(value)
    for key, sub in out.items():
        if not isinstance(sub, dict):
            raise Problem(
                f"cannot convert {value!r} to dict_of_dicts: the value of {key!r} is not a mapping"
            )
    return out


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    raise _bad(value, "list", "write a list, or a comma-separated string")


def _uri(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        parts = value.split("@")
        creds = parts[0].split(":")
        if len(parts) == 2 and len(creds) == 2:
            return {"user": creds[0], "password": creds[1], "host": parts[1]}
    raise _bad(value, "uri", "write 'user:password@host'")


def _auth(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        creds = value.split(":")
        if len(creds) == 2:
            return {"user": creds[0], "password": creds[1]}
    raise _bad(value, "auth", "write 'user:password'")


def _s3(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        parsed = urlparse(value)
        if parsed.netloc:
            return {"bucket": parsed.netloc, "key": parsed.path.lstrip("/")}
    raise _bad(value, "s3_path", "write 's3://bucket/key'")


def _gcs(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        parsed = urlparse(value)
        if parsed.scheme == "gs" and parsed.netloc:
            return {"bucket": parsed.netloc, "blob": parsed.path.lstrip("/")}
    raise _bad(value, "gcs_path", "write 'gs://bucket/path'")


def _azure(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        parsed = urlparse(value)
        match = _AZURE.match(parsed.netloc) if parsed.scheme == "wasbs" else None
        if match:
            return {
                "container": match.group(1),
                "storage_account": match.group(2),
                "path": parsed.path.lstrip("/"),
            }
    raise _bad(value, "azure_path", "write 'wasbs://container@account.blob.core.windows.net/path'")


_PARSERS: dict[str | None, Callable[[Any], Any]] = {
    None: lambda v: v,
    "int": _int,
    "float": _float,
    "metric": _float,
    "bool": _bool,
    "str": _str,
    "path": _str,
    "dict": _dict,
    "metadata": _dict,
    "dict_of_dicts": _dict_of_dicts,
    "list": _list,
    "uri": _uri,
    "auth": _auth,
    "s3_path": _s3,
    "gcs_path": _gcs,
    "azure_path": _azure,
}


def parse_value(io: IO, value: Any, check_options: bool = True, optional: bool | None = None) -> Any:
    """Parse ``value`` for ``io`` (type, is_list, options). ``None`` is accepted for optional IOs.

    ``options`` are compared with the raw value, before parsing, and only for typed IOs (as rhea did:
    the string '1' does not match ``options: [1]``).
    """
    if value is None:
        if io.optional if optional is None else optional:
            return None
        raise Problem(f"'{io.name}' is required and cannot be null", "give a value")
    if check_options and io.options is not None and io.type is not None and value not in io.options:
        raise Problem(
            f"{value!r} is not one of the options of '{io.name}': " + ", ".join(repr(o) for o in io.options),
            _option_hint(value, io.options),
        )
    parse = _PARSERS[io.type]
    if io.is_list and io.type not in ("list", "dict_of_dicts"):
        items = value
        if isinstance(items, str):
            try:
                items = json.loads(items)
            except ValueError:
                items = None
        if not isinstance(items, list):
            raise Problem(
                f"'{io.name}' is a list of {io.type or 'values'}, got {value!r}", "write a list, e.g. [1, 2]"
            )
        return [parse(item) for item in items]
    return parse(value)


def _option_hint(value: Any, options: list[Any]) -> str | None:
    if isinstance(value, str) and value in [str(o) for o in options]:
        return "options are compared before parsing: write the value unquoted, as in `options`"
    return did_you_mean(str(value), [str(o) for o in options])
