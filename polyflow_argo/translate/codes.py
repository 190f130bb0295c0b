"""PF4xx, translating to Argo: what each code means, an input that triggers it, the fix.

Also the codes of ``backfill`` (PF470-PF473, raised in compiler.py). Data only (the format is
described in polyflow_argo/source_codes.py); rendered into docs/errors.md by ``make docs`` and
replayed by tests/test_docs.py.
"""

# ruff: noqa: E501 - the examples are pipeline files, shown and replayed verbatim

from __future__ import annotations

TITLE = "translating to Argo"

_COMPILE = "# $ polyflow-argo compile pipeline.yaml\n"
_HEAD = _COMPILE + "version: 1\nkind: pipeline\n"
_IMAGE = "build: {image: 'python:3.7-slim'}"
_PROJECT = """\
# ==> polyflow.yaml <==
version: 1
build:
  context: https://github.com/org/repo.git#5d41402abc4b2a76b9719d911017c592ae1f2c3d
  registry: registry.example.com/ml/polyflow
# ==> pipeline.yaml <==
version: 1
kind: pipeline
"""
_DISTRIBUTED = """\
templates:
  - kind: experiment
    name: t
    build: {image: 'tensorflow/tensorflow:2.15.0'}
    run: {cmd: python train.py}
    framework: tensorflow
"""

CODES: dict[str, tuple[str, str, str]] = {
    "PF401": (
        "Warning (an error with `--strict`): a setting cannot be expressed on the target (the Argo "
        "version, or the pod of a training-operator replica) and is dropped; the message says why.",
        _HEAD
        + "ops: [{name: a, template: {name: t}}]\n"
        + _DISTRIBUTED
        + """\
    environment:
      replicas:
        n_workers: 2
        n_ps: 1
        default_ps: {max_restarts: 2}
""",
        "Remove the setting, or target an Argo version that has it (`--argo-version`).",
    ),
    "PF402": (
        "Warning: an op sets both `max_retries` and `environment.max_restarts`; Argo retries the "
        "op, so `max_restarts` is not used.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, max_retries: 2, environment: {{max_restarts: 3}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Keep one of them (`max_retries` for the op).",
    ),
    "PF403": (
        "Warning: the op's command runs with `/bin/bash -c` (as Polyflow 0.5.6 did), but its image "
        "is known to have no `/bin/bash`, so its pod would fail to start.",
        _HEAD
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'alpine:3.10'}, run: {cmd: echo hi}}]
""",
        "Set `shell: /bin/sh` in `polyflow.yaml` (or per pipeline under `pipelines:`), or use an "
        "image with bash.",
    ),
    "PF404": (
        "The Python API was given an `argo_version` this compiler does not target (the CLI's "
        "`--argo-version` only offers the known ones).",
        "(polyflow_argo.compile(\"p.yaml\", argo_version=\"9\"))\n",
        "Use one of 3.5, 3.6, 3.7 or 4.",
    ),
    "PF410": (
        "`max_retries`, `retry_delay` or `max_retry_delay` is negative.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, max_retries: -1}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Give a number >= 0.",
    ),
    "PF412": (
        "The pipeline's `concurrency` is below 1.",
        _HEAD
        + f"""\
concurrency: 0
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Give at least 1, or remove `concurrency` (no limit).",
    ),
    "PF420": (
        "An op's `conditions` reads an op that is not upstream of it: Argo can only read the "
        "status or outputs of tasks the op depends on.",
        _HEAD
        + f"""\
ops:
  - {{name: a, template: {{name: t}}}}
  - {{name: b, template: {{name: t}}, conditions: {{kind: status, op: a, trigger: succeeded}}}}
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Add that op to the op's `dependencies`.",
    ),
    "PF422": (
        "An outputs condition reads an output the upstream op's template does not declare.",
        _HEAD
        + f"""\
ops:
  - {{name: train, template: {{name: t}}}}
  - name: deploy
    template: {{name: t}}
    dependencies: [train]
    conditions: {{kind: outputs, op: train, exp: eq, params: [[accuracy_ok, 'true']]}}
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Declare the output in the producer template's `outputs`.",
    ),
    "PF430": (
        "A flag input (`is_flag: true`) is given a reference: Argo cannot add or leave out a "
        "`--flag` at run time.",
        _HEAD
        + f"""\
ops:
  - {{name: a, template: {{name: p}}}}
  - {{name: b, template: {{name: c}}, dependencies: [a], params: {{debug: '{{{{ ops.a.outputs.debug }}}}'}}}}
templates:
  - {{kind: job, name: p, {_IMAGE}, outputs: [{{name: debug, type: bool}}]}}
  - {{kind: job, name: c, {_IMAGE}, inputs: [{{name: debug, type: bool, is_flag: true, is_optional: true}}]}}
""",
        "Pass a literal `true`/`false`.",
    ),
    "PF431": (
        "A param references a Polyaxon run outside the pipeline (`{{ jobs.42.outputs.x }}`, "
        "`{{ experiments.7.outputs.x }}`), which does not exist on Argo.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{model: '{{{{ jobs.42.outputs.model }}}}'}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, inputs: [{{name: model, type: str}}]}}]
""",
        "Pass the value as a literal, or produce it with an op of this pipeline.",
    ),
    "PF432": (
        "A string that lands in the manifest contains a literal `{{` or `}}`: Argo would read it "
        "as one of its template tags, and it has no escape.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{annotations: {{note: 'see {{{{ docs }}}}'}}}}}}]
""",
        "Remove the braces; pass such text to the container through a file or a ConfigMap.",
    ),
    "PF433": (
        "`run.cmd` has Jinja statements (`{% ... %}`), which Argo cannot run.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, run: {{cmd: '{{% if true %}}echo hi{{% endif %}}'}}}}]
""",
        "Compute the value in an op, or in the command itself (shell `if`).",
    ),
    "PF434": (
        "`run.cmd` has a Jinja expression (`{{ lr * 2 }}`, a filter, ...); on Argo only bare "
        "input names are rendered.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{lr: 0.1}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, inputs: [{{name: lr, type: float}}], run: {{cmd: 'python train.py --lr {{{{ lr * 2 }}}}'}}}}]
""",
        "Write `{{ lr }}` and compute in the program (or in the shell).",
    ),
    "PF435": (
        "`run.cmd` uses `{{ name }}`, but the template has no input of that name.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{lr: 0.1}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, inputs: [{{name: lr, type: float}}], run: {{cmd: 'python train.py --lr {{{{ lrr }}}}'}}}}]
""",
        "Use the name of an input (the hint suggests the closest), or declare it in `inputs`.",
    ),
    "PF436": (
        "`run.cmd` has an unmatched `{{` or `}}`; Argo has no escape for literal braces.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{lr: 0.1}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, inputs: [{{name: lr, type: float}}], run: {{cmd: 'python train.py --lr {{{{ lr'}}}}]
""",
        "Close the tag (`{{ lr }}`), or remove the stray braces.",
    ),
    "PF437": (
        "`run.cmd` uses `{{ name }}` inside a quoted here-document (`<<'EOF'`), where the shell "
        "expands nothing, so the value would never reach the script.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{lr: 0.1}}}}]
templates:
  - kind: job
    name: t
    {_IMAGE}
    inputs: [{{name: lr, type: float}}]
    run:
      cmd: |
        python - <<'EOF'
        print({{{{ lr }}}})
        EOF
""",
        "Unquote the delimiter (`<<EOF`), or read the input's environment variable in the script.",
    ),
    "PF440": (
        "An op's template has no `build`, so there is no image to run.",
        _HEAD
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, run: {cmd: echo hi}}]
""",
        "Set `build: {image: 'registry/name:tag'}` on the template or on the op.",
    ),
    "PF441": (
        "A distributed `mxnet` experiment needs an MXJob, which the training operator no longer "
        "has (removed in v1.9.0).",
        _HEAD
        + """\
ops: [{name: a, template: {name: t}}]
templates:
  - kind: experiment
    name: t
    build: {image: 'mxnet/python:1.9.1_gpu'}
    run: {cmd: python train.py}
    framework: mxnet
    environment: {replicas: {n_workers: 2}}
""",
        "Run it with `backend: mpi` (an MPIJob), or port it to pytorch or tensorflow.",
    ),
    "PF442": (
        "An input, output or matrix parameter name cannot be an Argo parameter name.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{'learning rate': 0.1}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, inputs: [{{name: 'learning rate', type: float}}]}}]
""",
        "Use letters, digits, `-` and `_` only.",
    ),
    "PF443": (
        "An op's `concurrency` is below 1, or `environment.max_restarts` is negative.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, concurrency: 0}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Give a `concurrency` of at least 1 and a `max_restarts` >= 0.",
    ),
    "PF444": (
        "An op uses a template kind polyflow-argo does not run (`notebook`, `tensorboard`): an "
        "interactive service has no end, so a DAG task could not complete.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: notebook, name: t, {_IMAGE}}}]
""",
        "Use a job or experiment template; run notebooks outside the pipeline.",
    ),
    "PF445": (
        "An op uses a `path`, `url`, `action` or `event` template that was not resolved before "
        "translation (a pipeline compiled through the API without resolving its sources).",
        "(`polyflow_argo.compile(pipeline)` of a `Pipeline` loaded without `resolve_sources=True`)\n",
        "Compile the file (or `load(..., resolve_sources=True)`), which resolves every template.",
    ),
    "PF446": (
        "An op using a registry `action` or `event` sets something (`environment`, `build`, ...) "
        "that the published template fixes: it runs as published.",
        """\
# $ polyflow-argo compile --registry registry pipeline.yaml
# ==> registry/notify.yaml <==
kind: action
name: notify-slack
version: 1.0.0
template: {kind: job, name: notify, build: {image: 'curlimages/curl:8.7.1'}, run: {cmd: 'true'}}
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {action: 'notify-slack:1.0.0'}, environment: {node_selector: {pool: cpu}}}]
""",
        "Set it in the entry's template and publish a new version, or use a `path:` template.",
    ),
    "PF447": (
        "`environment.replicas` on an op whose template cannot run distributed (not an experiment, "
        "or no distributed `framework`), or a replica type the job kind does not have.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, environment: {{replicas: {{n_workers: 2}}}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Use an experiment template with `framework:`, or remove `replicas`.",
    ),
    "PF448": (
        "Per-index replica settings (`replicas.worker: [{index: ...}]`) that a training-operator "
        "job cannot express: a repeated index, settings that differ between replicas of a type "
        "(one pod template per type), or (warning) an index beyond the replica count.",
        _HEAD
        + "ops: [{name: a, template: {name: t}}]\n"
        + _DISTRIBUTED
        + """\
    environment:
      replicas:
        n_workers: 2
        worker:
          - {index: 0, resources: {cpu: {requests: 4}}}
          - {index: 0, resources: {cpu: {requests: 4}}}
""",
        "Give each entry its own index, and the same settings to every replica of a type (put "
        "them in `default_worker`).",
    ),
    "PF449": (
        "A distributed experiment declares outputs: its pods belong to the training operator, so "
        "Argo cannot read files from them.",
        _HEAD
        + "ops: [{name: a, template: {name: t}}]\n"
        + _DISTRIBUTED
        + """\
    outputs: [{name: model, type: str}]
    environment: {replicas: {n_workers: 2, n_ps: 1}}
""",
        "Write results to storage and pass the path as a literal, or run the step that produces "
        "outputs as a job.",
    ),
    "PF450": (
        "The Workflow (or WorkflowTemplate) name is longer than Argo allows (63 characters).",
        "# $ polyflow-argo compile --name "
        + "a" * 70
        + " pipeline.yaml\n"
        + f"""\
version: 1
kind: pipeline
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Choose a shorter `--name` (or pipeline `name`).",
    ),
    "PF451": (
        "The Workflow would have more templates than Argo's CRD allows (200).",
        "(a pipeline whose ops need more than 200 distinct templates)\n",
        "Let ops share templates (same template, environment and retries), or split the pipeline.",
    ),
    "PF452": (
        "The pipeline has more ops than Argo allows tasks in one DAG (200).",
        "(a pipeline with more than 200 ops)\n",
        "Split the pipeline into several pipelines.",
    ),
    "PF453": (
        "A template has more inputs than Argo allows (500).",
        "(a template with more than 500 inputs, or a group whose matrix gives that many parameters)\n",
        "Pass fewer, larger values (a `dict` input).",
    ),
    "PF454": (
        "The compiled object is larger than Argo stores (about 1 MB in etcd).",
        "(a pipeline whose Workflow is over the limit, e.g. thousands of ops with long commands)\n",
        "Split the pipeline, or publish shared templates to the registry (`registry push`).",
    ),
    "PF455": (
        "A resource amount cannot be a Kubernetes quantity: not positive, below the smallest unit "
        "(1m cpu, 1Ki memory), or a fraction of a device (gpu, tpu).",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{resources: {{gpu: {{limits: 0.5}}}}}}}}]
""",
        "Give a positive number (cores for cpu, MiB for memory, whole devices for gpu/tpu).",
    ),
    "PF456": (
        "A resource's `requests` exceeds its `limits`, or a device resource (gpu, tpu) has "
        "requests different from limits, which Kubernetes rejects.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{resources: {{cpu: {{requests: 2, limits: 1}}}}}}}}]
""",
        "Raise `limits` to at least `requests` (devices: give one number, `limits`).",
    ),
    "PF457": (
        "A label or `node_selector` key or value is not valid in Kubernetes.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{labels: {{team: 'ML ops'}}}}}}]
""",
        "Use at most 63 letters, digits, `-`, `_` and `.`, alphanumeric at both ends (e.g. "
        "`ml-ops`); put free text in `annotations`.",
    ),
    "PF458": (
        "An annotation key is not valid in Kubernetes, or the annotations (the pipeline "
        "description included) exceed 256 KiB.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{annotations: {{'my note': hello}}}}}}]
""",
        "Write keys as `[prefix/]name` (e.g. `example.com/note`); keep annotations short.",
    ),
    "PF459": (
        "A Kubernetes object name (`service_account`, `image_pull_secrets`, `secret_refs`, "
        "`config_map_refs`, `--service-account`) is not a valid name.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{secret_refs: [AWS_Creds]}}}}]
""",
        "Use lower case letters, digits, `-` and `.`, alphanumeric at both ends.",
    ),
    "PF461": (
        "The schedule needs a CronWorkflow feature the target Argo lacks (`when` to honour "
        "`start_at`/`end_at`, `stopStrategy` for `depends_on_past`).",
        "# $ polyflow-argo compile --argo-version 3.5 pipeline.yaml\n"
        + f"""\
version: 1
kind: pipeline
name: nightly
schedule: {{kind: cron, cron: '0 0 * * *', depends_on_past: true}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Target `--argo-version 3.6` or newer.",
    ),
    "PF462": (
        "An interval `frequency` is not a whole number of minutes, and Argo schedules have no "
        "seconds.",
        _HEAD
        + f"""\
name: often
schedule: {{kind: interval, start_at: '2026-01-01T00:00:00Z', frequency: 90}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Use a multiple of 60 (the hint gives the nearest), or pass `--allow-every-drift` to run "
        "`@every 90s`, which drifts.",
    ),
    "PF463": (
        "A scheduled pipeline has no name: its CronWorkflow is applied and updated by name.",
        _HEAD
        + f"""\
schedule: {{kind: cron, cron: '0 0 * * *'}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Add `name:` to the pipeline, or pass `--name`.",
    ),
    "PF464": (
        "The CronWorkflow name is longer than 52 characters: Argo appends `-<unix time>` to name "
        "each run.",
        _HEAD
        + f"""\
name: {"nightly-" + "x" * 50}
schedule: {{kind: cron, cron: '0 0 * * *'}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Choose a shorter pipeline `name` (or `--name`).",
    ),
    "PF465": (
        "Warning: Argo schedules have minute precision, so an interval's `start_at` with seconds "
        "is rounded up to the next minute: runs are never before `start_at`.",
        _HEAD
        + f"""\
name: hourly
schedule: {{kind: interval, start_at: '2026-01-01T00:00:30Z', frequency: 3600}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Give `start_at` on a whole minute.",
    ),
    "PF466": (
        "Warning: with `--allow-every-drift`, `@every Ns` counts from each update of the "
        "CronWorkflow, not from `start_at`, so runs drift.",
        "# $ polyflow-argo compile --allow-every-drift pipeline.yaml\n"
        + f"""\
version: 1
kind: pipeline
name: often
schedule: {{kind: interval, start_at: '2026-01-01T00:00:00Z', frequency: 90}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Use a frequency in whole minutes for exact runs.",
    ),
    "PF467": (
        "The schedule needs several cron entries (e.g. every 90 minutes), and the target Argo's "
        "CronWorkflows take one.",
        "# $ polyflow-argo compile --argo-version 3.5 pipeline.yaml\n"
        + f"""\
version: 1
kind: pipeline
name: every-90-minutes
schedule: {{kind: interval, start_at: '2026-01-01T00:00:00Z', frequency: 5400}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Target `--argo-version 3.6` or newer (a `schedules` list).",
    ),
    "PF468": (
        "A built-in event's regular expression (the http event's `body`) is one RE2, the plugin's "
        "linear-time engine, refuses: a backreference, lookaround, or invalid syntax.",
        _HEAD
        + r"""name: wait
ops:
  - name: ready
    template: {event: http}
    params: {url: 'https://example.com/ready', body: '(ready)\s+\1'}
""",
        "Rewrite the pattern without backreferences or lookaround (RE2 syntax: "
        "https://github.com/google/re2/wiki/Syntax).",
    ),
    "PF470": (
        "`backfill` is given a pipeline without a schedule.",
        "# $ polyflow-argo backfill pipeline.yaml --from 2026-01-01T00:00:00Z --to 2026-01-02T00:00:00Z\n"
        + f"""\
version: 1
kind: pipeline
name: once
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Add a `schedule:`; a one-off run is `polyflow-argo compile` (or `submit`).",
    ),
    "PF471": (
        "`backfill --to` is before `--from`.",
        "# $ polyflow-argo backfill pipeline.yaml --from 2026-01-02T00:00:00Z --to 2026-01-01T00:00:00Z\n"
        + f"""\
version: 1
kind: pipeline
name: nightly
schedule: {{kind: cron, cron: '0 0 * * *'}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Swap them.",
    ),
    "PF472": (
        "The schedule has no instant in the `backfill` window, so there is nothing to run.",
        "# $ polyflow-argo backfill pipeline.yaml --from 2026-01-01T01:00:00Z --to 2026-01-01T02:00:00Z\n"
        + f"""\
version: 1
kind: pipeline
name: nightly
schedule: {{kind: cron, cron: '0 0 * * *'}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Widen the window; `polyflow-argo schedule next FILE --from ...` lists the instants.",
    ),
    "PF473": (
        "The `backfill` window holds more runs than backfill emits at once.",
        "# $ polyflow-argo backfill pipeline.yaml --from 2026-01-01T00:00:00Z --to 2027-01-01T00:00:00Z\n"
        + f"""\
version: 1
kind: pipeline
name: every-minute
schedule: {{kind: cron, cron: '* * * * *'}}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}}}]
""",
        "Backfill a shorter window at a time.",
    ),
    "PF480": (
        "A `group` template has no `hptuning`, so there is nothing to search.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: group, name: t, {_IMAGE}, run: {{cmd: python train.py}}}}]
""",
        "Add `hptuning: {matrix: {lr: {values: [0.01, 0.1]}}}`, or use `kind: experiment`.",
    ),
    "PF481": (
        "A matrix parameter of a group has the name of one of its inputs or outputs.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}, params: {{lr: 0.1}}}}]
templates:
  - kind: group
    name: t
    {_IMAGE}
    run: {{cmd: 'python train.py --lr {{{{ lr }}}}'}}
    inputs: [{{name: lr, type: float}}]
    hptuning: {{matrix: {{lr: {{values: [0.01, 0.1]}}}}}}
""",
        "Rename one of them: the matrix gives each trial its own value.",
    ),
    "PF482": (
        "`hptuning.metric` names an output the group does not declare, so no trial could be picked.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates:
  - kind: group
    name: t
    {_IMAGE}
    run: {{cmd: python train.py}}
    hptuning:
      metric: {{name: loss, optimization: minimize}}
      matrix: {{lr: {{values: [0.01, 0.1]}}}}
""",
        "Declare it in `outputs` (e.g. `{name: loss, type: float}`), or fix the name.",
    ),
    "PF483": (
        "`environment.data_refs` or `artifact_refs` names a volume that the project config "
        "(`polyflow.yaml`) does not define under `data` or `artifacts`.",
        _HEAD
        + f"""\
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, {_IMAGE}, environment: {{data_refs: [imagenet]}}}}]
""",
        "Add `data: {imagenet: {claim: <PersistentVolumeClaim>}}` to `polyflow.yaml`, or fix the "
        "name (docs/templates.md).",
    ),
    "PF490": (
        "An op builds its image (`dockerfile`, or `image` with `build_steps`), but no build "
        "context or no registry is configured.",
        _HEAD
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {dockerfile: Dockerfile}, run: {cmd: python train.py}}]
""",
        "Set `build: {context: ..., registry: ...}` in `polyflow.yaml`, or pass `--build-context` "
        "and `--build-registry` (docs/builds.md).",
    ),
    "PF491": (
        "A build `ref` cannot be used: a Polyaxon build id (which does not exist on Argo), an "
        "invalid image reference or tag, or a tag with no registry configured.",
        _HEAD
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {ref: 42}, run: {cmd: python train.py}}]
""",
        "Write the tag of an earlier build (`ref: <tag>`) or a full image (`ref: registry/name:tag`).",
    ),
    "PF492": (
        "A build has `backend: other`, a custom Polyaxon builder that does not exist on Argo.",
        _COMPILE
        + _PROJECT
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {dockerfile: Dockerfile, backend: other}, run: {cmd: python train.py}}]
""",
        "Remove `backend` (the project's builder), or write `backend: kaniko`.",
    ),
    "PF493": (
        "A build has its own `dockerfile` and also `build_steps`, `env_vars` or `lang_env`, which "
        "only generate a Dockerfile from `image`: they would be ignored.",
        _COMPILE
        + _PROJECT
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {dockerfile: Dockerfile, build_steps: [pip install -r requirements.txt]}, run: {cmd: python train.py}}]
""",
        "Move the steps into the Dockerfile, or remove them.",
    ),
    "PF494": (
        "The generated Dockerfile would be broken: an invalid `env_vars` name, a build step "
        "spanning several lines, or `{{`/`}}` that Argo cannot pass through.",
        _COMPILE
        + _PROJECT
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim', env_vars: [['MY-VAR', '1']]}, run: {cmd: python train.py}}]
""",
        "Use env var names of letters, digits and `_` (not starting with a digit), one line per "
        "step, no braces.",
    ),
    "PF495": (
        "A build's `commit` or `branch` selects a git revision, but the build context is not git "
        "(an object store or a tarball).",
        _COMPILE
        + """\
# ==> polyflow.yaml <==
version: 1
build:
  context: s3://ml-bucket/src.tar.gz
  registry: registry.example.com/ml/polyflow
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {dockerfile: Dockerfile, commit: 5d41402abc4b2a76b9719d911017c592ae1f2c3d}, run: {cmd: python train.py}}]
""",
        "Use a git context, or remove `commit`/`branch`.",
    ),
    "PF496": (
        "A build's `dockerfile` or `context` path is absolute or leaves the build context.",
        _COMPILE
        + _PROJECT
        + """\
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {dockerfile: ../Dockerfile}, run: {cmd: python train.py}}]
""",
        "Give a path relative to the root of the build context, inside it (e.g. "
        "`dockerfile: docker/Dockerfile`).",
    ),
    "PF497": (
        "A distributed experiment builds its image (or uses a build `ref`); the training job only "
        "takes `build: {image: ...}` for now.",
        _COMPILE
        + _PROJECT
        + """\
ops: [{name: a, template: {name: t}}]
templates:
  - kind: experiment
    name: t
    build: {dockerfile: Dockerfile}
    run: {cmd: python train.py}
    framework: tensorflow
    environment: {replicas: {n_workers: 2, n_ps: 1}}
""",
        "Build the image in a `kind: build` op and give the experiment its reference as "
        "`build: {image: ...}`.",
    ),
    "PF498": (
        "Warning: a build is not pinned to a commit (a branch, or the default branch), so every "
        "run builds and pushes a new tag and nothing is reused.",
        _COMPILE
        + """\
# ==> polyflow.yaml <==
version: 1
build:
  context: https://github.com/org/repo.git
  registry: registry.example.com/ml/polyflow
# ==> pipeline.yaml <==
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {dockerfile: Dockerfile}, run: {cmd: python train.py}}]
""",
        "Pin the context (`...repo.git#<commit>`) or the build (`commit: <sha>`).",
    ),
}

NOT_EXAMPLE_CHECKED: dict[str, str] = {
    "PF404": "the CLI's --argo-version has fixed choices; raised only through the Python API",
    "PF437": "not reachable from a pipeline file: `run.cmd` is joined into one line (as Polyflow 0.5 "
    "did), so no here-document body is left to check",
    "PF445": "the CLI and `compile(path)` resolve every template first; raised only through the API",
    "PF451": "needs a pipeline with more than 200 templates",
    "PF452": "needs a pipeline with more than 200 ops",
    "PF453": "needs a template with more than 500 inputs",
    "PF454": "needs a Workflow of over 1 MB",
}
