"""A loopback test double of the Kubernetes API server and of Argo Server, for the test suite.

The product talks to it through the real clients (``kubernetes`` 37, Hera's ``WorkflowsService``, or a
CLI subprocess with ``KUBECONFIG`` / ``--argo-server URL`` + ``ARGO_TOKEN``): nothing of ours is mocked.
``ApiDouble`` runs two stdlib ``ThreadingHTTPServer``s on 127.0.0.1 (port 0) over ONE store, so an
object created through one front is visible through the other. Fixtures: tests/cluster/conftest.py
(``api_double``, ``kubeconfig``, ``kube_client``, ``argo_service``).

Kubernetes front (``double.kube_url``; modules kube.py, ops.py, validation.py, meta.py)
- Discovery: /version, /api, /api/v1, /apis, /apis/argoproj.io[/v1alpha1] (workflows, cronworkflows,
  workflowtemplates, clusterworkflowtemplates, workflowtasksets, …), authorization.k8s.io/v1.
  ``crds_installed = False``: argoproj.io answers 404 NotFound "the server could not find the
  requested resource" (and /apis omits the group).
- argoproj.io/v1alpha1 custom objects, namespaced and cluster-scoped: POST (``dryRun=All``,
  ``fieldValidation=Strict|Warn|Ignore`` — Strict: 400 "strict decoding error: unknown field …";
  Warn (the default): pruned + ``Warning: 299`` header; ``generateName`` + 5 chars of k8s' alphabet;
  uid, resourceVersion, creationTimestamp, generation, managedFields), GET, list (labelSelector
  = == != in notin exists !key; fieldSelector metadata.name/namespace; limit/continue), watch
  (``watch=true|1``, resourceVersion, timeoutSeconds, allowWatchBookmarks → a BOOKMARK just before the
  timeout; initial ADDED events without resourceVersion; ADDED/DELETED when an object starts/stops
  matching the selector; an ERROR event with a 410 Expired Status after ``expire_history()``), PATCH
  (merge-patch, json-patch, strategic-merge on core kinds only → 415 on CRs, apply-patch+yaml:
  fieldManager required (422), force accepted, creates when absent (201), an identical apply is a
  no-op with the same resourceVersion and generation), PUT (CRs need metadata.resourceVersion: 422
  when missing, 409 Conflict when stale), DELETE (propagationPolicy, preconditions, dryRun; finalizers
  keep the object with deletionTimestamp until removed). Argo CRDs have no status subresource: status
  is part of the object and any non-metadata change bumps generation. A no-op write keeps the
  resourceVersion (as the apiserver does).
- Validation → 422 Invalid with ``details.causes`` (FieldValueRequired / Invalid / TypeInvalid /
  NotSupported / TooMany / TooLong, field like ``spec.templates[0].dag.tasks[3].name``): Argo's JSON
  Schema (../shared/argo/argo-workflows.schema.json, IntOrString widened to int|string as in the CRD;
  ``$POLYFLOW_SHARED`` moves ../shared) or, when absent or ``argo_schema=False``, Hera's pydantic models
  with a round-trip diff for unknown fields; plus Argo v4 full-CRD rules (≤ 200 templates, 1–200 DAG
  tasks, ≤ 500 input parameters, template/task/parameter name patterns, the CEL rules on
  depends/dependencies/continueOn and one template type); ObjectMeta (RFC 1123 subdomain ≤ 253, label
  keys/values). Validation ratchets: an unchanged invalid field never fails an update.
- Size: a body over 3145728 B → 413 RequestEntityTooLarge "Request entity too large: limit is
  3145728" (apiserver); a stored object whose compact JSON exceeds 1572864 B → 413 "etcdserver: request
  is too large" (etcd's default; real clusters have answered this one with 500 too).
- 409 AlreadyExists ``workflows.argoproj.io "x" already exists``; 404 ``… "x" not found``; namespaced
  writes into a namespace that does not exist → 404 ``namespaces "x" not found``.
- Core v1: pods (get/list/watch/delete), pods/log (container, follow, tailLines, timestamps,
  sinceSeconds, limitBytes; several containers and no ``container`` → 400 "a container name must be
  specified…"; a waiting container → 400), configmaps (CRUD), namespaces (get/list);
  POST selfsubjectaccessreviews answers from the deny table.
- Auth: ``token`` (default "kube-token"; None = no auth) → 401 Unauthorized when missing/wrong;
  ``deny(...)`` rules → 403 with the apiserver's message ('workflows.argoproj.io is forbidden: User
  "system:serviceaccount:argo:polyflow" cannot create resource "workflows" in API group
  "argoproj.io" in the namespace "ml"'), details {group, kind}.

Argo Server front (``double.argo_url``; argo.py): /api/v1/workflows/{ns} (list, create with
``serverDryRun``/``createOptions.dryRun``, lint, submit), …/{name} (get, delete, stop, terminate,
suspend, resume with nodeFieldSelector, resubmit as FormulateResubmitWorkflow, retry, set),
…/{name}/log and …/{name}/{pod}/log (``{"result":{"content","podName"}}`` lines; follow ends when the
workflow is completed and every container finished), /api/v1/workflow-events/{ns}
(``{"result":{"type","object"}}``; ends with ``{"error":{"grpc_code":8,…,"message":"EOF"}}`` when the
watch times out), cron-workflows (CRUD, lint, suspend/resume), workflow-templates,
cluster-workflow-templates, version, info, userinfo. Bearer ``argo_token`` (default "argo-token") → 401
code 16. Errors are ``{"code", "message"}`` with grpc-gateway's HTTP status (k8s 404→5, 409→6,
403→7, 401→16, 422/413/400→3 as HTTP 400; Argo's own validation → 400 code 3); stream errors are
``{"error": {...}}`` chunks. Creates run a subset of Argo's validate.go (name ≤ 63 / cron ≤ 52,
entrypoint, template and templateRef resolution, DAG dependencies) plus ``double.argo_validator``.
Objects come back without apiVersion/kind (typed client-go), creates get the
``workflows.argoproj.io/creator`` label, unknown fields are dropped silently.

Faults and the request log (both fronts; ``server="kube"|"argo"|None``):
``fail_next(method, path_regex, status, times=1, retry_after=None, message=None)`` answers with the
front's error body (429 TooManyRequests + Retry-After, 500 InternalError, 503 ServiceUnavailable, 504
Timeout) without performing the request; ``drop_after_next(method, path_regex)`` performs it (the
object IS stored) then closes the connection unanswered.
``garble_next(method, path_regex, kind, times=1, body=None, size=0, interval=0.05)`` performs it, then
spoils the answer (status kept): ``not-json``, ``wrong-shape``, ``truncated`` (half the Content-Length,
then closed), ``oversized`` (``size`` bytes of valid JSON), ``drip`` (a byte every ``interval`` s),
``garbage-line`` (a watch/log stream starting with a line that is not JSON). ``double.requests`` /
``requests_to(method, path, server)`` are ``Request(server, method, path, query, headers, body, status)``.

Controller API (Python calls; each write is one MODIFIED event with a new resourceVersion):
    create(obj, namespace=None) -> dict     get(kind, ns, name) / objects(kind, ns=None)
    patch(kind, ns, name, merge_patch)      delete(kind, ns, name)
    set_status(ns, name, status, kind="workflows", replace=False)   # merge; phase/completed labels follow
    set_phase(ns, name, phase, message=None)                        # + startedAt / finishedAt
    set_node(ns, workflow, display_name, **fields)  # status.nodes[id], id as Argo's NodeID; root = DAG
    add_pod(ns, name, workflow=None, node_name=None, containers=None, labels=None, phase="Running")
    append_log(ns, pod, *lines, container="main", at=None)
    finish_container(ns, pod, container="main", exit_code=0)   # ends follow streams; pod phase
    timeline(ns, name, [(delay_s, status_patch | callable(double, ns, name)), ...]) -> Timeline
                                            # .join(timeout) re-raises a step's error; .cancel()
    on_create(kind, steps)                  # a timeline for every object of ``kind`` a client creates
    expire_history()   add_namespace(name)   deny(verb, resource, group=, namespace=, name=)   allow_all()
    kubeconfig(path, namespace="default", token=None) -> Path
Settings: token, argo_token, user/argo_user, crds_installed, max_watch_seconds (bounds every stream),
argo_validator.

Example (a CLI test; ``on_create`` plays the controller for each workflow a client creates)::

    def test_submit_watch(api_double, kubeconfig):
        api_double.on_create("workflows", [
            (0.2, {"phase": "Running", "startedAt": "2026-01-01T00:00:00Z"}),
            (0.2, lambda d, ns, name: d.set_node(ns, name, "train", phase="Succeeded", templateName="train")),
            (0.2, {"phase": "Succeeded", "finishedAt": "2026-01-01T00:01:00Z"}),
        ])
        out = cli("submit", "p.yaml", "-n", "ml", "--watch", kubeconfig=kubeconfig)  # tests/support.py
        created = api_double.requests_to("POST", "/namespaces/ml/workflows$")
        assert out.returncode == 0 and created[0].status == 201

Deliberately not implemented: managedFields conflict tracking (apply owns whatever it sends; force is
recorded, never needed), strategic merge on CRs (415, as the apiserver), RBAC beyond the deny table
(everything else is allowed; apply-create needs only "patch"), admission webhooks, the Argo
controller itself (tests drive status), Argo's full validate.go, archived workflows, ``fields=``
filtering, memoized resubmit's node carry-over, TLS, protobuf, HTTP/2, aggregated discovery.

Client facts found while building it: the kubernetes client sends apply bodies as JSON with
``Content-Type: application/apply-patch+yaml`` and ``force=true``; ``patch_*_custom_object``
returns ``None`` when apply CREATES the object (its response map knows only 200, the apiserver
answers 201); ``Watch().stream`` re-watches after every server-side end (here max_watch_seconds) unless
``timeout_seconds`` is given. Hera encodes booleans as ``True`` (Go's ParseBool accepts it), drops None
params, has no watch call, and ``workflow_logs`` cannot parse the server's stream (an empty LogEntry
for one line, a JSON error for several): read logs and workflow-events with
``service.session`` (requests) and parse the ``{"result":…}`` lines. Every Hera call with a body
emits ``PydanticDeprecatedSince20`` (filterwarnings=error needs an ignore).
"""

from .double import ApiDouble, Timeline, node_id
from .http import Request

__all__ = ["ApiDouble", "Request", "Timeline", "node_id"]
