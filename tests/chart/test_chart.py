"""The Helm chart charts/polyflow-argo: values schema, rendered manifests, RBAC, plugin ConfigMap.

There is no helm on the development machine, so the chart is rendered by tests/chart/helmlite.py, a
small test renderer that refuses every construct it does not implement (its docstring lists them).
Real helm renders it in CI (.github/workflows/e2e-kind.yaml: helm lint, helm install on kind).

Rendered manifests are checked with kubernetes-validate (strict, Kubernetes ``K8S_VERSION``) and,
when ../shared is present, the Argo kinds against Argo's JSON schema (else a visible skip).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from polyflow_argo.cli import main as cli_main
from polyflow_argo.emit import to_yaml
from polyflow_argo.plugin.manifest import (
    DEFAULT_IMAGE,
    PORT,
    S3_SECRET_KEYS,
    SERVICE_ACCOUNT,
    plugin_configmap,
)
from polyflow_argo.registry import load_registries
from polyflow_argo.registry.build import build_registry
from tests.chart.helmlite import Rendered, RenderError, coalesce, render_chart, schema_errors

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "polyflow-argo"
K8S_VERSION = "1.34"
RELEASE, NAMESPACE = "polyflow", "polyflow"
ARGO_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
KUBE_EVENTS_NAMESPACES = ["ml-a", "ml-b"]
KUBE_EVENTS_RULES = [{"apiGroups": ["batch"], "resources": ["jobs"]},
                     {"apiGroups": ["", "apps"], "resources": ["configmaps", "deployments/status"]}]


def _registry(cluster_scope: bool) -> list[dict[str, Any]]:
    docs, _ = build_registry(load_registries([ROOT / "examples" / "registry"]), cluster_scope=cluster_scope)
    return docs


@functools.cache
def _everything_values() -> dict[str, Any]:
    """Values that turn every option on (the registry templates are built from examples/registry)."""
    return {
        "workflow": {
            "serviceAccount": {
                "annotations": {"iam.gke.io/gcp-service-account": "wf@p.iam.gserviceaccount.com"}
            },
            "rbac": {"trainingJobs": True},
        },
        "submitter": {
            "serviceAccount": {"annotations": {"polyflow.io/owner": "ci"}},
            "rbac": {"clusterScope": True, "publishRegistry": True},
            "extraSubjects": [
                {"kind": "Group", "name": "ml-team", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "ServiceAccount", "name": "ci", "namespace": "ci"},
            ],
        },
        "plugin": {
            "image": {
                "repository": "registry.example.com/polyflow/plugin",
                "tag": "ci",
                "pullPolicy": "Never",
            },
            "port": 4356,
            "s3Secret": "s3-credentials",
            "kubeEvents": True,
            "kubeEventsNamespaces": KUBE_EVENTS_NAMESPACES,
            "kubeEventsRules": KUBE_EVENTS_RULES,
            "httpAllow": ["10.96.0.1/32", "fd00::/8"],
        },
        "registry": {"templates": _registry(False) + _registry(True)},
    }


STANDARD_LABELS = {
    "helm.sh/chart": "polyflow-argo-0.1.0",
    "app.kubernetes.io/name": "polyflow-argo",
    "app.kubernetes.io/instance": RELEASE,
    "app.kubernetes.io/version": "0.1.0",
    "app.kubernetes.io/part-of": "polyflow-argo",
    "app.kubernetes.io/managed-by": "Helm",
}

# The documented least RBAC (docs/chart.md, "RBAC verb by verb"). Adding a verb must change this table.
WORKFLOW_RULES = {
    ("argoproj.io", "workflowtaskresults", "create"),  # executor: report a step's outputs
    ("argoproj.io", "workflowtaskresults", "patch"),
    ("argoproj.io", "workflowtasksets", "list"),  # agent (plugin sidecars): its task set
    ("argoproj.io", "workflowtasksets", "watch"),
    ("argoproj.io", "workflowtasksets/status", "patch"),  # agent: node results
    ("argoproj.io", "workflows", "get"),  # backfill's wait step: `argoexec resource get` of the previous run
}
# workflow.rbac.trainingJobs: Argo's resource template (action: create) runs `kubectl create -f` then polls
# the job with a plain GET (workflow/executor/resource.go); no list, watch, patch or delete.
TRAINING_JOB_RULES = {
    ("kubeflow.org", r, v) for r in ("tfjobs", "pytorchjobs", "mpijobs") for v in ("create", "get")
}
# plugin.kubeEvents: the plugin sidecar's own account (docs/plugin.md, "Credentials and RBAC for k8s and
# pipeline"): pipeline events get a Workflow by name or list them by label; k8s events only get.
PLUGIN_RULES = {
    ("argoproj.io", "workflows", "get"),  # pipeline event with `name`
    ("argoproj.io", "workflows", "list"),  # pipeline event with `pipeline` (by label)
}
PLUGIN_USER_RULES = {
    ("batch", "jobs", "get"),
    ("", "configmaps", "get"),
    ("", "deployments/status", "get"),
    ("apps", "configmaps", "get"),
    ("apps", "deployments/status", "get"),
}  # KUBE_EVENTS_RULES
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "*"}
SUBMITTER_RULES = {
    ("argoproj.io", "workflows", "create"),  # submit, create --dry-run=server
    ("argoproj.io", "workflows", "get"),  # watch, logs, approve
    ("argoproj.io", "workflows", "list"),  # --watch
    ("argoproj.io", "workflows", "watch"),
    ("argoproj.io", "workflows", "patch"),  # approve (resume a suspend node)
    ("argoproj.io", "cronworkflows", "create"),  # submit a scheduled pipeline
    ("argoproj.io", "cronworkflows", "get"),
    ("argoproj.io", "cronworkflows", "patch"),  # ... again (update it)
    ("", "pods", "get"),  # logs
    ("", "pods", "list"),
    ("", "pods/log", "get"),
}
PUBLISH_RULES = {("argoproj.io", "workflowtemplates", v) for v in ("create", "get", "list", "patch")}
CLUSTER_PUBLISH_RULES = {
    ("argoproj.io", "clusterworkflowtemplates", v) for v in ("create", "get", "list", "patch")
}


@pytest.fixture(scope="module")
def default() -> Rendered:
    return render_chart(CHART, release=RELEASE, namespace=NAMESPACE)


@pytest.fixture(scope="module")
def everything() -> Rendered:
    return render_chart(CHART, _everything_values(), release=RELEASE, namespace=NAMESPACE)


def _by_kind(rendered: Rendered, kind: str) -> list[dict[str, Any]]:
    return [d for d in rendered.manifests() if d["kind"] == kind]


def _one(rendered: Rendered, kind: str) -> dict[str, Any]:
    docs = _by_kind(rendered, kind)
    assert len(docs) == 1, [d["metadata"]["name"] for d in docs]
    return docs[0]


def _rules(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (g, r, v)
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }


# --- values and schema -----------------------------------------------------------------------


def test_values_yaml_matches_the_schema() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema_errors(CHART, yaml.safe_load((CHART / "values.yaml").read_text())) == []


BAD_VALUES = [
    ("wrong-type", {"plugin": {"port": "4355"}}, "plugin.port: '4355' is not of type 'integer'"),
    ("wrong-type-bool", {"plugin": {"enabled": "yes"}}, "plugin.enabled: 'yes' is not of type 'boolean'"),
    (
        "unknown-top-key",
        {"plugins": {}},
        "(root): Additional properties are not allowed ('plugins' was unexpected)",
    ),
    (
        "unknown-nested-key",
        {"plugin": {"image": {"digest": "sha256:0"}}},
        "plugin.image: Additional properties are not allowed ('digest' was unexpected)",
    ),
    (
        "bad-enum",
        {"plugin": {"image": {"pullPolicy": "Sometimes"}}},
        "plugin.image.pullPolicy: 'Sometimes' is not one of ['', 'Always', 'IfNotPresent', 'Never']",
    ),
    (
        "bad-pattern-cpu",
        {"plugin": {"resources": {"limits": {"cpu": "lots"}}}},
        "plugin.resources.limits.cpu: 'lots' does not match '^([0-9]+m|[0-9]+(\\\\.[0-9]{1,3})?)$'",
    ),
    ("privileged-port", {"plugin": {"port": 80}}, "plugin.port: 80 is less than the minimum of 1024"),
    (
        "missing-limits",
        {"plugin": {"resources": {"limits": None}}},
        "plugin.resources: 'limits' is a required property",
    ),
    (
        "bad-sa-name",
        {"workflow": {"serviceAccount": {"name": "Polyflow_Workflow"}}},
        "workflow.serviceAccount.name: 'Polyflow_Workflow' does not match",
    ),
    (
        "empty-workflow-sa",
        {"workflow": {"serviceAccount": {"name": ""}}},
        "workflow.serviceAccount.name: '' does not match",
    ),
    (
        "subject-kind",
        {"submitter": {"extraSubjects": [{"kind": "Robot", "name": "r2"}]}},
        "submitter.extraSubjects.0.kind: 'Robot' is not one of ['User', 'Group', 'ServiceAccount']",
    ),
    (
        "sa-subject-without-namespace",
        {"submitter": {"extraSubjects": [{"kind": "ServiceAccount", "name": "ci"}]}},
        "submitter.extraSubjects.0: 'namespace' is a required property",
    ),
    (
        "registry-kind",
        {
            "registry": {
                "templates": [
                    {
                        "apiVersion": "argoproj.io/v1alpha1",
                        "kind": "Workflow",
                        "metadata": {"name": "x"},
                        "spec": {"templates": []},
                    }
                ]
            }
        },
        "registry.templates.0.kind: 'Workflow' is not one of ['WorkflowTemplate', 'ClusterWorkflowTemplate']",
    ),
    (
        "training-jobs-type",
        {"workflow": {"rbac": {"trainingJobs": "yes"}}},
        "workflow.rbac.trainingJobs: 'yes' is not of type 'boolean'",
    ),
    ("s3-secret-name", {"plugin": {"s3Secret": "S3_Creds"}}, "plugin.s3Secret: 'S3_Creds' does not match"),
    ("http-allow-name", {"plugin": {"httpAllow": ["example.com"]}},
     "plugin.httpAllow.0: 'example.com' does not match"),
    ("http-allow-type", {"plugin": {"httpAllow": "10.0.0.0/8"}},
     "plugin.httpAllow: '10.0.0.0/8' is not of type 'array'"),
    ("s3-secret-type", {"plugin": {"s3Secret": False}}, "plugin.s3Secret: False is not of type 'string'"),
    (
        "kube-events-type",
        {"plugin": {"kubeEvents": "true"}},
        "plugin.kubeEvents: 'true' is not of type 'boolean'",
    ),
    (
        "kube-events-namespace",
        {"plugin": {"kubeEventsNamespaces": ["ML"]}},
        "plugin.kubeEventsNamespaces.0: 'ML' does not match",
    ),
    (
        "kube-events-namespace-twice",
        {"plugin": {"kubeEventsNamespaces": ["ml", "ml"]}},
        "plugin.kubeEventsNamespaces: ['ml', 'ml'] has non-unique elements",
    ),
    (
        "kube-events-rule-verbs",
        {"plugin": {"kubeEventsRules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]}},
        "plugin.kubeEventsRules.0: Additional properties are not allowed ('verbs' was unexpected)",
    ),
    (
        "kube-events-rule-wildcard",
        {"plugin": {"kubeEventsRules": [{"apiGroups": ["*"], "resources": ["jobs"]}]}},
        "plugin.kubeEventsRules.0.apiGroups.0: '*' does not match",
    ),
    (
        "kube-events-rule-all-resources",
        {"plugin": {"kubeEventsRules": [{"apiGroups": ["batch"], "resources": ["*"]}]}},
        "plugin.kubeEventsRules.0.resources.0: '*' does not match",
    ),
    (
        "kube-events-rule-empty",
        {"plugin": {"kubeEventsRules": [{"apiGroups": ["batch"], "resources": []}]}},
        "plugin.kubeEventsRules.0.resources: [] should be non-empty",
    ),
    (
        "kube-events-rule-missing",
        {"plugin": {"kubeEventsRules": [{"resources": ["jobs"]}]}},
        "plugin.kubeEventsRules.0: 'apiGroups' is a required property",
    ),
]


@pytest.mark.parametrize(
    ("override", "expected"), [(o, e) for _, o, e in BAD_VALUES], ids=[i for i, _, _ in BAD_VALUES]
)
def test_schema_rejects_bad_values(override: dict[str, Any], expected: str) -> None:
    values = coalesce(yaml.safe_load((CHART / "values.yaml").read_text()), override)
    errors = schema_errors(CHART, values)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    with pytest.raises(RenderError, match="values do not match values.schema.json"):
        render_chart(CHART, override)


def _leaves(values: Any, prefix: str = "") -> set[str]:
    if isinstance(values, dict) and values:
        return set().union(*(_leaves(v, f"{prefix}{k}.") for k, v in values.items()))
    return {prefix.rstrip(".")}


def _schema_leaves(schema: dict[str, Any], prefix: str = "") -> set[str]:
    props = schema.get("properties")
    if schema.get("type") == "object" and props and prefix not in ("registry.templates.",):
        return set().union(*(_schema_leaves(v, f"{prefix}{k}.") for k, v in props.items() if k != "global"))
    return {prefix.rstrip(".")}


def test_schema_covers_every_value_and_forbids_unknown_keys() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert _schema_leaves(schema) == _leaves(values)

    def closed(node: dict[str, Any], path: str) -> None:
        if (
            node.get("type") == "object"
            and "properties" in node
            and path not in ("registry.templates.metadata", "registry.templates.spec")
        ):
            assert node.get("additionalProperties") is False, path
        for key, sub in node.get("properties", {}).items():
            closed(sub, f"{path}.{key}".lstrip("."))
        if "items" in node:
            closed(node["items"], path)

    closed(schema, "")


def test_chart_readme_lists_every_value() -> None:
    readme = (CHART / "README.md").read_text()
    missing = [leaf for leaf in sorted(_leaves(yaml.safe_load((CHART / "values.yaml").read_text())))
               if f"| `{leaf}` |" not in readme]
    assert missing == []


# --- Chart.yaml and versions ------------------------------------------------------------------


def test_chart_metadata_follows_pyproject() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = re.search(
        r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE
    )  # no tomllib on 3.10
    assert version is not None
    assert (chart["apiVersion"], chart["type"], chart["name"]) == ("v2", "application", "polyflow-argo")
    assert chart["appVersion"] == version.group(1)
    values = yaml.safe_load((CHART / "values.yaml").read_text())["plugin"]
    assert f"{values['image']['repository']}:{values['image']['tag']}" == DEFAULT_IMAGE
    assert values["port"] == PORT


# --- rendering --------------------------------------------------------------------------------


def _names(rendered: Rendered) -> set[tuple[str, str]]:
    return {(d["kind"], d["metadata"]["name"]) for d in rendered.manifests()}


def test_default_render_is_exactly_these_objects(default: Rendered) -> None:
    assert _names(default) == {
        ("ServiceAccount", "polyflow-workflow"),
        ("Secret", "polyflow-workflow.service-account-token"),
        ("Role", "polyflow-workflow"),
        ("RoleBinding", "polyflow-workflow"),
        ("ServiceAccount", "polyflow-submitter"),
        ("Role", "polyflow-submitter"),
        ("RoleBinding", "polyflow-submitter"),
        ("ConfigMap", "polyflow-executor-plugin"),
    }
    assert all(d["metadata"]["namespace"] == NAMESPACE for d in default.manifests())


def _located(rendered: Rendered) -> list[tuple[str, str, str]]:
    """(kind, namespace or "", name) of every object, sorted, repeats kept."""
    return sorted(
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in rendered.manifests()
    )


def _plugin_account_names(namespaces: list[str]) -> list[tuple[str, str, str]]:
    return [
        (kind, ns, name)
        for ns in namespaces
        for kind, name in (
            ("ServiceAccount", "polyflow-executor-plugin"),
            ("Secret", "polyflow-executor-plugin.service-account-token"),
            ("Role", "polyflow-executor-plugin"),
            ("RoleBinding", "polyflow-executor-plugin"),
        )
    ]


def test_everything_render(everything: Rendered) -> None:
    registry = {(d["kind"], d["metadata"]["name"]) for d in _everything_values()["registry"]["templates"]}
    assert len(registry) == 6
    assert _names(everything) == registry | {
        ("ServiceAccount", "polyflow-workflow"),
        ("Secret", "polyflow-workflow.service-account-token"),
        ("Role", "polyflow-workflow"),
        ("RoleBinding", "polyflow-workflow"),
        ("ServiceAccount", "polyflow-submitter"),
        ("ClusterRole", "polyflow-polyflow-submitter"),
        ("ClusterRoleBinding", "polyflow-polyflow-submitter"),
        ("ConfigMap", "polyflow-executor-plugin"),
        ("ServiceAccount", "polyflow-executor-plugin"),
        ("Secret", "polyflow-executor-plugin.service-account-token"),
        ("Role", "polyflow-executor-plugin"),
        ("RoleBinding", "polyflow-executor-plugin"),
    }
    located = [o for o in _located(everything) if o[0] not in ARGO_KINDS]
    assert located == sorted([
        ("ServiceAccount", NAMESPACE, "polyflow-workflow"),
        ("Secret", NAMESPACE, "polyflow-workflow.service-account-token"),
        ("Role", NAMESPACE, "polyflow-workflow"),
        ("RoleBinding", NAMESPACE, "polyflow-workflow"),
        ("ServiceAccount", NAMESPACE, "polyflow-submitter"),
        ("ClusterRole", "", "polyflow-polyflow-submitter"),
        ("ClusterRoleBinding", "", "polyflow-polyflow-submitter"),
        ("ConfigMap", NAMESPACE, "polyflow-executor-plugin"),
        *_plugin_account_names([NAMESPACE, *KUBE_EVENTS_NAMESPACES]),
    ])
    rendered = [d for d in everything.manifests() if d["kind"] in ARGO_KINDS]
    assert rendered == _everything_values()["registry"]["templates"]  # installed exactly as built
    sa = {d["metadata"]["name"]: d for d in _by_kind(everything, "ServiceAccount")}
    assert (
        sa["polyflow-workflow"]["metadata"]["annotations"]
        == _everything_values()["workflow"]["serviceAccount"]["annotations"]
    )


def test_everything_off_renders_nothing() -> None:
    off = render_chart(CHART, {"workflow": {"serviceAccount": {"create": False, "tokenSecret": False},
                                            "rbac": {"create": False}},
                               "submitter": {"serviceAccount": {"create": False}, "rbac": {"create": False}},
                               "plugin": {"enabled": False}})
    assert off.manifests() == []
    assert "ARGO_EXECUTOR_PLUGINS" not in off.notes


def _validate_k8s(docs: list[dict[str, Any]]) -> None:
    kv = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is not installed (test extra)"
    )
    for doc in docs:
        kv.validate(doc, K8S_VERSION, strict=True)  # raises kubernetes_validate.ValidationError


@pytest.mark.parametrize(("which", "count"), [("default", 8), ("everything", 8 + 4 * 3)])
def test_kubernetes_objects_validate(which: str, count: int, request: pytest.FixtureRequest) -> None:
    rendered: Rendered = request.getfixturevalue(which)
    docs = [d for d in rendered.manifests() if d["kind"] not in ARGO_KINDS]
    assert len(docs) == count
    _validate_k8s(docs)


def test_kubernetes_validate_catches_a_bad_object() -> None:
    kv = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is not installed (test extra)"
    )
    bad = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "x"},
           "rules": [{"apiGroups": [""], "resources": ["pods"], "verb": ["get"]}]}
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, K8S_VERSION, strict=True)


def test_argo_objects_validate(everything: Rendered, argo_schema: Path, tmp_path: Path) -> None:
    schema = json.loads(argo_schema.read_text())
    chart = tmp_path / "polyflow-argo"
    shutil.copytree(CHART, chart)
    for doc in _registry(False):
        (chart / "registry" / f"{doc['metadata']['name']}.yaml").write_text(to_yaml([doc]))
    from_files = render_chart(chart)
    docs = [d for r in (everything, from_files) for d in r.manifests() if d["kind"] in ARGO_KINDS]
    assert len(docs) == 9
    for doc in docs:
        validator = Draft202012Validator(
            {
                "$schema": schema["$schema"],
                "definitions": schema["definitions"],
                "$ref": f"#/definitions/io.argoproj.workflow.v1alpha1.{doc['kind']}",
            }
        )
        assert [e.message for e in validator.iter_errors(doc)] == [], doc["metadata"]["name"]


def test_registry_files_in_the_chart_are_installed(tmp_path: Path) -> None:
    chart = tmp_path / "polyflow-argo"
    shutil.copytree(CHART, chart)
    docs = _registry(True)
    for doc in docs:
        (chart / "registry" / f"{doc['metadata']['name']}.yaml").write_text(to_yaml([doc]))
    (chart / "registry" / "notes.txt").write_text("not a manifest")
    rendered = [d for d in render_chart(chart).manifests() if d["kind"] in ARGO_KINDS]
    assert rendered == sorted(docs, key=lambda d: d["metadata"]["name"])


def test_labels(everything: Rendered) -> None:
    components = {}
    for doc in everything.manifests():
        if doc["kind"] in ARGO_KINDS:
            continue
        labels = doc["metadata"]["labels"]
        assert {k: labels[k] for k in STANDARD_LABELS} == STANDARD_LABELS, doc["metadata"]["name"]
        components[(doc["kind"], doc["metadata"]["name"])] = labels["app.kubernetes.io/component"]
    assert set(components.values()) == {"workflow", "submitter", "executor-plugin"}


# --- the plugin ConfigMap ---------------------------------------------------------------------


def _assert_same_configmap(rendered: dict[str, Any], expected: dict[str, Any]) -> None:
    """The chart's ConfigMap is `plugin manifest`'s, plus the chart's standard labels."""
    assert rendered["metadata"]["labels"] == {**expected["metadata"]["labels"], **STANDARD_LABELS}
    assert {k: v for k, v in rendered["metadata"].items() if k != "labels"} == \
        {k: v for k, v in expected["metadata"].items() if k != "labels"}
    assert rendered["data"].keys() == expected["data"].keys()
    assert (
        rendered["data"]["sidecar.automountServiceAccountToken"]
        == expected["data"]["sidecar.automountServiceAccountToken"]
    )
    assert yaml.safe_load(rendered["data"]["sidecar.container"]) == yaml.safe_load(
        expected["data"]["sidecar.container"]
    )


def test_plugin_configmap_is_what_plugin_manifest_prints(default: Rendered) -> None:
    rendered = _one(default, "ConfigMap")
    _assert_same_configmap(rendered, plugin_configmap(namespace=NAMESPACE))
    assert rendered["data"]["sidecar.automountServiceAccountToken"] == "false"
    container = yaml.safe_load(rendered["data"]["sidecar.container"])
    assert "env" not in container and "--http-allow" not in container["command"]


def test_plugin_container_is_locked_down(default: Rendered) -> None:
    """Non-root, read-only, no capabilities, and the runtime's default seccomp profile (issue 15)."""
    container = yaml.safe_load(_one(default, "ConfigMap")["data"]["sidecar.container"])
    assert container["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65534,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


MANIFEST_OPTIONS = [
    ("s3-secret", {"s3Secret": "s3-credentials"}, ["--s3-secret", "s3-credentials"]),
    ("kube-events", {"kubeEvents": True}, ["--kube-events"]),
    (
        "both",
        {"s3Secret": "minio.creds", "kubeEvents": True},
        ["--s3-secret", "minio.creds", "--kube-events"],
    ),
    ("http-allow", {"httpAllow": ["10.96.0.1/32", "fd00::/8"]},
     ["--http-allow", "10.96.0.1/32", "--http-allow", "fd00::/8"]),
]


@pytest.mark.parametrize(
    ("plugin", "flags"), [(p, f) for _, p, f in MANIFEST_OPTIONS], ids=[i for i, *_ in MANIFEST_OPTIONS]
)
def test_plugin_configmap_options_are_what_plugin_manifest_prints(
    plugin: dict[str, Any], flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rendered = _one(
        render_chart(CHART, {"plugin": plugin}, release=RELEASE, namespace=NAMESPACE), "ConfigMap"
    )
    # the CLI's own output, `polyflow-argo plugin manifest -n NS FLAGS`, parsed
    capsys.readouterr()
    assert cli_main(["plugin", "manifest", "-n", NAMESPACE, *flags]) == 0
    (printed,) = list(yaml.safe_load_all(capsys.readouterr().out))
    _assert_same_configmap(rendered, printed)
    # and the function behind it, with the same options
    _assert_same_configmap(rendered, plugin_configmap(namespace=NAMESPACE, s3_secret=plugin.get("s3Secret"),
                                                      kube_events=plugin.get("kubeEvents", False),
                                                      http_allow=tuple(plugin.get("httpAllow", ()))))
    container = yaml.safe_load(rendered["data"]["sidecar.container"])
    allow = [a for entry in plugin.get("httpAllow", []) for a in ("--http-allow", entry)]
    assert container["command"][-len(allow) or len(container["command"]):] == allow
    if "s3Secret" in plugin:
        assert [e["name"] for e in container["env"]] == list(S3_SECRET_KEYS)
        assert all(
            e["valueFrom"]
            == {"secretKeyRef": {"name": plugin["s3Secret"], "key": e["name"], "optional": True}}
            for e in container["env"]
        )
    else:
        assert "env" not in container
    assert rendered["data"]["sidecar.automountServiceAccountToken"] == (
        "true" if plugin.get("kubeEvents") else "false"
    )


def test_s3_secret_adds_nothing_else(default: Rendered) -> None:
    rendered = render_chart(
        CHART, {"plugin": {"s3Secret": "s3-credentials"}}, release=RELEASE, namespace=NAMESPACE
    )
    assert _located(rendered) == _located(default)  # the chart never creates the credentials Secret
    assert [d for d in rendered.manifests() if d["kind"] != "ConfigMap"] == \
        [d for d in default.manifests() if d["kind"] != "ConfigMap"]


def test_plugin_configmap_takes_image_port_and_resources_from_values() -> None:
    resources = {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}}
    rendered = render_chart(
        CHART,
        {
            "plugin": {
                "image": {"repository": "localhost/plugin", "tag": "dev", "pullPolicy": "Never"},
                "port": 5000,
                "resources": resources,
            }
        },
    )
    container = yaml.safe_load(_one(rendered, "ConfigMap")["data"]["sidecar.container"])
    expected = yaml.safe_load(plugin_configmap("localhost/plugin:dev")["data"]["sidecar.container"])
    expected.update(imagePullPolicy="Never", ports=[{"containerPort": 5000}], resources=resources)
    expected["command"][-1] = "5000"
    assert container == expected


# --- RBAC ----------------------------------------------------------------------------------------


def test_workflow_role_is_the_least_set(default: Rendered) -> None:
    roles = {d["metadata"]["name"]: d for d in _by_kind(default, "Role")}
    assert _rules(roles["polyflow-workflow"]) == WORKFLOW_RULES
    binding = next(
        d for d in _by_kind(default, "RoleBinding") if d["metadata"]["name"] == "polyflow-workflow"
    )
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "polyflow-workflow",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "polyflow-workflow", "namespace": NAMESPACE}
    ]


def test_training_jobs_default_off(default: Rendered) -> None:
    role = next(d for d in _by_kind(default, "Role") if d["metadata"]["name"] == "polyflow-workflow")
    assert not any(g == "kubeflow.org" for g, _, _ in _rules(role))


def test_training_jobs_add_exactly_create_and_get(default: Rendered) -> None:
    rendered = render_chart(
        CHART, {"workflow": {"rbac": {"trainingJobs": True}}}, release=RELEASE, namespace=NAMESPACE
    )
    assert _located(rendered) == _located(default)  # the same objects, one more rule
    role = next(d for d in _by_kind(rendered, "Role") if d["metadata"]["name"] == "polyflow-workflow")
    assert _rules(role) == WORKFLOW_RULES | TRAINING_JOB_RULES
    assert role["rules"][-1] == {
        "apiGroups": ["kubeflow.org"],
        "resources": ["tfjobs", "pytorchjobs", "mpijobs"],
        "verbs": ["create", "get"],
    }
    _validate_k8s([role])


def test_training_job_kinds_are_the_ones_distributed_emits() -> None:
    """The resources are the plurals Argo derives from the kinds docs/distributed.md emits (lower-case
    + s)."""
    text = (ROOT / "docs" / "distributed.md").read_text()
    kinds = [k for k in ("TFJob", "PyTorchJob", "MPIJob") if f"`{k}`" in text]
    assert kinds == ["TFJob", "PyTorchJob", "MPIJob"] and "kubeflow.org/v1" in text
    assert sorted(r for _, r, _ in TRAINING_JOB_RULES) == sorted(2 * [k.lower() + "s" for k in kinds])


def _plugin_account_objects(namespace: str, extra_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = {**STANDARD_LABELS, "app.kubernetes.io/component": "executor-plugin"}
    name = f"{RELEASE}-executor-plugin"
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": labels},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": f"{SERVICE_ACCOUNT}.service-account-token",
                "namespace": namespace,
                "labels": labels,
                "annotations": {"kubernetes.io/service-account.name": SERVICE_ACCOUNT},
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "rules": [
                {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["get", "list"]},
                *({**rule, "verbs": ["get"]} for rule in extra_rules),
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}],
        },
    ]


def _plugin_accounts(rendered: Rendered) -> list[dict[str, Any]]:
    return [
        d
        for d in rendered.manifests()
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "executor-plugin"
        and d["kind"] != "ConfigMap"
    ]


def test_kube_events_default_off(default: Rendered) -> None:
    assert _plugin_accounts(default) == []
    assert default.files["templates/plugin-kube-events.yaml"].strip() == ""
    # rules and namespaces alone change nothing while kubeEvents is false
    rendered = render_chart(
        CHART,
        {"plugin": {"kubeEventsNamespaces": KUBE_EVENTS_NAMESPACES, "kubeEventsRules": KUBE_EVENTS_RULES}},
        release=RELEASE,
        namespace=NAMESPACE,
    )
    assert rendered.manifests() == default.manifests()


def test_kube_events_release_namespace_objects(default: Rendered) -> None:
    rendered = render_chart(CHART, {"plugin": {"kubeEvents": True}}, release=RELEASE, namespace=NAMESPACE)
    accounts = _plugin_accounts(rendered)
    assert accounts == _plugin_account_objects(NAMESPACE, [])
    assert SERVICE_ACCOUNT == "polyflow-executor-plugin"  # the name Argo mounts: <plugin>-executor-plugin
    assert _rules(accounts[2]) == PLUGIN_RULES
    assert _located(rendered) == sorted(_located(default) + _plugin_account_names([NAMESPACE]))
    _validate_k8s(accounts)


def test_kube_events_namespaces_and_rules() -> None:
    rendered = render_chart(
        CHART,
        {
            "plugin": {
                "kubeEvents": True,
                "kubeEventsNamespaces": KUBE_EVENTS_NAMESPACES,
                "kubeEventsRules": KUBE_EVENTS_RULES,
            }
        },
        release=RELEASE,
        namespace=NAMESPACE,
    )
    accounts = _plugin_accounts(rendered)
    assert accounts == [
        d
        for ns in (NAMESPACE, *KUBE_EVENTS_NAMESPACES)
        for d in _plugin_account_objects(ns, KUBE_EVENTS_RULES)
    ]
    for role in _by_kind(rendered, "Role"):
        if role["metadata"]["name"] == "polyflow-executor-plugin":
            assert _rules(role) == PLUGIN_RULES | PLUGIN_USER_RULES
            assert not any(
                v in WRITE_VERBS | {"watch"} for _, _, v in _rules(role)
            )  # read only: get and list
    _validate_k8s(accounts)


def test_kube_events_namespaces_are_not_repeated() -> None:
    """The release namespace, also listed in kubeEventsNamespaces, gets its objects once (`uniq`)."""
    rendered = render_chart(
        CHART,
        {"plugin": {"kubeEvents": True, "kubeEventsNamespaces": ["ml-a", NAMESPACE]}},
        release=RELEASE,
        namespace=NAMESPACE,
    )
    assert [(d["kind"], d["metadata"]["namespace"]) for d in _plugin_accounts(rendered)] == \
        [(k, ns) for k, ns, _ in _plugin_account_names([NAMESPACE, "ml-a"])]


def test_kube_events_without_the_configmap() -> None:
    """plugin.enabled false (the ConfigMap lives in the controller's namespace): the account is still made
    here."""
    rendered = render_chart(
        CHART, {"plugin": {"enabled": False, "kubeEvents": True}}, release=RELEASE, namespace="ml"
    )
    assert _by_kind(rendered, "ConfigMap") == []
    assert [(d["kind"], d["metadata"]["namespace"]) for d in _plugin_accounts(rendered)] == \
        [("ServiceAccount", "ml"), ("Secret", "ml"), ("Role", "ml"), ("RoleBinding", "ml")]


@pytest.mark.parametrize(
    ("rbac", "kind", "expected"),
    [
        ({}, "Role", SUBMITTER_RULES),
        ({"publishRegistry": True}, "Role", SUBMITTER_RULES | PUBLISH_RULES),
        ({"clusterScope": True}, "ClusterRole", SUBMITTER_RULES),
        (
            {"clusterScope": True, "publishRegistry": True},
            "ClusterRole",
            SUBMITTER_RULES | PUBLISH_RULES | CLUSTER_PUBLISH_RULES,
        ),
    ],
    ids=["namespace", "namespace-publish", "cluster", "cluster-publish"],
)
def test_submitter_role_is_the_least_set(
    rbac: dict[str, bool], kind: str, expected: set[tuple[str, str, str]]
) -> None:
    rendered = render_chart(CHART, {"submitter": {"rbac": rbac}}, release=RELEASE, namespace=NAMESPACE)
    role = next(
        d
        for d in _by_kind(rendered, kind)
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == "submitter"
    )
    assert _rules(role) == expected
    assert not any(v in {"delete", "deletecollection", "update", "*"} for _, _, v in _rules(role))
    binding = _one(rendered, kind + "Binding") if kind == "ClusterRole" else next(
        d for d in _by_kind(rendered, "RoleBinding") if d["metadata"]["name"] == "polyflow-submitter")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": kind,
        "name": role["metadata"]["name"],
    }
    assert ("namespace" in role["metadata"]) == (kind == "Role")


def test_existing_service_accounts_are_bound_not_created() -> None:
    rendered = render_chart(
        CHART,
        {
            "workflow": {"serviceAccount": {"create": False, "name": "default"}},
            "submitter": {
                "serviceAccount": {"create": False, "name": ""},
                "extraSubjects": [
                    {"kind": "User", "name": "alice@example.com", "apiGroup": "rbac.authorization.k8s.io"}
                ],
            },
        },
        namespace="ml",
    )
    assert _by_kind(rendered, "ServiceAccount") == []
    bindings = {d["metadata"]["name"]: d["subjects"] for d in _by_kind(rendered, "RoleBinding")}
    assert bindings == {
        "polyflow-workflow": [{"kind": "ServiceAccount", "name": "default", "namespace": "ml"}],
        "polyflow-submitter": [
            {"kind": "User", "name": "alice@example.com", "apiGroup": "rbac.authorization.k8s.io"}
        ],
    }


def test_everything_binds_every_subject(everything: Rendered) -> None:
    binding = _one(everything, "ClusterRoleBinding")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "polyflow-submitter", "namespace": NAMESPACE},
        *_everything_values()["submitter"]["extraSubjects"],
    ]


# --- NOTES.txt ------------------------------------------------------------------------------------


def test_notes(default: Rendered, everything: Rendered) -> None:
    assert 'ServiceAccount "polyflow-workflow"' in default.notes
    assert "the Role polyflow-submitter\n" in default.notes
    assert "kubectl -n polyflow create token polyflow-submitter" in default.notes
    assert "ARGO_EXECUTOR_PLUGINS=true" in default.notes
    assert "ConfigMap polyflow-executor-plugin (ghcr.io/polyflow-argo/executor-plugin:0.1.0)" in default.notes
    assert "the ClusterRole polyflow-polyflow-submitter\n" in everything.notes
    assert "{{" not in default.notes + everything.notes
    for text in ("Kubeflow", "s3-credentials", "polyflow-executor-plugin (Role", "kubeEventsRules"):
        assert text not in default.notes and text in everything.notes, text
    assert "in: polyflow ml-a ml-b\n" in everything.notes


# --- the CI workflow that runs real helm ------------------------------------------------------------


def test_e2e_workflow_is_valid_yaml_and_pins_argo() -> None:
    text = (ROOT / ".github" / "workflows" / "e2e-kind.yaml").read_text()
    flow = yaml.safe_load(text)
    steps = flow["jobs"]["e2e"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert flow["jobs"]["e2e"]["runs-on"] == "ubuntu-latest"
    assert "ARGO_WORKFLOWS_VERSION: v4.1.2" in text
    for needle in ("helm lint", "helm install", "kind load docker-image", "polyflow_argo/plugin/Dockerfile",
                   "submit", "--dry-run=server", "ARGO_EXECUTOR_PLUGINS=true", "auth can-i"):
        assert needle in runs, needle
    assert (ROOT / "polyflow_argo" / "plugin" / "Dockerfile").is_file()


# --- the workflow account's token (the agent pod of event ops mounts it) ------------------------


def _token(rendered: Rendered) -> dict[str, Any]:
    (secret,) = [
        d for d in _by_kind(rendered, "Secret")
        if d["metadata"]["annotations"]["kubernetes.io/service-account.name"] != "polyflow-executor-plugin"
    ]
    return secret


def test_workflow_account_gets_its_token_secret(default: Rendered) -> None:
    secret = _token(default)
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["name"] == "polyflow-workflow.service-account-token"
    assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "polyflow-workflow"}
    assert secret["metadata"]["namespace"] == NAMESPACE


def test_an_existing_account_such_as_default_gets_its_token_secret() -> None:
    rendered = render_chart(CHART, {"workflow": {"serviceAccount": {"create": False, "name": "default"}}},
                            release=RELEASE, namespace=NAMESPACE)
    assert ("ServiceAccount", "default") not in _names(rendered)
    secret = _token(rendered)
    assert secret["metadata"]["name"] == "default.service-account-token"
    assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "default"}
    bindings = _by_kind(rendered, "RoleBinding")
    (binding,) = [d for d in bindings if d["metadata"]["name"] == "polyflow-workflow"]
    assert binding["subjects"][0]["name"] == "default"


def test_token_secret_can_be_left_out() -> None:
    rendered = render_chart(CHART, {"workflow": {"serviceAccount": {"tokenSecret": False}}},
                            release=RELEASE, namespace=NAMESPACE)
    assert not _by_kind(rendered, "Secret")


def test_workflow_role_lets_backfill_wait_for_the_previous_run(default: Rendered) -> None:
    role = next(d for d in _by_kind(default, "Role") if d["metadata"]["name"] == "polyflow-workflow")
    assert ("argoproj.io", "workflows", "get") in _rules(role)
