"""What the kubelet does to a container's env values, command and args before the process starts:
Kubernetes' ``$(VAR)`` expansion (k8s.io/kubernetes third_party/forked/golang/expansion), the one
step of a pod's start that polyflow-argo's values pass through after Argo's substitution. Used by
the offline tests (after tests/translate/argo_expr.py's substitution) and by the scripted kubelet
of the e2e suite (after the real controller's)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# The service variables the kubelet adds to every container (the `kubernetes` service's, here).
SERVICE_ENV = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}


def expand(text: str, env: Mapping[str, str]) -> str:
    """``$(NAME)`` is NAME's value when it is defined, else left as written; ``$$`` is ``$``; any
    other ``$`` stays."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
        elif text[i + 1] == "$":
            out.append("$")
            i += 2
        elif text[i + 1] == "(" and ")" in text[i + 2:]:
            end = text.index(")", i + 2)
            name = text[i + 2:end]
            out.append(env.get(name, f"$({name})"))
            i = end + 1
        else:
            out.append("$" + text[i + 1])
            i += 2
    return "".join(out)


def environment(values: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The process's environment from the container's ``env`` (name, value after Argo), in order:
    each value expanded from the variables before it and the service variables."""
    env = dict(SERVICE_ENV)
    for name, value in values:
        env[name] = expand(value, env)
    return {k: v for k, v in env.items() if k not in SERVICE_ENV}
