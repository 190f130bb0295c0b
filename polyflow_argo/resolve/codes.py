"""PF30x-PF35x and PF37x, resolving a pipeline: what each code means, an input that triggers it, the fix.

Graph, templates, typed params, run semantics, schedules and hyperparameter searches (the
registry's PF36x are in registry/codes.py). Data only (the format is described in
polyflow_argo/source_codes.py); rendered into docs/errors.md by ``make docs`` and replayed by
tests/test_docs.py.
"""

# ruff: noqa: E501 - the examples are pipeline files, shown and replayed verbatim

from __future__ import annotations

TITLE = "resolving the pipeline"

_GROUP = """\
# $ polyflow-argo compile pipeline.yaml
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    build: {image: 'python:3.7-slim'}
    run: {cmd: python train.py}
    hptuning:
"""

CODES: dict[str, tuple[str, str, str]] = {
    "PF301": (
        "The pipeline defines no templates, so its ops have nothing to run.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
""",
        "Add `templates:` with at least one template, e.g. `- {kind: job, name: t, run: {cmd: ...}}`.",
    ),
    "PF302": (
        "The pipeline has no ops, so it would run nothing.",
        """\
version: 1
kind: pipeline
templates: [{kind: job, name: t}]
""",
        "Add `ops:` with at least one op, e.g. `- {name: first, template: {name: t}}`.",
    ),
    "PF303": (
        "Two ops have the same name; op names identify the DAG's nodes and must be unique.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}}
  - {name: a, template: {name: t}}
templates: [{kind: job, name: t}]
""",
        "Rename one of them (and the `dependencies` and references that mean it).",
    ),
    "PF304": (
        "Two templates have the same name, so `template: {name: ...}` would be ambiguous.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - {kind: job, name: t}
  - {kind: experiment, name: t}
""",
        "Rename one of them.",
    ),
    "PF305": (
        "A template of the pipeline has no `name`, so no op can use it.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - {kind: job, name: t}
  - {kind: job}
""",
        "Add `name:` to the template, or remove it.",
    ),
    "PF310": (
        "An op's `dependencies` names an op the pipeline does not have (the hint suggests the "
        "closest name).",
        """\
version: 1
kind: pipeline
ops:
  - {name: train, template: {name: t}}
  - {name: eval, template: {name: t}, dependencies: [trian]}
templates: [{kind: job, name: t}]
""",
        "Fix the name, or add the op.",
    ),
    "PF311": (
        "A param references `{{ ops.NAME.outputs.X }}` of an op the pipeline does not have.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}}
  - {name: b, template: {name: t}, params: {x: '{{ ops.c.outputs.y }}'}}
templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], outputs: [{name: y}]}]
""",
        "Reference an op of this pipeline (the hint suggests the closest name).",
    ),
    "PF312": (
        "The ops' dependencies (including those implied by `{{ ops... }}` references) form a "
        "cycle, so no op of the cycle could start.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}, dependencies: [b]}
  - {name: b, template: {name: t}, dependencies: [a]}
templates: [{kind: job, name: t}]
""",
        "Remove one dependency of the cycle the message shows.",
    ),
    "PF313": (
        "Warning: a `-p OP.PARAM=VALUE` override replaced a param whose `{{ ops.X.outputs.Y }}` "
        "reference was what made the op wait for op X; with the new value nothing does, so the op may "
        "now start before X, or run when X is skipped.",
        """\
# $ polyflow-argo lint pipeline.yaml -p b.x=s3://bucket/fixed.csv
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}}
  - {name: b, template: {name: t}, params: {x: '{{ ops.a.outputs.y }}'}}
templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], outputs: [{name: y}]}]
""",
        "If the op must still run after X, add `dependencies: [X]` to it; if not, the warning is "
        "only a reminder (`--no-warnings` hides it, `--strict` makes it an error).",
    ),
    "PF320": (
        "An op's `template: {name: ...}` names a template the pipeline does not define.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: trainr}}]
templates: [{kind: job, name: trainer}]
""",
        "Use the name of one of the pipeline's templates (the hint suggests the closest).",
    ),
    "PF322": (
        "A `template: {path: ...}` leads outside the project root (the folder with `.git` or "
        "`polyflow.yaml`), which a CI checkout or the registry would not have.",
        """\
# $ polyflow-argo lint --resolve project/pipeline.yaml
# ==> project/polyflow.yaml <==
version: 1
# ==> project/pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {path: ../outside.yaml}}]
templates: [{kind: job, name: t}]
# ==> outside.yaml <==
{kind: job, name: t}
""",
        "Keep template files inside the project, and name them relative to the file that uses them.",
    ),
    "PF323": (
        "A `template: {path: ...}` names a file that does not exist, or a directory (paths are "
        "relative to the file that names them).",
        """\
# $ polyflow-argo lint --resolve pipeline.yaml
version: 1
kind: pipeline
ops: [{name: a, template: {path: templates/train.yaml}}]
templates: [{kind: job, name: t}]
""",
        "Fix the path, relative to the pipeline file.",
    ),
    "PF324": (
        "An op uses a registry `action` or `event`, but no registry is configured.",
        """\
# $ polyflow-argo lint --resolve pipeline.yaml
version: 1
kind: pipeline
ops: [{name: a, template: {action: notify-slack}}]
templates: [{kind: job, name: t}]
""",
        "Pass `--registry DIR` or set `POLYFLOW_REGISTRY` (docs/registry.md).",
    ),
    "PF325": (
        "An op uses a registry `action` or `event` (or a version of it) that the registry does "
        "not have.",
        """\
# $ polyflow-argo lint --resolve --registry registry pipeline.yaml
# ==> registry/notify.yaml <==
kind: action
name: notify-slack
version: 1.0.0
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {action: 'notify-slak:1.0.0'}}]
templates: [{kind: job, name: t}]
""",
        "Use a `name[:version]` that `polyflow-argo registry list` shows (the hint suggests the "
        "closest).",
    ),
    "PF326": (
        "A `template: {url: ...}` is not pinned in `polyflow.lock`, so compiling would depend on "
        "what the URL serves today.",
        """\
# $ polyflow-argo lint --resolve pipeline.yaml
# ==> polyflow.yaml <==
version: 1
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {url: 'https://example.com/templates/train.yaml'}}]
templates: [{kind: job, name: t}]
""",
        "Run `polyflow-argo lock pipeline.yaml` to fetch it and pin its content hash; commit "
        "`polyflow.lock`.",
    ),
    "PF327": (
        "A template URL cannot be fetched or used: not `https://` (plain `http://` only for "
        "localhost), an HTTP error, a network failure, too large, or a pinned copy whose content "
        "changed.",
        """\
# $ polyflow-argo lock pipeline.yaml
# ==> polyflow.yaml <==
version: 1
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {url: 'http://example.com/templates/train.yaml'}}]
templates: [{kind: job, name: t}]
""",
        "Use an `https://` URL that answers with the template file; after a deliberate change, "
        "run `polyflow-argo lock` again.",
    ),
    "PF328": (
        "`polyflow-argo lock` fetched a url template whose content is not the one pinned in "
        "polyflow.lock: the file behind the URL changed since it was pinned. lock prints the diff "
        "and keeps the old pin.",
        """\
# $ polyflow-argo lock pipeline.yaml   (after the server's copy of train.yaml changed)
# ==> polyflow.yaml <==
version: 1
# ==> polyflow.lock <==
urls: {'https://example.com/train.yaml': 'sha256:0000000000000000000000000000000000000000000000000000000000000000'}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {url: 'https://example.com/train.yaml'}}]
""",
        "Review the diff; if the change is wanted, run `polyflow-argo lock --update FILE` to pin the "
        "new content.",
    ),
    "PF329": (
        "Warning: an `auth` param, or a `uri` with a password, is written as a literal: the "
        "password would show in clear in the Workflow, the Argo UI and the pod spec.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {db: 'user:secret'}}]
templates: [{kind: job, name: t, inputs: [{name: db, type: auth}]}]
""",
        "Keep it in a Kubernetes Secret and read it from the environment (`environment.secret_refs`).",
    ),
    "PF330": (
        "An input's or output's `default` does not have the declared `type`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, inputs: [{name: x, type: int, is_optional: true, default: many}]}]
""",
        "Give a default of the declared type, or change the type.",
    ),
    "PF331": (
        "A param (of an op, or a template's fixed `params`) names an input or output the template "
        "does not declare.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {lr: 0.1}}]
templates: [{kind: job, name: t}]
""",
        "Fix the name (the hint suggests the closest), or declare the input in the template's "
        "`inputs`.",
    ),
    "PF332": (
        "A template's fixed `params` value does not have its input's type.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {lr: 0.2}}]
templates: [{kind: job, name: t, inputs: [{name: lr, type: float}], params: {lr: 1}}]
""",
        "Write a value of the input's type (`1.0` for a float).",
    ),
    "PF333": (
        "A `{{ ... }}` in a param is not a reference polyflow-argo can read: references are "
        "`{{ ops.NAME.outputs.X }}`, `{{ ops.NAME.inputs.X }}` or the pipeline's own values.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {x: '{{ foo }}'}}]
templates: [{kind: job, name: t, inputs: [{name: x}]}]
""",
        "Write a literal, or a reference such as `{{ ops.prepare.outputs.path }}` "
        "(docs/semantics.md).",
    ),
    "PF334": (
        "A reference is used where none can be: in a template's fixed `params`, or to set an "
        "output.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}}
  - {name: b, template: {name: t}, params: {y: '{{ ops.a.outputs.y }}'}}
templates: [{kind: job, name: t, outputs: [{name: y}]}]
""",
        "Put references in the `params` of the op that uses the template, feeding inputs only.",
    ),
    "PF335": (
        "An op's param value does not have its input's type (or is not one of its `options`).",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {n: ten}}]
templates: [{kind: job, name: t, inputs: [{name: n, type: int}]}]
""",
        "Write a value of the input's type, as the hint shows.",
    ),
    "PF336": (
        "A required input (not `is_optional`) gets no param from the op.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, inputs: [{name: lr, type: float}]}]
""",
        "Pass it: `params: {lr: 0.1}`, or make the input `is_optional: true` with a `default`.",
    ),
    "PF337": (
        "A reference reads an output the producing op's template does not declare.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: p}}
  - {name: b, template: {name: c}, params: {x: '{{ ops.a.outputs.y }}'}}
templates:
  - {kind: job, name: p}
  - {kind: job, name: c, inputs: [{name: x}]}
""",
        "Declare the output in the producer's `outputs`, or fix the name (the hint suggests the "
        "closest).",
    ),
    "PF338": (
        "A reference passes an output to an input of another type (typed and untyped count as "
        "different).",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: p}}
  - {name: b, template: {name: c}, params: {x: '{{ ops.a.outputs.y }}'}}
templates:
  - {kind: job, name: p, outputs: [{name: y, type: float}]}
  - {kind: job, name: c, inputs: [{name: x}]}
""",
        "Give both the same `type`.",
    ),
    "PF339": (
        "Warning: a param mixes text and references; polyflow-argo interpolates all of them, "
        "where Polyflow 0.5 kept only the first reference and dropped the text.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: p}}
  - {name: b, template: {name: c}, dependencies: [a], params: {x: 'runs/{{ ops.a.outputs.y }}'}}
templates:
  - {kind: job, name: p, outputs: [{name: y, type: str}]}
  - {kind: job, name: c, inputs: [{name: x, type: str}]}
""",
        "Keep it if you mean the interpolation; write the reference alone for the original's "
        "behaviour.",
    ),
    "PF340": (
        "An op has a `one_*` trigger, which waits for one of its upstream ops, but it has none, "
        "so it can never run. A warning of `lint` (Polyflow 0.5 accepted such files), an error "
        "of `compile`.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}, trigger: one_failed}
  - {name: b, template: {name: t}, dependencies: [a]}
templates: [{kind: job, name: t}]
""",
        "Add `dependencies:`, or remove `trigger`.",
    ),
    "PF341": (
        "Warning: an op's `conditions` reads an op that is not upstream of it (or not in the "
        "pipeline), so the value may not exist when the condition is evaluated.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}}
  - {name: b, template: {name: t}, conditions: {kind: status, op: a, trigger: succeeded}}
templates: [{kind: job, name: t}]
""",
        "Add that op to the `dependencies` of the op with the condition.",
    ),
    "PF342": (
        "Warning: `retry_delay`, `retry_exp_backoff` or `max_retry_delay` is set without "
        "`max_retries`, so it does nothing.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, retry_delay: 30}]
templates: [{kind: job, name: t}]
""",
        "Add `max_retries: N`, or remove the setting.",
    ),
    "PF343": (
        "Warning: a template uses `declarations`, the deprecated name of `params`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], declarations: {x: 1}}]
""",
        "Rename it to `params`.",
    ),
    "PF344": (
        "Warning: an environment uses a deprecated field (`configmap_refs`, `persistence`, "
        "`outputs`).",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, environment: {configmap_refs: [settings]}}]
""",
        "Use its replacement, which the hint names (`config_map_refs`, `data_refs`/`artifact_refs`).",
    ),
    "PF350": (
        "An interval schedule has a `timezone`: it fires every `frequency` seconds, so a zone "
        "cannot change when it fires.",
        """\
version: 1
kind: pipeline
name: hourly
schedule: {kind: interval, start_at: '2019-07-01T00:00:00+00:00', frequency: 3600, timezone: Europe/Paris}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Remove `timezone`, or use `kind: cron` for wall-clock times in a zone.",
    ),
    "PF351": (
        "A cron schedule's `timezone` is not an IANA time zone name.",
        """\
version: 1
kind: pipeline
name: nightly
schedule: {kind: cron, cron: '0 2 * * *', timezone: Europe/Pariss}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Use a name such as `Europe/Paris` or `UTC` (the hint suggests the closest).",
    ),
    "PF352": (
        "The schedule's `end_at` is before its `start_at`, so it never fires.",
        """\
version: 1
kind: pipeline
name: nightly
schedule: {kind: cron, cron: '0 2 * * *', start_at: '2019-07-02T00:00:00+00:00', end_at: '2019-07-01T00:00:00+00:00'}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Swap them, or fix the dates.",
    ),
    "PF353": (
        "The `cron` expression is invalid (docs/schedules.md lists the accepted forms).",
        """\
version: 1
kind: pipeline
name: nightly
schedule: {kind: cron, cron: '0 25 * * *'}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Write five fields `minute hour day-of-month month day-of-week`, e.g. `0 2 * * *`.",
    ),
    "PF354": (
        "An interval schedule's `frequency` is zero or negative, or longer than Argo's longest duration "
        "(292 years).",
        """\
version: 1
kind: pipeline
name: hourly
schedule: {kind: interval, start_at: '2019-07-01T00:00:00+00:00', frequency: 0}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Give a positive number of seconds, e.g. `frequency: 3600` for every hour.",
    ),
    "PF355": (
        "The cron expression never fires (at all, or between `start_at` and `end_at`), e.g. on "
        "30 February.",
        """\
version: 1
kind: pipeline
name: never
schedule: {kind: cron, cron: '0 0 30 2 *'}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Check the day of month against the month, and the window.",
    ),
    "PF356": (
        "The schedule's `start_at` or `end_at` is outside the dates a schedule can use (from "
        "0001-01-02; `start_at` until 9999-12-30), in UTC.",
        """\
version: 1
kind: pipeline
name: far
schedule: {kind: interval, start_at: '9999-12-31T23:59:30+00:00', frequency: 60}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Give an instant in that range; a schedule that should never end has no `end_at`.",
    ),
    "PF370": (
        "A group uses `hyperband`, which needs the runs' metrics fed back into the search; a "
        "static Argo fan-out cannot do that.",
        _GROUP
        + """\
      matrix: {lr: {uniform: '0:1'}}
      hyperband:
        max_iter: 9
        eta: 3
        resource: {name: epochs, type: int}
        metric: {name: loss, optimization: minimize}
""",
        "Use `random_search: {n_experiments: N}` or `grid_search`, or run the tuner inside one job.",
    ),
    "PF371": (
        "A group uses bayesian optimization (`bo`), which needs the runs' metrics fed back into "
        "the search; a static Argo fan-out cannot do that.",
        _GROUP
        + """\
      matrix: {lr: {uniform: '0:1'}}
      bo:
        n_initial_trials: 2
        n_iterations: 3
        metric: {name: loss, optimization: minimize}
""",
        "Use `random_search: {n_experiments: N}` or `grid_search`, or run the tuner inside one job.",
    ),
    "PF372": (
        "A group uses `early_stopping`, which needs the runs' metrics while the search runs; a "
        "static Argo fan-out cannot stop it.",
        _GROUP
        + """\
      matrix: {lr: {values: [0.1, 0.2]}}
      early_stopping: [{metric: loss, value: 0.1, optimization: minimize}]
""",
        "Remove `early_stopping` to run every suggestion to the end, or stop early in the "
        "training code.",
    ),
    "PF373": (
        "Grid search is given a distribution (`uniform`, `normal`, `pvalues`, ...), which has no "
        "list of values to enumerate.",
        _GROUP
        + """\
      grid_search: {}
      matrix: {lr: {uniform: '0:1'}}
""",
        "Use `random_search: {n_experiments: N}`, or give `values`, `range`, `linspace`, "
        "`logspace` or `geomspace`.",
    ),
    "PF374": (
        "Random search is given without `n_experiments`, so the number of trials is unknown.",
        _GROUP
        + """\
      random_search: {}
      matrix: {lr: {uniform: '0:1'}}
""",
        "Add `random_search: {n_experiments: 10}`.",
    ),
    "PF375": (
        "The search gives more suggestions than the limit (10,000): each becomes an Argo node, "
        "and Argo could not run them.",
        _GROUP
        + """\
      matrix:
        a: {range: '0:200:1'}
        b: {range: '0:200:1'}
""",
        "Narrow the matrix, or use `random_search` with a bounded `n_experiments`.",
    ),
    "PF376": (
        "A group has no matrix, or a matrix entry gives no values (e.g. a `range` whose step "
        "goes away from `stop`), so there is nothing to run.",
        _GROUP
        + """\
      concurrency: 2
""",
        "Add `matrix:` with at least one value per hyperparameter, e.g. "
        "`matrix: {lr: {values: [0.01, 0.1]}}`.",
    ),
    "PF377": (
        "Random search cannot find `n_experiments` distinct suggestions: the matrix has too few "
        "distinct (or too likely) combinations, e.g. a `quniform` with a coarse `q`.",
        _GROUP
        + """\
      random_search: {n_experiments: 10}
      matrix: {lr: {quniform: {low: 0, high: 1, q: 0.5}}}
""",
        "Lower `n_experiments` to the number the message gives, or widen the matrix.",
    ),
    "PF378": (
        "A matrix entry gives a value that is not a finite number (an overflowing `logspace`), "
        "has no computable length, or a `geomspace` that includes zero.",
        _GROUP
        + """\
      matrix: {lr: {geomspace: '0:10:5'}}
""",
        "Use smaller bounds; for `geomspace`, a start and stop of the same sign (or `linspace`).",
    ),
    "PF379": (
        "Warning: a distribution's `size` is ignored; each suggestion draws one value, as in "
        "Polyaxon 0.5.",
        _GROUP
        + """\
      random_search: {n_experiments: 3}
      matrix: {lr: {uniform: {low: 0, high: 1, size: 4}}}
""",
        "Remove `size`.",
    ),
}

NOT_EXAMPLE_CHECKED: dict[str, str] = {
    "PF328": "needs a server whose answer changes between two `lock` runs (tests/cli/test_lock.py "
    "serves one on loopback)",
    "PF373": "from a pipeline file the language check PF265 reports it first; raised when a matrix "
    "is expanded through the API",
}
