"""``{{ ops.X.outputs.Y }}`` references inside param values (spec §1.6).

Every ``{{ … }}`` in a top-level string param must be a reference: ``ops.<op>.outputs.<name>``,
or ``jobs.<id>.outputs.<name>`` / ``experiments.<id>.outputs.<name>`` with an integer id (those
point at runs outside the pipeline and add no edge). Unlike the original, which kept only the first
reference of a string and silently dropped the text around it, every reference counts and the
text around it is kept (the value is interpolated); a warning says so.
"""

from __future__ import annotations

import re

from ..errors import Problem
from .model import Ref

MOUSTACHE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
ENTITIES = ("ops", "jobs", "experiments")


def parse_refs(text: str) -> tuple[Ref, ...]:
    """All references in ``text`` in order; raises :class:`Problem` for a malformed one."""
    if "{{" not in text and "}}" not in text:
        return ()
    refs = []
    for match in MOUSTACHE.finditer(text):
        refs.append(_parse_one(match.group(1), match.start(), match.end()))
    rest = MOUSTACHE.sub("", text)
    if "{{" in rest:
        raise Problem(
            "unclosed '{{' in a param value (Argo has no escape for a literal '{{')",
            "close it as `{{ ops.<op>.outputs.<name> }}`, or remove the braces",
        )
    return tuple(refs)


def _parse_one(inner: str, start: int, end: int) -> Ref:
    parts = inner.split(".")
    example = "{{ ops.<op>.outputs.<name> }}"
    if parts[0] not in ENTITIES or len(parts) not in (3, 4):
        raise Problem(
            f"could not parse '{{{{ {inner} }}}}': a param can only reference an output, as {example}",
            "Argo has no escape for a literal '{{': pass such text through a file or another input",
        )
    entity, target, section = parts[0], parts[1], parts[2]
    if section != "outputs":
        raise Problem(
            f"could not parse '{{{{ {inner} }}}}': only outputs can be referenced",
            f"use the form {entity}.{target}.outputs.<name>",
        )
    if len(parts) == 3 and entity == "ops":
        raise Problem(f"'{{{{ {inner} }}}}' names no output", f"use {entity}.{target}.outputs.<name>")
    if entity != "ops" and not target.lstrip("-").isdigit():
        raise Problem(
            f"'{{{{ {inner} }}}}': {entity} references take a numeric run id",
            f"e.g. {{{{ {entity}.42.outputs.{parts[3]} }}}}",
        )
    output = parts[3] if len(parts) == 4 else ""
    if entity == "ops" and (not target or not output):
        raise Problem(f"could not parse '{{{{ {inner} }}}}'", f"use {example}")
    return Ref(entity, target, output, inner, start, end)
