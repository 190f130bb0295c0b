"""Distributed experiments → an Argo resource template creating a training-operator v1.9.0 job.

Each compiled job is rendered the way Argo renders it (input parameters substituted, ``{{=toJson()}}``
evaluated), then validated against the operator's CRD schema (tests/schemas/training-operator/,
with unknown fields rejected as ``kubectl --validate=strict`` does). The whole Workflow is checked
against Argo's JSON Schema when ../shared is present. The success and failure conditions are
parsed with Kubernetes' label-selector rules and evaluated on job statuses the operator writes.
"""

from __future__ import annotations

import json
import re
from functools import cache, partial
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

import polyflow_argo
from polyflow_argo.compiler import compile_with_warnings
from polyflow_argo.translate.check import hera_round_trip, schema_errors
from polyflow_argo.translate.distributed import FAILURE_CONDITION, SUCCESS_CONDITION
from tests.support import errors
from tests.kubelet_env import environment
from tests.translate.argo_expr import substitute

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "training-operator" / "v1.9.0"
IMAGE = "tensorflow/tensorflow:1.14.0-gpu-py3"


def pipeline(
    template: str,
    op: str = "",
    *,
    outputs: str = "",
    extra: str = "",
    cmd: str = "'python train.py --lr={{ lr }}'",
) -> str:
    """A one-op pipeline around an experiment template given as YAML lines (indented 4)."""
    return f"""\
version: 1
kind: pipeline
name: dist
{extra}ops:
  - name: train
    template: {{name: t}}
    params: {{lr: '0.1'}}
{op}templates:
  - kind: experiment
    name: t
    inputs: [{{name: lr, type: str}}]
{outputs}    build: {{image: '{IMAGE}'}}
    run: {{cmd: {cmd}}}
{template}"""


TF = """\
    framework: tensorflow
    environment:
      resources: {cpu: {requests: 1, limits: 2}, memory: {requests: 512}}
      node_selector: {pool: cpu}
      secret_refs: [aws-creds]
      service_account: trainer
      image_pull_secrets: [registry-creds]
      replicas:
        n_workers: 2
        n_ps: 1
        default_worker: {resources: {gpu: {requests: 1, limits: 1}}, tolerations: [{operator: Exists}]}
        default_ps: {resources: {cpu: {requests: 0.5}}}
"""


def compile_one(text: str) -> dict[str, Any]:
    (wf,) = polyflow_argo.compile(text)
    return wf


def resource_template(wf: dict[str, Any]) -> dict[str, Any]:
    (tpl,) = [t for t in wf["spec"]["templates"] if "resource" in t]
    return tpl


# (code, "line:column", message) of every diagnostic, warnings too, of the error compiling a text raises
diagnostics = partial(errors, select="code at message", severity=None)


# --- what Argo does with the manifest ---------------------------------------------------------

CMD = 'python train.py --lr="${POLYFLOW_PARAM_LR}"'


def render(tpl: dict[str, Any], params: dict[str, str], workflow: str = "dist-abc12") -> dict[str, Any]:
    """The manifest after Argo's substitution (tests/translate/argo_expr.py models Argo's expression
    evaluation), parsed (it is JSON, hence also YAML for kubectl)."""
    text = tpl["resource"]["manifest"]
    assert "}}" not in "".join(re.findall(r"\{\{=(.*?)\}\}", text)), "a '}}' would end a tag early"
    return json.loads(substitute(text, params, {"workflow.name": workflow}))


def argo_lint_parses(manifest: str) -> Any:
    """Argo's validator replaces each expression by a placeholder, then needs valid YAML."""
    import yaml

    return yaml.safe_load(re.sub(r"\{\{\s*=\s*(.+?)\s*\}\}", "placeholder-1", manifest))


# --- the operator's CRD schemas ---------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """Reject unknown fields, as the API server does with strict field validation."""
    if isinstance(schema, dict):
        out = {
            k: _strict(v) if k != "properties" else {p: _strict(s) for p, s in v.items()}
            for k, v in schema.items()
        }
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_validator(kind: str) -> Draft7Validator:
    return Draft7Validator(_strict(json.loads((SCHEMAS / f"{kind.lower()}.schema.json").read_text())))


RESTART_POLICIES = {"Always", "OnFailure", "Never", "ExitCode"}  # pkg/apis/kubeflow.org/v1/common_types.go
CLEAN_POD_POLICIES = {"All", "Running", "None"}
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def check_job(job: dict[str, Any], kind: str, specs_key: str) -> dict[str, Any]:
    """Validate against the CRD schema and the operator's webhook rules; returns the replica specs."""
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in crd_validator(kind).iter_errors(job)
    ]
    assert errors == []
    assert (job["apiVersion"], job["kind"]) == ("kubeflow.org/v1", kind)
    assert DNS_1035.match(job["metadata"]["generateName"] + "abcde")
    assert len(job["metadata"]["generateName"]) + 5 + len("-launcher-99") <= 63
    assert job["spec"]["runPolicy"]["cleanPodPolicy"] in CLEAN_POD_POLICIES
    specs: dict[str, Any] = job["spec"][specs_key]
    container = {"TFJob": "tensorflow", "PyTorchJob": "pytorch", "MPIJob": "mpi"}[kind]
    for spec in specs.values():
        assert spec["restartPolicy"] in RESTART_POLICIES
        assert [c["name"] for c in spec["template"]["spec"]["containers"]] == [container]
    return specs


def container(specs: dict[str, Any], role: str) -> dict[str, Any]:
    main: dict[str, Any] = specs[role]["template"]["spec"]["containers"][0]
    return main


# --- mapping per framework --------------------------------------------------------------------


def test_tensorflow_maps_master_workers_and_ps_to_chief_worker_ps() -> None:
    tpl = resource_template(compile_one(pipeline(TF)))
    res = tpl["resource"]
    assert (res["action"], res["setOwnerReference"]) == ("create", True)
    assert (res["successCondition"], res["failureCondition"]) == (SUCCESS_CONDITION, FAILURE_CONDITION)
    assert tpl["inputs"] == {"parameters": [{"name": "polyflow-op"}, {"name": "lr"}]}
    job = render(tpl, {"polyflow-op": "train", "lr": "0.1"})
    specs = check_job(job, "TFJob", "tfReplicaSpecs")
    assert {role: s["replicas"] for role, s in specs.items()} == {"Chief": 1, "PS": 1, "Worker": 2}
    assert job["metadata"]["labels"] == {"polyflow.io/op": "train", "polyflow.io/workflow": "dist-abc12"}
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "Running"}
    chief, worker, ps = (container(specs, r) for r in ("Chief", "Worker", "PS"))
    for main in (chief, worker, ps):
        assert main["image"] == IMAGE
        assert main["command"] == ["/bin/bash", "-c"]
        assert main["args"] == [CMD]
        assert main["env"] == [
            {"name": "POLYFLOW_PARAM_LR", "value": "0.1"},
            {"name": "POLYAXON_PARAMS", "value": '{"lr":"0.1"}'},
        ]
        assert main["envFrom"] == [{"secretRef": {"name": "aws-creds"}}]
    # the master is the experiment's environment; workers and ps only their own (as in Polyaxon)
    assert chief["resources"] == {"requests": {"cpu": "1", "memory": "512Mi"}, "limits": {"cpu": "2"}}
    assert worker["resources"] == {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}
    assert ps["resources"] == {"requests": {"cpu": "500m"}}
    pods = {role: s["template"]["spec"] for role, s in specs.items()}
    assert pods["Chief"]["nodeSelector"] == {"pool": "cpu"}
    assert "nodeSelector" not in pods["Worker"] and pods["Worker"]["tolerations"] == [{"operator": "Exists"}]
    for pod in pods.values():
        assert pod["serviceAccountName"] == "trainer"
        assert pod["imagePullSecrets"] == [{"name": "registry-creds"}]
    for spec in specs.values():
        assert spec["restartPolicy"] == "Never"
        assert spec["template"]["metadata"]["labels"] == {"polyflow.io/op": "train"}


def test_pytorch_maps_master_and_workers() -> None:
    template = """\
    framework: pytorch
    environment:
      replicas: {n_workers: 3, default_worker: {resources: {gpu: {limits: 2}}}}
"""
    specs = check_job(
        render(resource_template(compile_one(pipeline(template))), {"polyflow-op": "train", "lr": "1"}),
        "PyTorchJob",
        "pytorchReplicaSpecs",
    )
    assert {role: s["replicas"] for role, s in specs.items()} == {"Master": 1, "Worker": 3}
    assert "resources" not in container(specs, "Master")
    assert container(specs, "Worker")["resources"] == {"limits": {"nvidia.com/gpu": "2"}}
    assert container(specs, "Worker")["args"] == [CMD]
    assert container(specs, "Worker")["env"][0] == {"name": "POLYFLOW_PARAM_LR", "value": "1"}


def test_pytorch_without_workers_is_a_master_alone() -> None:
    template = "    framework: pytorch\n    environment: {replicas: {n_workers: 0}}\n"
    specs = check_job(
        render(resource_template(compile_one(pipeline(template))), {"polyflow-op": "t", "lr": "1"}),
        "PyTorchJob",
        "pytorchReplicaSpecs",
    )
    assert list(specs) == ["Master"]  # the operator's webhook rejects a Worker spec with 0 replicas


@pytest.mark.parametrize(
    "template",
    [
        "    framework: horovod\n    environment: {replicas: {n_workers: 2}}\n",
        "    framework: tensorflow\n    backend: mpi\n    environment: {replicas: {n_workers: 2}}\n",
        "    framework: mxnet\n    backend: mpi\n    environment: {replicas: {n_workers: 2}}\n",
    ],
    ids=["horovod", "backend-mpi", "mxnet-backend-mpi"],
)
def test_horovod_and_backend_mpi_give_an_mpijob_whose_launcher_runs_the_command(template: str) -> None:
    job = render(resource_template(compile_one(pipeline(template))), {"polyflow-op": "train", "lr": "0.1"})
    specs = check_job(job, "MPIJob", "mpiReplicaSpecs")
    assert {role: s["replicas"] for role, s in specs.items()} == {"Launcher": 1, "Worker": 2}
    assert container(specs, "Launcher")["args"] == [CMD]
    worker = container(specs, "Worker")
    assert "command" not in worker and "args" not in worker  # the operator runs `sleep 365d` in workers
    assert worker["env"] == container(specs, "Launcher")["env"]


def test_max_restarts_gives_on_failure_and_a_backoff_limit() -> None:
    template = TF.replace("      replicas:", "      max_restarts: 3\n      replicas:")
    job = render(resource_template(compile_one(pipeline(template))), {"polyflow-op": "train", "lr": "0.1"})
    specs = check_job(job, "TFJob", "tfReplicaSpecs")
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "Running", "backoffLimit": 3}
    assert {s["restartPolicy"] for s in specs.values()} == {"OnFailure"}


def test_op_environment_overrides_the_templates_replicas() -> None:
    op = "    environment: {replicas: {n_workers: 5}}\n"
    template = "    framework: pytorch\n    environment: {replicas: {n_workers: 1}}\n"
    job = render(resource_template(compile_one(pipeline(template, op))), {"polyflow-op": "train", "lr": "1"})
    assert check_job(job, "PyTorchJob", "pytorchReplicaSpecs")["Worker"]["replicas"] == 5


def test_pipeline_logging_reaches_every_replica() -> None:
    text = pipeline(
        "    framework: pytorch\n    environment: {replicas: {n_workers: 1}}\n",
        extra="logging: {level: DEBUG}\n",
    )
    specs = render(resource_template(compile_one(text)), {"polyflow-op": "train", "lr": "1"})["spec"][
        "pytorchReplicaSpecs"
    ]
    for role in ("Master", "Worker"):
        assert {"name": "POLYAXON_LOG_LEVEL", "value": "DEBUG"} in container(specs, role)["env"]


# --- per-index replica environments -----------------------------------------------------------

_INDEXED = """\
    framework: tensorflow
    environment:
      replicas:
        n_workers: 2
        default_worker: {{resources: {{cpu: {{requests: 2}}}}}}
        worker:
          - {{index: 0, resources: {{cpu: {{requests: {0}}}}}}}
          - {{index: 1, resources: {{cpu: {{requests: {1}}}}}}}
"""


def test_per_index_settings_apply_when_every_index_agrees() -> None:
    job = render(
        resource_template(compile_one(pipeline(_INDEXED.format(4, 4)))), {"polyflow-op": "t", "lr": "1"}
    )
    specs = check_job(job, "TFJob", "tfReplicaSpecs")
    assert container(specs, "Worker")["resources"] == {"requests": {"cpu": "4"}}


def test_per_index_settings_that_differ_are_rejected() -> None:
    ((code, where, message),) = diagnostics(pipeline(_INDEXED.format(4, 8)))
    assert (code, where) == ("PF448", "21:13")
    assert "worker replicas 0 and 1 get different resources" in message


def test_an_index_left_to_the_default_must_match_it() -> None:
    template = _INDEXED.replace("          - {{index: 1, resources: {{cpu: {{requests: {1}}}}}}}\n", "")
    ((code, _, message),) = diagnostics(pipeline(template.format(4)))
    assert code == "PF448" and "replicas 0 and 1" in message


def test_replica_entries_need_distinct_indexes() -> None:
    template = _INDEXED.replace("index: 1", "index: 0")
    ((code, where, message),) = diagnostics(pipeline(template.format(4, 4)))
    assert (code, where, message) == ("PF448", "21:13", "`replicas.worker[1]` repeats index 0")


def test_an_index_beyond_the_replicas_is_ignored_with_a_warning() -> None:
    template = _INDEXED.replace("index: 1", "index: 7")
    docs, warnings = compile_with_warnings(pipeline(template.format(2, 9)))
    assert docs
    assert [(w.code, w.span.line if w.span else 0) for w in warnings] == [("PF448", 21)]


def test_replica_fields_that_pods_cannot_take_per_type_are_dropped_with_a_warning() -> None:
    template = TF.replace("default_ps: {", "default_ps: {secret_refs: [x], max_restarts: 2, ")
    _, warnings = compile_with_warnings(pipeline(template))
    assert sorted((w.code, w.message.split(" is ")[0]) for w in warnings) == [
        ("PF401", "`replicas.default_ps.max_restarts`"),
        ("PF401", "`replicas.default_ps.secret_refs`"),
    ]


# --- what is rejected -------------------------------------------------------------------------


def test_mxnet_is_rejected_because_the_operator_has_no_mxjob() -> None:
    ((code, where, message),) = diagnostics(
        pipeline("    framework: mxnet\n    environment: {replicas: {n_workers: 2}}\n")
    )
    assert (code, where) == ("PF441", "14:16")
    assert "MXJob" in message and "v1.9.0" in message


def test_outputs_of_a_distributed_experiment_are_rejected() -> None:
    text = pipeline(TF, outputs="    outputs: [{name: model, type: str}]\n")
    ((code, where, message),) = diagnostics(text)
    assert (code, where) == ("PF449", "12:14")
    assert "Argo cannot read" in message


@pytest.mark.parametrize(
    ("template", "op", "expected"),
    [
        ("    framework: pytorch\n    environment: {replicas: {n_workers: -1}}\n", "", ("PF447", "15:41")),
        ("    framework: horovod\n    environment: {replicas: {n_workers: 0}}\n", "", ("PF447", "15:41")),
        ("    framework: horovod\n    environment: {replicas: {}}\n", "", None),
        ("    environment: {}\n", "    environment: {replicas: {n_workers: 2}}\n", ("PF447", "8:29")),
        (
            "    framework: pytorch\n    environment: {}\n",
            "    environment: {replicas: {n_ps: 2}}\n",
            ("PF447", "8:36"),
        ),
    ],
    ids=[
        "negative",
        "mpi-without-workers",
        "empty-replicas-is-single-pod",
        "op-replicas-no-framework",
        "op-ps-pytorch",
    ],
)
def test_invalid_replicas(template: str, op: str, expected: tuple[str, str] | None) -> None:
    if expected is None:
        wf = compile_one(pipeline(template, op))
        assert "container" in wf["spec"]["templates"][1]
        return
    assert [d[:2] for d in diagnostics(pipeline(template, op))] == [expected]


def test_replicas_on_a_job_template_are_rejected() -> None:
    text = pipeline("", "    environment: {replicas: {n_workers: 2}}\n").replace(
        "kind: experiment", "kind: job"
    )
    assert [d[:2] for d in diagnostics(text)] == [("PF447", "8:29")]


# --- substitution, conditions, schema ---------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0.1",
        'a "quoted" value',
        "back\\slash",
        "line\nbreak",
        "}} and {{ braces",
        "it's",
        '["a", "b"]',
        "é ✓",
        "$(POLYFLOW_PARAM_LR) $$ $(KUBERNETES_SERVICE_HOST)",  # the kubelet's $(VAR) expansion
    ],
)
def test_any_parameter_value_survives_substitution(value: str) -> None:
    tpl = resource_template(
        compile_one(pipeline(TF, cmd="\"echo '{literal}' && python train.py --lr={{ lr }}\""))
    )
    argo_lint_parses(tpl["resource"]["manifest"])
    job = render(tpl, {"polyflow-op": "train", "lr": value})
    chief = container(check_job(job, "TFJob", "tfReplicaSpecs"), "Chief")
    # values are data: the command expands the env var, which holds the value byte for byte
    assert chief["args"] == ["echo '{literal}' && " + CMD]
    env = environment((e["name"], e["value"]) for e in chief["env"])  # as the replica's process sees it
    assert list(env)[0] == "POLYFLOW_PARAM_LR" and env["POLYFLOW_PARAM_LR"] == value
    # POLYAXON_PARAMS is JSON whatever the value (an Argo expression builds it)
    assert json.loads(env["POLYAXON_PARAMS"]) == {"lr": value}


def test_compiling_twice_gives_the_same_bytes() -> None:
    from polyflow_argo.emit import to_yaml

    assert to_yaml(polyflow_argo.compile(pipeline(TF))) == to_yaml(polyflow_argo.compile(pipeline(TF)))


_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _requirements(selector: str) -> list[tuple[str, str | None]]:
    """k8s.io/apimachinery labels.Parse for the forms we emit: `key` (exists) and `key=value`."""
    out: list[tuple[str, str | None]] = []
    for part in selector.split(","):
        key, _, value = part.partition("=")
        assert _QUALIFIED_NAME.match(key) and len(key) <= 63, f"{key!r} is not a label key"
        assert not value or (_LABEL_VALUE.match(value) and len(value) <= 63)
        out.append((key, value or None))
    return out


def _gjson(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            return None
    return doc


def argo_outcome(status: dict[str, Any]) -> str:
    """workflow/executor/resource.go matchConditions: any failure requirement fails, then all
    success requirements must hold, else Argo keeps polling."""
    obj = {"status": status}
    for key, value in _requirements(FAILURE_CONDITION):
        if _gjson(obj, key) is not None and (value is None or str(_gjson(obj, key)) == value):
            return "Failed"
    success = _requirements(SUCCESS_CONDITION)
    if all(_gjson(obj, k) is not None and (v is None or str(_gjson(obj, k)) == v) for k, v in success):
        return "Succeeded"
    return "Running"


def _cond(*types: str) -> list[dict[str, str]]:
    return [{"type": t, "status": "True"} for t in types]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ({}, "Running"),
        ({"conditions": _cond("Created")}, "Running"),
        (
            {"conditions": _cond("Created", "Running"), "replicaStatuses": {"Worker": {"active": 2}}},
            "Running",
        ),
        ({"conditions": _cond("Created", "Restarting")}, "Running"),
        (
            {
                "conditions": _cond("Created", "Running", "Succeeded"),
                "completionTime": "2025-01-01T00:00:00Z",
            },
            "Succeeded",
        ),
        (
            {"conditions": _cond("Created", "Succeeded"), "completionTime": "2025-01-01T00:00:00Z"},
            "Succeeded",
        ),
        (
            {"conditions": _cond("Created", "Running", "Failed"), "completionTime": "2025-01-01T00:00:00Z"},
            "Failed",
        ),
        (
            {
                "conditions": _cond("Created", "Restarting", "Failed"),
                "completionTime": "2025-01-01T00:00:00Z",
            },
            "Failed",
        ),
        ({"conditions": _cond("Failed")}, "Failed"),  # failed validation, no completionTime
        ({"conditions": _cond("Created", "Suspended", "Running", "Succeeded", "Failed")}, "Failed"),
    ],
    ids=[
        "new",
        "created",
        "running",
        "restarting",
        "succeeded",
        "succeeded-fast",
        "failed",
        "backoff-limit",
        "invalid",
        "every-type",
    ],
)
def test_conditions_follow_the_operators_status(status: dict[str, Any], outcome: str) -> None:
    assert argo_outcome(status) == outcome


def test_workflow_passes_argo_schema_and_hera(argo_schema: Path) -> None:
    for template in (TF, "    framework: horovod\n    environment: {replicas: {n_workers: 2}}\n"):
        wf = compile_one(pipeline(template))
        assert schema_errors(wf, argo_schema) == []
        assert hera_round_trip(wf) == []
