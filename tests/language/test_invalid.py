"""Table-driven tests: one invalid Polyflow 2019 snippet per validation rule and quirk.

Spec: /work/shared/spec/polyflow-2019.md, sections 1.x and 2.1-2.4.

Each row is ``(id, yaml, code, "line:col", message fragment[, hint fragment])``. The test lints the
snippet with :func:`polyflow_argo.lint` and asserts that a diagnostic with that code is reported at
exactly that 1-based line:column of ``<string>``, that its message contains the fragment and, for
rows that give one, that its hint contains the hint fragment (the "did you mean").

Rows that found a bug (since fixed) keep its description in ``fixed_bug``; each row's
expectation is the right behaviour, checked against the original validator where it applies.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo import Diagnostic

WORKED = Path(__file__).resolve().parents[1] / "fixtures" / "worked"


def y(text: str) -> str:
    """Dedent a snippet and drop the first newline, so line 1 is the first YAML line."""
    return textwrap.dedent(text).lstrip("\n")


def case(
    id: str,
    text: str,
    code: str,
    pos: str,
    message: str,
    hint: str | None = None,
    fixed_bug: str | None = None,
    severity: str = "error",
) -> Any:
    # `fixed_bug` records a bug this row found (since fixed); the row now guards against it.
    marks: list[Any] = []
    text = y(text) if text.strip() else text
    return pytest.param(text, code, pos, message, hint, severity, id=id, marks=marks)


ROWS = [
    # ------------------------------------------------------------------ header (1.0, 1.1, 2.1 rule 1)
    case("version-missing", """
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF205", "1:1", "missing required field `version`", "version: 1"),
    case("version-2", """
        version: 2
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF201", "1:10", "version 2 is not supported"),
    case("version-1.1", """
        version: 1.1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF201", "1:10", "version 1.1 is not supported"),
    case("kind-missing", """
        version: 1
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF205", "1:1", "missing required field `kind`", "kind: pipeline"),
    case("kind-job-file", """
        version: 1
        kind: job
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF202", "2:7", "this is a `job` polyaxonfile, not a pipeline"),
    case("kind-typo", """
        version: 1
        kind: pipline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF202", "2:7", "`kind` must be `pipeline`"),
    case("top-level-params", """
        version: 1
        kind: pipeline
        params: {lr: 0.1}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:1", "unknown field `params` at the top level"),
    case("top-level-timeout", """
        version: 1
        kind: pipeline
        timeout: 600
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:1", "unknown field `timeout`"),
    case("top-level-execute_at", """
        version: 1
        kind: pipeline
        execute_at: '2019-07-01T00:00:00+00:00'
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:1", "unknown field `execute_at`"),
    case("top-level-environment", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        environment: {max_restarts: 1}
        """, "PF206", "5:1", "unknown field `environment`"),
    case("top-level-template-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        template: [{kind: job, name: t}]
        """, "PF206", "4:1", "unknown field `template`", "did you mean 'templates'?"),
    # ------------------------------------------------------------------ names (2.1 rule 2)
    case("pipeline-name-space", """
        version: 1
        kind: pipeline
        name: my pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF210", "3:7", "invalid name 'my pipeline'", "my-pipeline"),
    case("pipeline-name-dot", """
        version: 1
        kind: pipeline
        name: my.pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF210", "3:7", "invalid name 'my.pipeline'"),
    case("op-name-slash", """
        version: 1
        kind: pipeline
        ops: [{name: a/b, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF210", "3:14", "invalid name 'a/b'"),
    case("template-name-space", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: my template}]
        """, "PF210", "4:31", "invalid name 'my template'"),
    case("description-quirk", """
        version: 1
        kind: pipeline
        description: my nice pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF211", "3:14", "description 'my nice pipeline'", "my-nice-pipeline"),
    # ------------------------------------------------------------------ uniqueness, emptiness (rules 3, 4)
    case("duplicate-op", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: a, template: {name: t}}
        templates: [{kind: job, name: t}]
        """, "PF303", "5:12", "multiple ops with the same name 'a'"),
    case("duplicate-template", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - {kind: job, name: t}
          - {kind: experiment, name: t}
        """, "PF304", "6:30", "multiple templates with the same name 't'"),
    case("no-ops-empty", """
        version: 1
        kind: pipeline
        ops: []
        templates: [{kind: job, name: t}]
        """, "PF302", "3:6", "the pipeline has no ops"),
    case("no-ops-missing", """
        version: 1
        kind: pipeline
        templates: [{kind: job, name: t}]
        """, "PF302", "1:1", "the pipeline has no ops"),
    case("no-templates", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        """, "PF301", "1:1", "the pipeline has no templates"),
    case("no-templates-empty", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: []
        """, "PF301", "4:12", "the pipeline has no templates"),
    # ------------------------------------------------------------------ template refs (1.3, rules 5, 6)
    case("template-ref-two-keys", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t, path: ./t.yml}}]
        templates: [{kind: job, name: t}]
        """, "PF220", "3:27", "one and only one of: name, path, url, action, event (got name and path)"),
    case("template-ref-empty", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {}}]
        templates: [{kind: job, name: t}]
        """, "PF220", "3:27", "one and only one of"),
    case("template-ref-hub", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {hub: my-component}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:28", "unknown field `hub`"),
    case("template-ref-unknown-name", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: trainr}}]
        templates: [{kind: job, name: trainer}]
        """, "PF320", "3:34", "requires a template named 'trainr'", "did you mean 'trainer'?"),
    # ------------------------------------------------------------------ template kinds (1.4, rule 6)
    case("template-kind-service", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: service, name: t}]
        """, "PF207", "4:20", "unknown kind 'service'"),
    case("template-kind-pipeline", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: pipeline, name: t}]
        """, "PF207", "4:20", "unknown kind 'pipeline'"),
    case("template-kind-dag", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: dag, name: t}]
        """, "PF207", "4:20", "unknown kind 'dag'"),
    case("template-kind-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: jbo, name: t}]
        """, "PF207", "4:20", "unknown kind 'jbo'", "did you mean 'job'?"),
    case("template-kind-missing", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{name: t}]
        """, "PF205", "4:13", "missing required field `kind`"),
    # ------------------------------------------------------------------ unknown keys at every level
    case("op-max_retry", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, max_retry: 3}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:38", "unknown field `max_retry` in op #1", "did you mean 'max_retries'?"),
    case("op-retries", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, retries: 3}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:38", "unknown field `retries`"),
    case("op-declarations", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, declarations: {x: 1}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:38", "unknown field `declarations`", "params",
        fixed_bug="the hint says \"did you mean 'description'?\"; `declarations` is the templates' deprecated alias "
        "of `params`, so the hint should point to `params`"),
    case("op-inputs", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, inputs: [{name: x}]}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:38", "unknown field `inputs`"),
    case("op-timeout", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, timeout: 60}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:38", "unknown field `timeout`"),
    case("template-unknown-key", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, dependencies: [x]}]
        """, "PF206", "4:34", "unknown field `dependencies` in template #1"),
    case("template-hptuning-on-job", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, hptuning: {concurrency: 2}}]
        """, "PF206", "4:34", "unknown field `hptuning`"),
    case("environment-env_vars", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {env_vars: [[A, b]]}}]
        """, "PF206", "4:48", "unknown field `env_vars`"),
    case("environment-restart_policy", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {restart_policy: Never}}]
        """, "PF206", "4:48", "unknown field `restart_policy`"),
    case("environment-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {node_selectors: {a: b}}}]
        """, "PF206", "4:48", "unknown field `node_selectors`", "did you mean 'node_selector'?"),
    case("op-environment-security_context", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, environment: {security_context: {}}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:52", "unknown field `security_context`"),
    case("schedule-max_runs", """
        version: 1
        kind: pipeline
        schedule: {kind: cron, cron: '0 0 * * *', max_runs: 3}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:43", "unknown field `max_runs` in schedule",
        fixed_bug="errors inside a `kind: cron` schedule are located on the `cron:` value (3:30) and named "
        "'schedule.cron': the union tag `cron` is also a field name, so spec/load._resolve steps into it"),
    case("io-value", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: x, type: int, value: 1}]}]
        """, "PF206", "4:64", "unknown field `value`"),
    case("io-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: x, type: int, optional: true}]}]
        """, "PF206", "4:64", "unknown field `optional`", "did you mean 'is_optional'?"),
    case("build-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, build: {imag: 'python:3.7'}}]
        """, "PF206", "4:42", "unknown field `imag`", "did you mean 'image'?"),
    case("run-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, run: {cmds: 'echo hi'}}]
        """, "PF206", "4:40", "unknown field `cmds`", "did you mean 'cmd'?"),
    case("hptuning-unknown", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: group, name: t, hptuning: {algorithm: grid}}]
        """, "PF206", "4:47", "unknown field `algorithm`"),
    case("hptuning-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: group, name: t, hptuning: {random_serach: {n_experiments: 2}}}]
        """, "PF206", "4:47", "unknown field `random_serach`", "did you mean 'random_search'?"),
    case("conditions-unknown", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: [a], conditions: {kind: status, op: a, trigger: done, when: x}}
        templates: [{kind: job, name: t}]
        """, "PF206", "5:104", "unknown field `when`"),
    case("logging-typo", """
        version: 1
        kind: pipeline
        logging: {level: INFO, format: json}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF206", "3:24", "unknown field `format`", "did you mean 'formatter'?"),
    case("resources-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {resources: {cpus: {requests: 1}}}}]
        """, "PF206", "4:60", "unknown field `cpus`", "did you mean 'cpu'?"),
    # ------------------------------------------------------------------ op fields (1.2, rule 9)
    case("trigger-docs-typo", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, trigger: all_secceded}]
        templates: [{kind: job, name: t}]
        """, "PF207", "3:47", "invalid value 'all_secceded' for `trigger`", "did you mean 'all_succeeded'?"),
    case("trigger-upper-case", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, trigger: ALL_DONE}]
        templates: [{kind: job, name: t}]
        """, "PF207", "3:47", "invalid value 'ALL_DONE' for `trigger`", "did you mean 'all_done'?"),
    case("retry_exp_backoff-int", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, max_retries: 2, retry_exp_backoff: 2}]
        templates: [{kind: job, name: t}]
        """, "PF208", "3:73", "`retry_exp_backoff` must be true or false, got 2"),
    case("max_retries-string", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, max_retries: three}]
        templates: [{kind: job, name: t}]
        """, "PF209", "3:51", "expected an integer, got 'three'"),
    case("retry_delay-units", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, max_retries: 1, retry_delay: 30s}]
        templates: [{kind: job, name: t}]
        """, "PF209", "3:67", "expected an integer, got '30s'"),
    case("pipeline-concurrency-string", """
        version: 1
        kind: pipeline
        concurrency: two
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF209", "3:14", "expected an integer, got 'two'"),
    case("dependencies-string", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: a}
        templates: [{kind: job, name: t}]
        """, "PF222", "5:50", "`dependencies` must be a list of op names", "dependencies: [a]"),
    case("params-list", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: [x, y]}]
        templates: [{kind: job, name: t, inputs: [{name: x}]}]
        """, "PF221", "3:46", "op `params` must be a mapping"),
    case("op-without-template", """
        version: 1
        kind: pipeline
        ops: [{name: a}]
        templates: [{kind: job, name: t}]
        """, "PF205", "3:7", "missing required field `template` in op #1"),
    case("op-without-name", """
        version: 1
        kind: pipeline
        ops: [{template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF205", "3:7", "missing required field `name` in op #1"),
    # ------------------------------------------------------------------ conditions (1.14)
    case("conditions-list", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: [a], conditions: [{kind: status, op: a, trigger: done}]}
        templates: [{kind: job, name: t}]
        """, "PF208", "5:67", "`conditions` must be a mapping"),
    case("conditions-kind-missing", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: [a], conditions: {op: a, trigger: done}}
        templates: [{kind: job, name: t}]
        """, "PF205", "5:67", "missing required field `kind`"),
    case("conditions-status-trigger", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: [a], conditions: {kind: status, op: a, trigger: all_done}}
        templates: [{kind: job, name: t}]
        """, "PF207", "5:98", "invalid value 'all_done' for `trigger`"),
    case("conditions-exp-isnull", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: [a], conditions: {kind: outputs, op: a, exp: isnull, params: [[x, 1]]}}
        templates: [{kind: job, name: t}]
        """, "PF207", "5:95", "invalid value 'isnull' for `exp`"),
    case("conditions-kind-bad", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, dependencies: [a], conditions: {kind: expression, op: a}}
        templates: [{kind: job, name: t}]
        """, "PF207", "5:74", "unknown kind 'expression'"),
    # ------------------------------------------------------------------ IO declarations (1.5, rule 20)
    case("io-default-not-optional", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: 2}}]
        templates: [{kind: job, name: t, inputs: [{name: x, type: int, default: 1}]}]
        """, "PF230", "4:73", "input 'x' is not optional and has a default value", "is_optional: true",
        fixed_bug="spec/io.py fires PF230 only when the default does NOT parse (`not _parses(self)`): a "
        "parsable default on a required input is silently accepted; the original rejects it"),
    case("io-flag-not-bool", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {v: x}}]
        templates: [{kind: job, name: t, inputs: [{name: v, type: str, is_flag: true}]}]
        """, "PF231", "4:73", "'v' is a flag, so its type must be bool"),
    case("io-default-bad-type", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: x, type: int, is_optional: true, default: many}]}]
        """, "PF330", "4:92", "default of 'x': cannot convert 'many' to int"),
    case("io-default-int-for-float", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float, is_optional: true, default: 1}]}]
        """, "PF330", "4:95", "rejects an integer for a float input"),
    case("io-type-unknown", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: a}}]
        templates: [{kind: job, name: t, inputs: [{name: x, type: string}]}]
        """, "PF207", "4:59", "invalid value 'string' for `type`", "did you mean 'str'?"),
    case("io-name-missing", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, outputs: [{type: int}]}]
        """, "PF205", "4:44", "missing required field `name`"),
    # ------------------------------------------------------------------ typed params (1.5, rule 16)
    case("param-int-for-float", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {lr: 1}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}]}]
        """, "PF335", "3:51", "cannot convert 1 to float", "1.0"),
    case("param-int-for-metric", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {loss: 0}}]
        templates: [{kind: job, name: t, inputs: [{name: loss, type: metric}]}]
        """, "PF335", "3:53", "cannot convert 0 to float"),
    case("param-bool-word", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {flag: maybe}}]
        templates: [{kind: job, name: t, inputs: [{name: flag, type: bool}]}]
        """, "PF335", "3:53", "cannot convert 'maybe' to bool"),
    case("param-str-given-int", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {tag: 5}}]
        templates: [{kind: job, name: t, inputs: [{name: tag, type: str}]}]
        """, "PF335", "3:52", "cannot convert 5 to str", "quote it"),
    case("param-int-non-numeric", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {n: ten}}]
        templates: [{kind: job, name: t, inputs: [{name: n, type: int}]}]
        """, "PF335", "3:50", "cannot convert 'ten' to int"),
    case("param-list-given-int", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {xs: 5}}]
        templates: [{kind: job, name: t, inputs: [{name: xs, type: list}]}]
        """, "PF335", "3:51", "cannot convert 5 to list"),
    case("param-dict-bad-json", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {cfg: 'a=1'}}]
        templates: [{kind: job, name: t, inputs: [{name: cfg, type: dict}]}]
        """, "PF335", "3:52", "cannot convert 'a=1' to dict"),
    case("param-dict-json-list", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {cfg: '[1, 2]'}}]
        templates: [{kind: job, name: t, inputs: [{name: cfg, type: dict}]}]
        """, "PF335", "3:52", "to dict"),
    case("param-dict_of_dicts", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {cfg: {a: 1}}}]
        templates: [{kind: job, name: t, inputs: [{name: cfg, type: dict_of_dicts}]}]
        """, "PF335", "3:52", "to dict_of_dicts"),
    case("param-uri", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {db: db.example.com}}]
        templates: [{kind: job, name: t, inputs: [{name: db, type: uri}]}]
        """, "PF335", "3:51", "cannot convert 'db.example.com' to uri", "user:password@host"),
    case("param-auth", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {creds: admin}}]
        templates: [{kind: job, name: t, inputs: [{name: creds, type: auth}]}]
        """, "PF335", "3:54", "cannot convert 'admin' to auth", "user:password"),
    case("param-s3-no-host", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {src: my-bucket/key}}]
        templates: [{kind: job, name: t, inputs: [{name: src, type: s3_path}]}]
        """, "PF335", "3:52", "to s3_path"),
    case("param-gcs-wrong-scheme", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {src: 's3://bucket/x'}}]
        templates: [{kind: job, name: t, inputs: [{name: src, type: gcs_path}]}]
        """, "PF335", "3:52", "to gcs_path"),
    case("param-azure", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {src: 'https://acct.blob.core.windows.net/c/p'}}]
        templates: [{kind: job, name: t, inputs: [{name: src, type: azure_path}]}]
        """, "PF335", "3:52", "to azure_path"),
    case("param-options", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {mode: slow}}]
        templates: [{kind: job, name: t, inputs: [{name: mode, type: str, options: [fast, exact]}]}]
        """, "PF335", "3:53", "'slow' is not one of the options of 'mode'"),
    case("param-is_list-scalar", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {shards: 5}}]
        templates: [{kind: job, name: t, inputs: [{name: shards, type: int, is_list: true}]}]
        """, "PF335", "3:55", "'shards' is a list of int, got 5"),
    case("param-is_list-bad-item", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {shards: [1, two]}}]
        templates: [{kind: job, name: t, inputs: [{name: shards, type: int, is_list: true}]}]
        """, "PF335", "3:55", "cannot convert 'two' to int"),
    # ------------------------------------------------------------------ references (1.6, rules 12, 17, 18)
    case("ref-unknown-op", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, params: {x: '{{ ops.c.outputs.y }}'}}
        templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], outputs: [{name: y}]}]
        """, "PF311", "5:48", "references unknown op 'c' in param 'x'"),
    case("ref-unknown-output", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, params: {x: '{{ ops.a.outputs.modle }}'}}
        templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], outputs: [{name: model}]}]
        """, "PF337", "5:48", "op 'a' has no output 'modle'", "did you mean 'model'?"),
    case("ref-type-mismatch", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, params: {x: 0.1}}
          - {name: b, template: {name: t}, params: {x: '{{ ops.a.outputs.y }}'}}
        templates: [{kind: job, name: t, inputs: [{name: x, type: float}], outputs: [{name: y, type: metric}]}]
        """, "PF338", "5:48", "input type float does not match the type metric"),
    case("ref-untyped-vs-typed", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: p}}
          - {name: b, template: {name: c}, params: {x: '{{ ops.a.outputs.y }}'}}
        templates:
          - {kind: job, name: p, outputs: [{name: y, type: float}]}
          - {kind: job, name: c, inputs: [{name: x}]}
        """, "PF338", "5:48", "input type untyped does not match the type float"),
    case("ref-inputs", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, params: {x: 1}}
          - {name: b, template: {name: t}, params: {x: '{{ ops.a.inputs.x }}'}}
        templates: [{kind: job, name: t, inputs: [{name: x}]}]
        """, "PF333", "5:48", "only outputs can be referenced"),
    case("ref-builds", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: '{{ builds.1.outputs.x }}'}}]
        templates: [{kind: job, name: t, inputs: [{name: x}]}]
        """, "PF333", "3:50", "could not parse '{{ builds.1.outputs.x }}'"),
    case("ref-bare-variable", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: '{{ foo }}'}}]
        templates: [{kind: job, name: t, inputs: [{name: x}]}]
        """, "PF333", "3:50", "could not parse '{{ foo }}'"),
    case("ref-jobs-non-numeric", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: '{{ jobs.abc.outputs.x }}'}}]
        templates: [{kind: job, name: t, inputs: [{name: x}]}]
        """, "PF333", "3:50", "jobs references take a numeric run id"),
    case("ref-three-parts", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, params: {x: 1}}
          - {name: b, template: {name: t}, params: {x: '{{ ops.a.outputs }}'}}
        templates: [{kind: job, name: t, inputs: [{name: x}], outputs: [{name: y}]}]
        """, "PF333", "5:48", "names no output"),
    case("ref-unclosed", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: '{{ ops.a.outputs.y'}}]
        templates: [{kind: job, name: t, inputs: [{name: x}], outputs: [{name: y}]}]
        """, "PF333", "3:50", "unclosed '{{'"),
    case("ref-feeds-output", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}}
          - {name: b, template: {name: t}, params: {y: '{{ ops.a.outputs.y }}'}}
        templates: [{kind: job, name: t, outputs: [{name: y}]}]
        """, "PF334", "5:48", "sets an output, so it cannot take a reference"),
    # ------------------------------------------------------------------ required / unexpected params (rules 15, 19)
    case("required-input-no-params", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}]}]
        """, "PF336", "3:14", "input 'lr' is required, no param was passed"),
    case("required-input-other-params", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {n: 1}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}, {name: n, type: int}]}]
        """, "PF336", "3:46", "input 'lr' is required"),
    case("required-input-template-params-dont-count", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}], params: {lr: 0.1}}]
        """, "PF336", "3:14", "input 'lr' is required"),
    case("unexpected-param-docs-bucket", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {bucket: 's3://b/k', input-bucket: 's3://b/k'}}]
        templates: [{kind: job, name: t, inputs: [{name: input-bucket, type: s3_path}]}]
        """, "PF331", "3:47", "received unexpected param 'bucket'", "did you mean 'input-bucket'?"),
    case("unexpected-param-no-io", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {lr: 0.1}}]
        templates: [{kind: job, name: t}]
        """, "PF331", "3:47", "received unexpected param 'lr'", "declares no inputs or outputs"),
    case("template-param-unexpected", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float, is_optional: true}], params: {l_r: 0.1}}]
        """, "PF331", "4:97", "template 't' received unexpected param 'l_r'", "did you mean 'lr'?"),
    case("template-param-bad-type", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {lr: 0.2}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}], params: {lr: 1}}]
        """, "PF332", "4:82", "param 'lr' of template 't': cannot convert 1 to float"),
    # ------------------------------------------------------------------ DAG (2.2 rules 11-13)
    case("orphan-dependency", """
        version: 1
        kind: pipeline
        ops:
          - {name: train, template: {name: t}}
          - {name: eval, template: {name: t}, dependencies: [trian]}
        templates: [{kind: job, name: t}]
        """, "PF310", "5:54", "op 'eval' depends on unknown op 'trian'", "did you mean 'train'?"),
    case("cycle-2", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, dependencies: [b]}
          - {name: b, template: {name: t}, dependencies: [a]}
        templates: [{kind: job, name: t}]
        """, "PF312", "4:50", "not acyclic: a -> b -> a"),
    case("cycle-3-path", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, dependencies: [c]}
          - {name: b, template: {name: t}, dependencies: [a]}
          - {name: c, template: {name: t}, dependencies: [b]}
        templates: [{kind: job, name: t}]
        """, "PF312", "4:50", "not acyclic: a -> b -> c -> a"),
    case("cycle-self-dependency", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, dependencies: [a]}]
        templates: [{kind: job, name: t}]
        """, "PF312", "3:52", "op 'a' depends on itself"),
    case("cycle-self-reference", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: '{{ ops.a.outputs.y }}'}}]
        templates: [{kind: job, name: t, inputs: [{name: x}], outputs: [{name: y}]}]
        """, "PF312", "3:14", "op 'a' depends on itself"),
    # ------------------------------------------------------------------ builds (1.8, rule 7)
    case("build-two-sources", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, build: {image: 'python:3.7', dockerfile: Dockerfile}}]
        """, "PF250", "4:41", "exactly one of `ref`, `image` or `dockerfile` (got `image` and `dockerfile`)"),
    case("build-no-source", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, build: {context: .}}]
        """, "PF250", "4:41", "exactly one of `ref`, `image` or `dockerfile` (got none)"),
    case("build-kind-no-source", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: build, name: t, context: .}]
        """, "PF250", "4:13", "(got none)"),
    case("build-image-space", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, build: {image: 'python 3.7'}}]
        """, "PF251", "4:49", "invalid image 'python 3.7'"),
    case("build-image-colons", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, build: {image: 'a:b:c:d'}}]
        """, "PF251", "4:49", "too many ':'"),
    case("build-image-registry-port", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, build: {image: 'registry:5000:tag'}}]
        """, "PF251", "4:49", "registry:port/name:tag"),
    case("op-build-two-sources", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, build: {ref: 3, image: 'alpine'}}]
        templates: [{kind: job, name: t}]
        """, "PF250", "3:45", "(got `ref` and `image`)"),
    # ------------------------------------------------------------------ backends / framework (1.4, rule 8)
    case("experiment-backend-external", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: experiment, name: t, backend: external}]
        """, "PF207", "4:50", "invalid value 'external' for `backend`"),
    case("build-backend-docker", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: build, name: t, image: alpine, backend: docker}]
        """, "PF207", "4:60", "invalid value 'docker' for `backend`"),
    case("notebook-backend-jupyter", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: notebook, name: t, backend: jupyter}]
        """, "PF207", "4:48", "invalid value 'jupyter' for `backend`", "notebook, lab"),
    case("replicas-without-framework", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: experiment, name: t, environment: {replicas: {n_workers: 2}}}]
        """, "PF253", "4:13", "needs `framework`"),
    case("replicas-framework-mpi", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: group, name: t, framework: mpi, environment: {replicas: {n_workers: 2}}}]
        """, "PF253", "4:47", "(got 'mpi')"),
    # ------------------------------------------------------------------ environment (1.7, 2.4)
    case("experiment-env-labels", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: experiment, name: t, environment: {labels: {team: ml}}}]
        """, "PF240", "4:63", "`labels` is not supported in this environment"),
    case("group-env-annotations", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: group, name: t, environment: {annotations: {a: b}}}]
        """, "PF240", "4:63", "`annotations` is not supported"),
    case("op-env-labels", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, environment: {labels: {team: ml}}}]
        templates: [{kind: job, name: t}]
        """, "PF240", "3:60", "`labels` is not supported"),
    case("resources-millicores", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {resources: {cpu: {requests: 500m}}}}]
        """, "PF243", "4:76", "resources are plain numbers in Polyflow, got '500m'"),
    case("resources-memory-Mi", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {resources: {memory: {limits: 256Mi}}}}]
        """, "PF243", "4:77", "got '256Mi'"),
    case("resources-k8s-shape", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {resources: {limits: {cpu: 1}}}}]
        """, "PF206", "4:60", "unknown field `limits`"),
    case("configmap-alias-both", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {config_map_refs: [a], configmap_refs: [b]}}]
        """, "PF241", "4:86", "cannot be used together"),
    case("persistence-with-data_refs", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, environment: {data_refs: [d], persistence: {data: [d]}}}]
        """, "PF242", "4:77", "`persistence` cannot be combined"),
    case("declarations-and-params", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], params: {x: 1}, declarations: {x: 2}}]
        """, "PF252", "4:104", "`declarations` and `params` cannot be used together"),
    # ------------------------------------------------------------------ schedules (1.10, rule 10)
    case("schedule-kind-missing", """
        version: 1
        kind: pipeline
        schedule: {cron: '0 0 * * *'}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF205", "3:11", "missing required field `kind`"),
    case("schedule-kind-exact_time", """
        version: 1
        kind: pipeline
        schedule: {kind: exact_time, start_at: '2019-07-01T00:00:00+00:00'}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF207", "3:18", "unknown kind 'exact_time'"),
    case("schedule-interval-no-start_at", """
        version: 1
        kind: pipeline
        schedule: {kind: interval, frequency: 120}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF205", "3:11", "missing required field `start_at`"),
    case("schedule-cron-no-cron", """
        version: 1
        kind: pipeline
        schedule: {kind: cron, start_at: '2019-07-01T00:00:00+00:00'}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF205", "3:11", "missing required field `cron`"),
    case("schedule-frequency-2m", """
        version: 1
        kind: pipeline
        schedule: {kind: interval, start_at: '2019-07-01T00:00:00+00:00', frequency: 2m}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF209", "3:78", "expected an integer, got '2m'"),
    case("schedule-unquoted-timestamp", """
        version: 1
        kind: pipeline
        schedule: {kind: interval, start_at: 2019-07-01T00:00:00+00:00, frequency: 120}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF271", "3:38", "unquoted YAML timestamp", "quote it"),
    case("schedule-bad-datetime", """
        version: 1
        kind: pipeline
        schedule: {kind: cron, cron: '0 0 * * *', end_at: 'next tuesday'}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF271", "3:51", "not a valid datetime: 'next tuesday'",
        fixed_bug="located on the `cron:` value (3:30) instead of the `end_at:` value (same cron-tag bug)"),
    # ------------------------------------------------------------------ logging (1.16)
    case("logging-level-lowercase", """
        version: 1
        kind: pipeline
        logging: {level: info}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF207", "3:18", "invalid value 'info' for `level`", "did you mean 'INFO'?"),
    case("op-logging-level", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, logging: {level: WARNING}}]
        templates: [{kind: job, name: t}]
        """, "PF207", "3:55", "invalid value 'WARNING' for `level`", "did you mean 'WARN'?"),
    # ------------------------------------------------------------------ hptuning (1.19)
    case("hptuning-two-algorithms", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              grid_search: {n_experiments: 4}
              random_search: {n_experiments: 4}
              matrix: {lr: {values: [0.1, 0.2]}}
        """, "PF264", "9:22", "at most one search algorithm (got grid_search, random_search)"),
    case("hptuning-matrix-two-kinds", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              matrix:
                lr: {values: [0.1, 0.2], range: '1:10:1'}
        """, "PF260", "9:13", "exactly one of values, pvalues"),
    case("hptuning-pvalues-sum", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              matrix:
              random_search: {n_experiments: 2}
              matrix:
                opt: {pvalues: [[adam, 0.7], [sgd, 0.6]]}
        """, "PF261", "11:24", "probabilities must sum to 1 (they sum to 1.3)"),
    case("hptuning-linspace-two-values", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              matrix:
                lr: {linspace: '0.1:1'}
        """, "PF261", "9:24", "`linspace` takes start:stop:num (2 values given)"),
    case("hptuning-linspace-not-numbers", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              matrix:
                lr: {linspace: 'a:b:5'}
        """, "PF262", "9:24", "`linspace.start` must be a number, got 'a'"),
    case("template-hptuning-on-job-hint", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, hptuning: {concurrency: 2}}]
        """, "PF206", "4:34", "unknown field `hptuning`",
        "allowed here: backend, build, declarations, description, environment, framework, inputs, kind, "
        "logging, name, outputs, params, run, tags, version",
        fixed_bug="the 'allowed here' hint of a template lists the fields of ALL template kinds (image, dockerfile, "
        "hptuning, ...), so it claims the rejected `hptuning` is allowed on a job template"),
    case("schedule-cron-unquoted-timestamp", """
        version: 1
        kind: pipeline
        schedule: {kind: cron, cron: '0 0 * * *', start_at: 2019-07-01T00:00:00+00:00}
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        """, "PF271", "3:53", "unquoted YAML timestamp", "quote it",
        fixed_bug="located on the `cron:` value (3:30) instead of the `start_at:` value (same cron-tag bug)"),
    case("io-untyped-default-not-optional", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {x: 2}}]
        templates: [{kind: job, name: t, inputs: [{name: x, default: 1}]}]
        """, "PF230", "4:62", "input 'x' is not optional and has a default value",
        fixed_bug="same inverted check: an untyped default on a required input is accepted"),
    case("io-flag-untyped", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t, inputs: [{name: v, is_flag: true, is_optional: true}]}]
        """, "PF231", "4:62", "(got no type)"),
    case("param-null-for-required", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {lr: null}}]
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}]}]
        """, "PF335", "3:51", "'lr' is required and cannot be null"),
    case("param-str-given-yaml-date", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {day: 2019-07-01}}]
        templates: [{kind: job, name: t, inputs: [{name: day, type: str}]}]
        """, "PF335", "3:52", "to str", "quote it",
        fixed_bug="an unquoted YAML date is kept as text (source.YamlTimestamp is a str) and passes `type: str`; "
        "the original's YAML loader made it a date, which the str parser rejects"),
    case("ref-op-without-outputs", """
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: p}}
          - {name: b, template: {name: c}, params: {x: '{{ ops.a.outputs.y }}'}}
        templates:
          - {kind: job, name: p}
          - {kind: job, name: c, inputs: [{name: x}]}
        """, "PF337", "5:48", "op 'a' has no output 'y'", "template 'p' declares no outputs"),
    case("hptuning-grid-with-distribution", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              matrix:
                lr: {uniform: '0:1'}
        """, "PF265", "9:13", "grid search"),
    case("hptuning-percent-not-truncation", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates:
          - kind: group
            name: t
            hptuning:
              random_search: {n_experiments: 2}
              matrix: {lr: {values: [0.1]}}
              early_stopping: [{metric: loss, value: 0.1, policy: {kind: median, evaluation_interval: 1, percent: 0.2}}]
        """, "PF263", "10:107", "`percent` is only for the truncation policy"),
    # ------------------------------------------------------------------ YAML / document (1.0)
    case("yaml-syntax-error", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}
        templates: [{kind: job, name: t}]
        """, "PF100", "4:1", "invalid YAML"),
    case("yaml-duplicate-key", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        ops: [{name: b, template: {name: t}}]
        """, "PF101", "5:1", "duplicate key 'ops'", "line 3", severity="warning"),
    case("yaml-duplicate-key-nested", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, name: b}]
        templates: [{kind: job, name: t}]
        """, "PF101", "3:38", "duplicate key 'name'", severity="warning"),
    case("yaml-non-string-key", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}, params: {1: x}}]
        templates: [{kind: job, name: t}]
        """, "PF102", "3:47", "mapping key '1' is not a string", "quote it"),
    case("yaml-empty", "\n", "PF104", "1:1", "the file is empty"),
    case("yaml-only-comment", """
        # nothing here
        """, "PF104", "1:1", "the file is empty"),
    case("yaml-top-level-list", """
        - version: 1
        - kind: pipeline
        """, "PF200", "1:1", "must be a mapping at the top level"),
    case("yaml-two-documents", """
        version: 1
        kind: pipeline
        ops: [{name: a, template: {name: t}}]
        templates: [{kind: job, name: t}]
        ---
        version: 1
        """, "PF105", "6:1", "one YAML document"),
    case("yaml-tab-indent", """
        version: 1
        kind: pipeline
        ops:
        \t- {name: a, template: {name: t}}
        templates: [{kind: job, name: t}]
        """, "PF100", "4:1", "invalid YAML", "spaces, not tabs",
        fixed_bug="the tab hint never fires with the C loader: libyaml says 'found character that cannot start "
        "any token' without naming the tab, and source._yaml_error only looks for '\\t'/'tab' in the problem"),
]


def _where(d: Diagnostic) -> str:
    return f"{d.span.line}:{d.span.column}" if d.span else "-"


def _render(diags: list[Diagnostic]) -> str:
    return "\n".join(f"  {d.code} {_where(d)} {d.message} | {d.hint}" for d in diags)


@pytest.mark.parametrize(("text", "code", "pos", "message", "hint", "severity"), ROWS)
def test_invalid_snippet(text: str, code: str, pos: str, message: str, hint: str | None, severity: str) -> None:
    diags = polyflow_argo.lint(text=text)
    found = [d for d in diags if d.severity == severity]
    assert found, f"expected {code} at {pos}, but the snippet was accepted:\n{_render(diags)}"
    for d in diags:
        assert d.span is not None and d.span.file == "<string>", d
    at = [d for d in found if d.code == code and _where(d) == pos]
    assert at, f"no {code} at {pos}; got:\n{_render(diags)}"
    matching = [d for d in at if message in d.message]
    assert matching, f"{code} at {pos} does not say {message!r}; got:\n{_render(at)}"
    if hint is not None:
        assert any(hint in (d.hint or "") for d in matching), f"hint lacks {hint!r}; got:\n{_render(matching)}"


def test_enough_rows() -> None:
    assert len(ROWS) >= 70
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("text", [pytest.param(row.values[0], id=row.id) for row in ROWS])
def test_lint_never_raises(text: str) -> None:
    diags = polyflow_argo.lint(text=text)
    assert isinstance(diags, list)
    assert all(isinstance(d, Diagnostic) for d in diags)
    assert diags == sorted(diags, key=Diagnostic.sort_key)


def test_worked_example_9_reports_all_errors_in_order() -> None:
    diags = polyflow_argo.lint(WORKED / "ex9-invalid.yaml")
    errors = [d for d in diags if d.severity == "error"]
    assert [d.code for d in errors] == ["PF335", "PF338", "PF336", "PF310"]
    assert [(d.span.line, d.span.column) for d in errors] == sorted((d.span.line, d.span.column) for d in errors)
    assert [d.span.line for d in errors] == [6, 7, 8, 8]
    assert "ghost" in errors[3].message


def test_spec_and_resolve_errors_are_each_reported_in_full() -> None:
    # Several schema errors in one file: all of them, sorted by position.
    text = y("""
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, trigger: all_secceded, max_retry: 1}
          - {name: b c, template: {name: t}}
        templates: [{kind: job, name: t, environment: {resources: {cpu: {requests: 500m}}}}]
        logging: {level: info}
        """)
    diags = polyflow_argo.lint(text=text)
    got = [(d.code, _where(d)) for d in diags if d.severity == "error"]
    assert got == [
        ("PF207", "4:45"),
        ("PF206", "4:59"),
        ("PF210", "5:12"),
        ("PF243", "6:76"),
        ("PF207", "7:18"),
    ]


def test_resolve_errors_of_every_pass_in_one_run() -> None:
    text = y("""
        version: 1
        kind: pipeline
        ops:
          - {name: a, template: {name: t}, params: {lr: 1, extra: 2}}
          - {name: a, template: {name: t}, params: {lr: 0.1}}
          - {name: b, template: {name: nope}, dependencies: [ghost]}
          - {name: c, template: {name: t}, params: {lr: '{{ ops.a.outputs.nothing }}'}}
        templates: [{kind: job, name: t, inputs: [{name: lr, type: float}], outputs: [{name: out, type: float}]}]
        """)
    diags = polyflow_argo.lint(text=text)
    errors = [d for d in diags if d.severity == "error"]
    assert [d.code for d in errors] == ["PF335", "PF331", "PF303", "PF320", "PF310", "PF337"]
    keys = [(d.span.line, d.span.column) for d in errors]
    assert keys == sorted(keys)


def test_list_item_errors_name_the_item() -> None:
    text = y("""
        version: 1
        kind: pipeline
        ops:
          - 5
          - {name: b, template: {name: t}, dependencies: [1]}
        templates: [{kind: job, name: t}]
        """)
    diags = {(d.code, _where(d)): d.message for d in polyflow_argo.lint(text=text)}
    assert "PF208" in {code for code, _ in diags}
    op_item = diags[("PF208", "4:5")]
    dep_item = diags[("PF208", "5:51")]
    assert "got 5" in op_item and not op_item.startswith("`ops` must be a mapping")
    assert "got 1" in dep_item and not dep_item.startswith("`dependencies` must be a string")


def test_all_errors_of_one_stage_in_one_run_sorted() -> None:
    # Six independent schema errors spread over the file are all reported, in file order.
    text = y("""
        version: 1
        kind: pipeline
        name: bad name
        schedule: {kind: interval, frequency: 2m, start_at: '2019-07-01T00:00:00+00:00'}
        ops:
          - {name: a, template: {name: t}, retry_exp_backoff: 2}
        templates:
          - {kind: service, name: s}
          - {kind: job, name: t, inputs: [{name: x, value: 1}]}
        """)
    diags = polyflow_argo.lint(text=text)
    codes = [d.code for d in diags if d.severity == "error"]
    assert codes == ["PF210", "PF209", "PF208", "PF207", "PF206"]
    assert diags == sorted(diags, key=Diagnostic.sort_key)
