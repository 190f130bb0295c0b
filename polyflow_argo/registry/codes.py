"""PF36x, the registry of actions and events: what each code means, an input that triggers it, the fix.

Data only (the format is described in polyflow_argo/source_codes.py); rendered into docs/errors.md
by ``make docs`` and replayed by tests/test_docs.py.
"""

from __future__ import annotations

TITLE = "the registry"

CODES: dict[str, tuple[str, str, str]] = {
    "PF360": (
        "A registry entry's `version` is not a version number.",
        """\
# $ polyflow-argo registry build registry
# ==> registry/notify.yaml <==
kind: action
name: notify-slack
version: one
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
""",
        "Use a version such as `1.0.0`.",
    ),
    "PF361": (
        "A registry entry's `name` is not lower case letters, digits and `-` (at most 40 "
        "characters): it becomes part of an Argo WorkflowTemplate name.",
        """\
# $ polyflow-argo registry build registry
# ==> registry/notify.yaml <==
kind: action
name: Notify_Slack
version: 1.0.0
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
""",
        "Rename it, e.g. `notify-slack`.",
    ),
    "PF362": (
        "The same `name:version` is defined differently in two registry files (or in a registry "
        "directory and the cluster), so which one runs would depend on the order they are read.",
        """\
# $ polyflow-argo registry build registry
# ==> registry/a.yaml <==
kind: action
name: notify-slack
version: 1.0.0
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
# ==> registry/b.yaml <==
kind: action
name: notify-slack
version: 1.0.0
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'false'}}
""",
        "Bump the version of one of them (published versions are immutable), or remove the copy.",
    ),
    "PF363": (
        "A registry (`--registry DIR` or `POLYFLOW_REGISTRY`) is not a directory.",
        """\
# $ polyflow-argo registry build no-such-dir
""",
        "Pass existing directories (`POLYFLOW_REGISTRY` takes several, separated like `PATH`).",
    ),
    "PF364": (
        "Warning: a WorkflowTemplate in the cluster is labelled as a registry entry but has no "
        "stored definition, so ops cannot be checked against it.",
        "(a WorkflowTemplate pushed by an older polyflow-argo, read with `--registry cluster`)\n",
        "Publish it again with `polyflow-argo registry push`.",
    ),
    "PF365": (
        "Two versions of an entry would be published under the same WorkflowTemplate name "
        "(versions that differ only in punctuation), so one would replace the other.",
        """\
# $ polyflow-argo registry build registry
# ==> registry/a.yaml <==
kind: action
name: notify-slack
version: 1.0.0-rc.1
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
# ==> registry/b.yaml <==
kind: action
name: notify-slack
version: 1.0.0-rc-1
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
""",
        "Choose versions that differ in more than punctuation (e.g. `1.0.0-rc1` and `1.0.0-rc2`).",
    ),
}

NOT_EXAMPLE_CHECKED: dict[str, str] = {
    "PF364": "needs a WorkflowTemplate read from a cluster",
}
