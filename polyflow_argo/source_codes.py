"""PF1xx (reading input) and PF5xx (writing output): what each code means, an input that triggers it, the fix.

Data only, imported by nothing in the package: ``make docs`` (scripts/errors_doc.py) renders every
catalog into docs/errors.md, and tests/test_docs.py checks that each code raised in the source has
an entry and that each example really produces its code.

An entry is ``code: (meaning, example, fix)``. An example is the text of ``pipeline.yaml``; a first
line ``# $ [VAR=value ...] polyflow-argo ...`` gives the command that shows the code (default:
``polyflow-argo lint pipeline.yaml``), and ``# ==> NAME <==`` lines start further files.
``NOT_EXAMPLE_CHECKED`` lists the codes whose example cannot be replayed from text, and why.
"""

from __future__ import annotations

TITLE = "reading and writing files"

CODES: dict[str, tuple[str, str, str]] = {
    "PF100": (
        "The file is not valid YAML (or JSON): the parser stopped at this position.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}
templates: [{kind: job, name: t}]
""",
        "Fix the syntax at the position shown: close brackets and quotes, indent with spaces (not "
        "tabs), and quote values that contain `: `, `@` or a backquote.",
    ),
    "PF101": (
        "Warning: a mapping defines the same key twice; the later value wins, as YAML loaders do, "
        "but it is almost always a mistake.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, name: b}]
templates: [{kind: job, name: t}]
""",
        "Remove one of the two keys (the hint names the line of the first).",
    ),
    "PF102": (
        "A mapping key is not a string (a number, a boolean, null or a list): Polyflow keys are names.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {1: x}}]
templates: [{kind: job, name: t, inputs: [{name: '1'}]}]
""",
        "Quote the key (`'1': x`), or rename it.",
    ),
    "PF103": (
        "A YAML alias refers to the node that contains it, so the value would be infinite.",
        """\
version: 1
kind: pipeline
tags: &tags [a, *tags]
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Expand the alias by hand: an alias may only repeat a node defined before and outside it.",
    ),
    "PF104": (
        "The file is empty (or holds only comments).",
        "# nothing but a comment\n",
        "Write the pipeline, starting with `version: 1` and `kind: pipeline`.",
    ),
    "PF105": (
        "The file holds more than one YAML document (`---`); a pipeline file is one document.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
---
version: 1
""",
        "Remove the extra document, or put it in its own file (several files given to `compile` are "
        "deep-merged in order).",
    ),
    "PF106": (
        "A file named on the command line cannot be read: it does not exist, is a directory, or "
        "cannot be opened.",
        """\
# $ polyflow-argo lint missing.yaml
version: 1
""",
        "Check the path (it is relative to the current directory) and the file's permissions.",
    ),
    "PF107": (
        "The file is not UTF-8 text (for example a UTF-16 export or a binary file).",
        "(a pipeline saved as UTF-16 or Latin-1 with non-ASCII characters)\n",
        "Save the file as UTF-8.",
    ),
    "PF108": (
        "An input is larger than the limit on one file or text (4 MiB by default, far above any "
        "real pipeline), or `POLYFLOW_MAX_INPUT_BYTES` is not a positive number.",
        """\
# $ POLYFLOW_MAX_INPUT_BYTES=64 polyflow-argo lint pipeline.yaml
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Check that the file is the pipeline you meant; to accept larger inputs, set "
        "`POLYFLOW_MAX_INPUT_BYTES` to a number of bytes.",
    ),
    "PF109": (
        "Aliases and merge keys expand the file to more than a million values (a \"billion "
        "laughs\" document): reading it would exhaust memory.",
        """\
version: 1
kind: pipeline
x1: &x1 [a, a, a, a, a, a, a, a, a, a]
x2: &x2 [*x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1]
x3: &x3 [*x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2]
x4: &x4 [*x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3]
x5: &x5 [*x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4]
x6: &x6 [*x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5]
x7: [*x6, *x6, *x6, *x6, *x6, *x6, *x6, *x6, *x6, *x6]
""",
        "Write the values out, or use fewer levels of aliases.",
    ),
    "PF110": (
        "Mappings and lists are nested more than 100 levels deep (directly or through merge keys).",
        "version: 1\nkind: pipeline\ntags: " + "[" * 101 + "]" * 101 + "\n",
        "Flatten the value; pass deep data as a JSON string.",
    ),
    "PF111": (
        "A number cannot be carried exactly: an integer that does not fit in 64 bits, infinity or "
        "NaN, or a malformed number.",
        """\
version: 1
kind: pipeline
concurrency: 99999999999999999999
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Write a number in range, or quote the value if it is text.",
    ),
    "PF112": (
        "A YAML tag other than the standard ones (`!!set`, `!!binary`, `!custom`, ...): a pipeline "
        "holds plain strings, numbers, booleans, lists and mappings.",
        """\
version: 1
kind: pipeline
tags: !!set {a, b}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Remove the tag (`tags: [a, b]`).",
    ),
    "PF113": (
        "A mapping passed to the Python API (`polyflow_argo.load(dict)`, `compile(dict)`) is not "
        "plain data: a key that is not a string, a value that is not JSON-like, NaN, or a cycle.",
        "(`polyflow_argo.compile({'version': 1, 'kind': 'pipeline', 'ops': [object()]})`)\n",
        "Pass what `yaml.safe_load` returns: str keys and str, int, float, bool, None, list or dict "
        "values.",
    ),
    "PF114": (
        "`polyflow.lock` is malformed: not a mapping `urls: {URL: sha256:...}`, or a pin that is "
        "not a sha256 hash.",
        """\
# $ polyflow-argo lint --resolve pipeline.yaml
# ==> polyflow.yaml <==
version: 1
# ==> polyflow.lock <==
urls: {'https://example.com/train.yaml': latest}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {url: 'https://example.com/train.yaml'}}]
""",
        "Let `polyflow-argo lock FILE` write it (delete it and run the command again).",
    ),
    "PF500": (
        "An output file or directory cannot be written (`--out`, `schema --out`, `lock`, "
        "`registry build`): a missing parent, no permission, or a full disk. Nothing is half "
        "written: files are replaced atomically.",
        """\
# $ polyflow-argo compile pipeline.yaml --out pipeline.yaml/out
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Write to a directory you can create and write, with space left.",
    ),
    "PF501": (
        "`compile` of several files (each its own pipeline): two of them compile to the same object "
        "(kind, namespace and name; under `--out`, the same file), so one would silently replace the "
        "other. Nothing is written.",
        """\
# $ polyflow-argo compile a.yaml b.yaml
# ==> a.yaml <==
version: 1
kind: pipeline
name: nightly
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
# ==> b.yaml <==
version: 1
kind: pipeline
name: nightly
ops: [{name: b, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Give the pipelines different `name:`s, or compile them with `--merge` if they are parts of "
        "one pipeline; `--name` with several files gives them all that name.",
    ),
}

NOT_EXAMPLE_CHECKED: dict[str, str] = {
    "PF107": "needs a file that is not UTF-8, which the catalog (text) cannot hold",
    "PF113": "raised only through the Python API",
}
