"""PF2xx, the pipeline language: what each code means, an input that triggers it, the fix.

Data only (the format is described in polyflow_argo/source_codes.py); rendered into docs/errors.md
by ``make docs`` and replayed by tests/test_docs.py.
"""

# ruff: noqa: E501 - the examples are pipeline files, shown and replayed verbatim

from __future__ import annotations

TITLE = "the pipeline language"

CODES: dict[str, tuple[str, str, str]] = {
    "PF200": (
        "The document is not a mapping at the top level (a list, or a single value).",
        """\
- version: 1
- kind: pipeline
""",
        "Write the pipeline as a mapping: `version: 1`, `kind: pipeline`, `ops:`, `templates:`.",
    ),
    "PF201": (
        "The pipeline's `version` is not 1: Polyflow 2019 pipelines have only version 1.",
        """\
version: 2
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Set `version: 1`.",
    ),
    "PF202": (
        "The file's `kind` is not `pipeline`: a `job` or `experiment` polyaxonfile is a single "
        "Polyaxon run, not a pipeline.",
        """\
version: 1
kind: job
run: {cmd: train.py}
""",
        "Set `kind: pipeline`; to run a single polyaxonfile, wrap it as a template of a pipeline "
        "(`templates: [{kind: job, name: train, ...}]`) with one op using it.",
    ),
    "PF205": (
        "A required field is missing (`version`, `kind`, an op's `name` or `template`, a "
        "template's `kind`, ...).",
        """\
version: 1
kind: pipeline
ops: [{name: a}]
templates: [{kind: job, name: t}]
""",
        "Add the field the message names; the hint shows its form.",
    ),
    "PF206": (
        "A field is not part of the language at this place (often a typo; the hint suggests the "
        "closest field).",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
template: [{kind: job, name: t}]
""",
        "Rename the field as the hint suggests, or remove it; docs/templates.md lists the fields "
        "of each template kind.",
    ),
    "PF207": (
        "A field has a value outside its fixed set (a template `kind`, a `trigger`, a logging "
        "`level`, a build `backend`, ...).",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: dag, name: t}]
""",
        "Use one of the values the message lists (the hint suggests the closest).",
    ),
    "PF208": (
        "A field has the wrong type: a string where a list is expected, a number for a boolean, "
        "and so on.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, max_retries: 2, retry_exp_backoff: 2}]
templates: [{kind: job, name: t}]
""",
        "Write the value with the type the message names.",
    ),
    "PF209": (
        "A number field has a value that is not a whole number (or not a finite number): counts, "
        "seconds and indexes are integers.",
        """\
version: 1
kind: pipeline
concurrency: two
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Write a plain number without quotes or units, e.g. `concurrency: 2`.",
    ),
    "PF210": (
        "A pipeline, op or template name has characters other than letters, digits, `-` and `_`.",
        """\
version: 1
kind: pipeline
ops: [{name: a/b, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Rename it as the hint suggests (`a-b`).",
    ),
    "PF211": (
        "The pipeline `description` has characters other than letters, digits, `-` and `_`: "
        "Polyflow 0.5 checked it like a name, and polyflow-argo accepts the same files.",
        """\
version: 1
kind: pipeline
description: my nice pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Write it as a name (`my-nice-pipeline`), or put prose in a YAML comment or in an op's "
        "`description`.",
    ),
    "PF220": (
        "An op's `template` names no template source, or more than one: it takes exactly one of "
        "`name` (a template of this file), `path`, `url`, `action` or `event`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {}}]
templates: [{kind: job, name: t}]
""",
        "Keep exactly one, e.g. `template: {name: t}`.",
    ),
    "PF221": (
        "An op's `params` is not a mapping of input name to value.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: [x, y]}]
templates: [{kind: job, name: t, inputs: [{name: x}]}]
""",
        "Write `params: {x: 1}`.",
    ),
    "PF222": (
        "An op's `dependencies` is a single string instead of a list of op names.",
        """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}}
  - {name: b, template: {name: t}, dependencies: a}
templates: [{kind: job, name: t}]
""",
        "Write a list: `dependencies: [a]`.",
    ),
    "PF230": (
        "An input has a `default` but is not `is_optional: true`: a default only applies to an "
        "optional input.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, params: {x: 2}}]
templates: [{kind: job, name: t, inputs: [{name: x, default: 1}]}]
""",
        "Add `is_optional: true`, or remove `default`.",
    ),
    "PF231": (
        "An input is `is_flag: true` but its type is not `bool`: a flag is passed as `--name` or "
        "left out.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, inputs: [{name: v, is_flag: true, is_optional: true}]}]
""",
        "Set `type: bool`, or remove `is_flag`.",
    ),
    "PF240": (
        "`labels` or `annotations` in an experiment or group environment (or an op's "
        "`environment`): Polyflow 0.5 accepted them only on job, build, notebook and tensorboard "
        "templates.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}, environment: {labels: {team: ml}}}]
templates: [{kind: job, name: t}]
""",
        "Move them to a job template's `environment`, or use `tags`.",
    ),
    "PF241": (
        "Both `config_map_refs` and its alias `configmap_refs` are set.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, environment: {config_map_refs: [a], configmap_refs: [b]}}]
""",
        "Keep only `config_map_refs`, with both lists merged.",
    ),
    "PF242": (
        "The deprecated `persistence` is combined with `data_refs` or `artifact_refs`, which "
        "replace it.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, environment: {data_refs: [d], persistence: {data: [d]}}}]
""",
        "Move `persistence.data` to `data_refs` and `persistence.outputs` to `artifact_refs`.",
    ),
    "PF243": (
        "A resource amount is not a plain number: Polyflow resources are cpu in cores, memory in "
        "MiB and gpu/tpu in devices, not Kubernetes quantities such as `500m` or `1Gi`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, environment: {resources: {cpu: {requests: 500m}}}}]
""",
        "Write a number: `cpu: {requests: 0.5}`, `memory: {limits: 1024}`.",
    ),
    "PF250": (
        "A build gives none, or several, of `ref`, `image` and `dockerfile`; it needs exactly one.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: build, name: t, context: .}]
""",
        "Give one source: `image: 'python:3.7-slim'` (with optional `build_steps`), "
        "`dockerfile: Dockerfile`, or `ref:` an earlier build.",
    ),
    "PF251": (
        "An image reference is malformed: it has spaces, or too many `:`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'a:b:c:d'}}]
""",
        "Write `name:tag` or `registry:port/name:tag`, e.g. `python:3.7-slim`.",
    ),
    "PF252": (
        "A template sets both `declarations` and `params`; `declarations` is the deprecated name "
        "of `params`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, inputs: [{name: x, is_optional: true}], params: {x: 1}, declarations: {x: 2}}]
""",
        "Keep only `params`.",
    ),
    "PF253": (
        "A distributed experiment (`environment.replicas`) has no `framework`, or one that is not "
        "tensorflow, mxnet, horovod or pytorch.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: experiment, name: t, environment: {replicas: {n_workers: 2}}}]
""",
        "Set `framework: tensorflow` (or pytorch, horovod, mxnet) on the template.",
    ),
    "PF254": (
        "A `replicas` field is not used by the template's framework or backend (e.g. parameter "
        "servers `n_ps` for pytorch).",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: experiment, name: t, framework: pytorch, environment: {replicas: {n_workers: 2, n_ps: 1}}}]
""",
        "Remove the field; the hint lists the fields the framework takes.",
    ),
    "PF260": (
        "A matrix entry gives none, or several, of the ways to produce values (`values`, "
        "`pvalues`, `range`, `linspace`, ..., `uniform`, `normal`, ...).",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    hptuning:
      matrix:
        lr: {values: [0.1, 0.2], range: '1:10:1'}
""",
        "Keep exactly one per hyperparameter, e.g. `lr: {values: [0.01, 0.1]}`.",
    ),
    "PF261": (
        "A matrix entry has the wrong shape: a wrong number of `a:b:c` parts, an unknown or "
        "missing field, or malformed `pvalues`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    hptuning:
      matrix:
        lr: {linspace: '0.1:1'}
""",
        "Give the fields the message lists, e.g. `linspace: {start: 0.1, stop: 1, num: 5}`; "
        "`pvalues` items are `[value, probability]`.",
    ),
    "PF262": (
        "A matrix entry has a bad number: not numeric, a count that is not a whole number, a zero "
        "step, or a stop not above its start.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    hptuning:
      matrix:
        lr: {linspace: 'a:b:5'}
""",
        "Write numbers, with `start` < `stop` and a non-zero step, num or q.",
    ),
    "PF263": (
        "An early-stopping policy's `percent` is missing for `truncation`, or given for another "
        "policy.",
        """\
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
""",
        "Give `percent` with `kind: truncation` only.",
    ),
    "PF264": (
        "`hptuning` names more than one search algorithm.",
        """\
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
""",
        "Keep one of `grid_search`, `random_search`, `hyperband`, `bo`.",
    ),
    "PF265": (
        "The matrix defines a distribution the search algorithm cannot use: grid search needs "
        "discrete values, and bayesian optimization takes only `uniform` distributions.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    hptuning:
      matrix:
        lr: {uniform: '0:1'}
""",
        "Use `random_search: {n_experiments: N}`, or give `values`, `range` or `linspace`.",
    ),
    "PF266": (
        "The bayesian optimization acquisition function lacks its parameter: `ucb` needs `kappa`, "
        "`ei` and `poi` need `eps`.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    hptuning:
      matrix: {lr: {uniform: '0:1'}}
      bo:
        n_initial_trials: 2
        n_iterations: 3
        metric: {name: loss, optimization: minimize}
        utility_function: {acquisition_function: ei}
""",
        "Add the parameter the message names, e.g. `eps: 0.1`.",
    ),
    "PF267": (
        "A search algorithm is given without a `matrix` to search.",
        """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates:
  - kind: group
    name: t
    hptuning: {random_search: {n_experiments: 4}}
""",
        "Add `matrix:` with the hyperparameters, e.g. `matrix: {lr: {values: [0.01, 0.1]}}`.",
    ),
    "PF271": (
        "A schedule's `start_at` or `end_at` is not an ISO 8601 date and time, or is an unquoted "
        "YAML timestamp (which YAML would read in its own way).",
        """\
version: 1
kind: pipeline
schedule: {kind: cron, cron: '0 0 * * *', end_at: 'next tuesday'}
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t}]
""",
        "Write a quoted ISO 8601 value, e.g. `end_at: '2019-07-01T00:00:00+00:00'`.",
    ),
    "PF280": (
        "The project config (`polyflow.yaml`, or a `--build-*` flag) is not a mapping, or a "
        "value in it is invalid.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
- build
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Write `polyflow.yaml` as a mapping, e.g. `version: 1` and `build: {context: ..., "
        "registry: ...}` (docs/builds.md).",
    ),
    "PF281": (
        "The build context in `polyflow.yaml` (or `--build-context`) is not a source a builder "
        "can fetch.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
build: {context: 'ftp://example.com/src'}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Use a git URL pinned to a commit (`https://github.com/org/repo.git#<commit>`), an "
        "`s3://`, `gs://` or `https://` tarball (docs/builds.md).",
    ),
    "PF282": (
        "The image repository in `polyflow.yaml` (`build.registry`, `cache_repository`) is not a "
        "valid repository name.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
build: {registry: 'Registry.Example.com/Team'}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Write `host[:port]/path` in lower case, e.g. `registry.example.com/team/polyflow`.",
    ),
    "PF283": (
        "A Secret named in `polyflow.yaml` (`build.secret`, `pull_secret`, `context_secret`) is "
        "not a valid Kubernetes name.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
build: {secret: Push_Secret}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Use lower case letters, digits, `-` and `.`, e.g. `registry-push`.",
    ),
    "PF284": (
        "The `service_account` in `polyflow.yaml` is not a valid ServiceAccount name.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
service_account: Polyflow_Workflow
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Use lower case letters, digits, `-` and `.`, e.g. `polyflow-workflow`.",
    ),
    "PF285": (
        "The `shell` in `polyflow.yaml` is invalid: a string is one program (run with `-c`), a "
        "list is the whole command and must end with the option that reads the script.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
shell: /bin/bash -e
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Write `shell: /bin/sh`, or a list such as `shell: [/bin/bash, -eo, pipefail, -c]`.",
    ),
    "PF286": (
        "A run-hygiene number in `polyflow.yaml` (`active_deadline_seconds`, a `ttl` field) or of "
        "its flag is not a whole number of seconds in range: a deadline is 1 or more, a TTL 0 to "
        "2147483647 (Argo's int32).",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
ttl: {seconds_after_success: 1h}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Write a number of seconds without quotes or units, e.g. `seconds_after_success: 3600`.",
    ),
    "PF287": (
        "The `pod_gc` of `polyflow.yaml` (or `--pod-gc-delete-delay`) is invalid: the strategy is "
        "not one of Argo's, or the delay is not a duration.",
        """\
# $ polyflow-argo compile pipeline.yaml
# ==> polyflow.yaml <==
pod_gc: {strategy: OnCompletion}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
""",
        "Use OnPodCompletion, OnPodSuccess, OnWorkflowCompletion or OnWorkflowSuccess, and a delay "
        "such as `delete_delay_duration: 30s`.",
    ),
    "PF290": (
        "A `-p OP.PARAM=VALUE` override on the command line is malformed or names no op of the "
        "pipeline.",
        """\
# $ polyflow-argo compile pipeline.yaml -p trian.lr=0.1
version: 1
kind: pipeline
ops: [{name: train, template: {name: t}}]
templates: [{kind: job, name: t, inputs: [{name: lr, type: float, is_optional: true, default: 0.01}], build: {image: 'python:3.7-slim'}}]
""",
        "Write `-p op-name.param-name=value` with an op of the pipeline (the hint suggests the "
        "closest).",
    ),
}

NOT_EXAMPLE_CHECKED: dict[str, str] = {}
