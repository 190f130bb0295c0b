"""PF6xx, talking to the cluster: what each code means, a situation that triggers it, the fix.

The examples are commands; most need a cluster in a given state, so only those that fail before
any request are replayed by tests/test_docs.py (``NOT_EXAMPLE_CHECKED`` lists the others).
Data only (the format is described in polyflow_argo/source_codes.py); rendered into docs/errors.md
by ``make docs``. docs/cluster.md has the setup and the RBAC each command needs.
"""

from __future__ import annotations

TITLE = "the cluster"

_PIPELINE = """\
version: 1
kind: pipeline
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.7-slim'}}]
"""

CODES: dict[str, tuple[str, str, str]] = {
    "PF600": (
        "There is no way to reach a cluster: no kubeconfig (and not running in a pod), an "
        "unusable in-cluster configuration, or an `--argo-server` value that is not an http(s) URL.",
        "# $ polyflow-argo submit --argo-server ftp://localhost:2746 pipeline.yaml\n" + _PIPELINE,
        "Point `KUBECONFIG` (or `--kubeconfig`) at a kubeconfig (on kind: `kind export kubeconfig "
        "--name NAME`), or pass Argo Server's URL, e.g. `--argo-server https://localhost:2746`, "
        "with `ARGO_TOKEN`.",
    ),
    "PF601": (
        "The server cannot be reached: its host name is unknown, the connection is refused, or it "
        "times out (after the retries).",
        "(`polyflow-argo list` with a kubeconfig whose cluster is stopped)\n",
        "Check that the cluster runs (`kubectl cluster-info`) and the server address in the "
        "kubeconfig (`clusters[].cluster.server`) or `--argo-server`.",
    ),
    "PF602": (
        "TLS verification of the server failed (an unknown CA, or a certificate for another name).",
        "(`polyflow-argo list --argo-server https://localhost:2746` against Argo Server's "
        "self-signed certificate)\n",
        "Pass the server's CA with `--ca-file FILE`, or `--insecure-skip-tls-verify` (not in "
        "production).",
    ),
    "PF603": (
        "The server rejected the credentials (401): a missing, expired or wrong token or "
        "certificate.",
        "(`polyflow-argo list --argo-server URL` with an expired `ARGO_TOKEN`)\n",
        "Refresh the token, e.g. `kubectl -n NS create token polyflow-submitter` for the chart's "
        "submitter (docs/chart.md).",
    ),
    "PF604": (
        "The credentials are valid but not allowed to do this (403): the Role lacks the verb or "
        "the resource.",
        "(`polyflow-argo stop RUN -n ml` as a ServiceAccount whose Role cannot `patch` workflows)\n",
        "Grant the verb the message names (docs/cluster.md lists what each command needs; the "
        "chart's submitter Role has them).",
    ),
    "PF605": (
        "The cluster has no Argo Workflows API (the CRDs are not installed), or the "
        "`--argo-server` URL does not serve Argo Server.",
        "(`polyflow-argo submit pipeline.yaml` on a cluster without Argo Workflows)\n",
        "Install Argo Workflows (docs/cluster.md), or fix `--argo-server`.",
    ),
    "PF606": (
        "The namespace does not exist.",
        "(`polyflow-argo list -n no-such-namespace`)\n",
        "Create it (`kubectl create namespace NS`), or pick another with `-n`.",
    ),
    "PF607": (
        "The named run (Workflow, CronWorkflow, WorkflowTemplate) is not in the namespace.",
        "(`polyflow-argo get nightly-x7k2p -n ml` after the run was deleted)\n",
        "`polyflow-argo list -n NS` shows what there is; check `-n` and the name.",
    ),
    "PF608": (
        "An object of that name already exists, so it cannot be created.",
        "(`polyflow-argo submit pipeline.yaml --name nightly` twice)\n",
        "Drop `--name` to let the cluster pick a unique name (`--generate-name`), or choose "
        "another name.",
    ),
    "PF609": (
        "The API server rejected the object as invalid (422); the message names the field.",
        "(a manifest edited by hand, or compiled for another Argo version, sent with `submit`)\n",
        "Fix the field the message names; `polyflow-argo compile` shows what is sent.",
    ),
    "PF610": (
        "The server refused the request (400), e.g. the cluster's Argo does not know a field of "
        "a newer `--argo-version`.",
        "(`polyflow-argo submit --argo-version 4 pipeline.yaml` against Argo 3.5)\n",
        "Compile for the cluster's Argo version (`--argo-version 3.5`), or upgrade Argo.",
    ),
    "PF611": (
        "The object is too large for the cluster (etcd stores about 1.5 MB per object).",
        "(`polyflow-argo submit` of a pipeline with thousands of large ops)\n",
        "Publish shared templates to the registry (`registry push`; ops then use `templateRef`), "
        "split the pipeline, or use fewer fan-out trials.",
    ),
    "PF612": (
        "The server kept failing (5xx, or dropped connections) after the retries.",
        "(`polyflow-argo list` while the API server restarts)\n",
        "The cluster is overloaded or restarting: try again in a minute.",
    ),
    "PF613": (
        "The object kept changing while being updated (409 conflicts after the retries), usually "
        "because the Argo controller updates it too.",
        "(`polyflow-argo approve RUN --op gate` while the controller updates the run)\n",
        "Run the command again.",
    ),
    "PF614": (
        "The server gave an answer polyflow-argo does not expect.",
        "(a proxy in front of the API server answering 418)\n",
        "Run again with `--debug` for details; report it if it persists.",
    ),
    "PF615": (
        "The server answered with something the Kubernetes API or Argo Server does not send: not "
        "JSON (an HTML page), JSON of the wrong shape (a list where an object belongs, a field of "
        "the wrong type), or a watch or log line that is not a JSON event.",
        "(the kubeconfig's server is a web proxy that answers with its login page)\n",
        "Check that the kubeconfig's `clusters[].cluster.server` (or `--argo-server`) points at the "
        "API server itself (`kubectl get --raw /version` answers with JSON); run again with `--debug`.",
    ),
    "PF616": (
        "An answer (or one line of a watch or log stream) is larger than the reply limit "
        "(`POLYFLOW_MAX_REPLY_BYTES`, default 64 MiB), which keeps memory bounded.",
        "(`polyflow-argo list` in a namespace holding thousands of large runs)\n",
        "Narrow the request (`list --pipeline P`, `--running`, `-l SELECTOR`) or raise "
        "`POLYFLOW_MAX_REPLY_BYTES`.",
    ),
    "PF617": (
        "A create got no clear answer (the connection dropped, a timeout, a 5xx or a garbled "
        "answer) and looking the run up by its `polyflow.io/submission` label failed too: the run "
        "may or may not exist.",
        "(`polyflow-argo submit` while the connection to the API server drops, and the lookup is "
        "forbidden)\n",
        "Do not submit again before checking, or the pipeline may run twice: the message gives the "
        "exact `kubectl get workflows -n NS -l polyflow.io/submission=ID` (or `polyflow-argo list "
        "-l ...`) command that shows the run if it was created.",
    ),
    "PF620": (
        "`stop` or `terminate` of a run that has already finished.",
        "(`polyflow-argo stop RUN` after RUN succeeded)\n",
        "Nothing to do; `polyflow-argo resubmit RUN` runs it again.",
    ),
    "PF621": (
        "`approve` found no approval to give: the op does not exist, is not an `approval` op, is "
        "not waiting yet, or several approvals wait and none was named.",
        "(`polyflow-argo approve RUN` while no approval op waits)\n",
        "`polyflow-argo get RUN` shows the ops and their phases; name the op with `--op`.",
    ),
    "PF622": (
        "The run was deleted while it was watched.",
        "(`polyflow-argo watch RUN` while someone runs `kubectl delete workflow RUN`)\n",
        "Someone (or a TTL or history limit) deleted it; `polyflow-argo list` shows the runs.",
    ),
    "PF623": (
        "The command cannot send this kind of object: `apply` takes CronWorkflows and "
        "WorkflowTemplates (a pipeline without `schedule` is a one-off Workflow).",
        "# $ polyflow-argo apply --argo-server https://localhost:2746 pipeline.yaml\n" + _PIPELINE,
        "`polyflow-argo submit FILE` runs a one-off pipeline; a pipeline with `schedule:` "
        "applies as a CronWorkflow.",
    ),
    "PF624": (
        "The transport cannot do this operation: Argo Server cannot create the ConfigMap op "
        "`concurrency` needs, or the Kubernetes API cannot change a run whose node status Argo "
        "offloaded to its database.",
        "(`polyflow-argo approve RUN` over the Kubernetes API when Argo offloads node status)\n",
        "Use the other transport: `--argo-server URL` for offloaded runs; the Kubernetes API "
        "(or `kubectl apply` of the ConfigMap) for op concurrency.",
    ),
}

NOT_EXAMPLE_CHECKED: dict[str, str] = {
    code: "needs a cluster in a given state"
    for code in CODES
    if code not in ("PF600", "PF623")
}
