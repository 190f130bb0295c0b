"""Write the ``openAPIV3Schema`` of training-operator CRDs as small JSON files for the tests.

Usage (from the repository root), with the operator's repository checked out or mirrored::

    git -C TRAINING_OPERATOR_GIT show v1.9.0:manifests/base/crds/kubeflow.org_tfjobs.yaml > /tmp/tfjobs.yaml
    ...
    python tests/schemas/training-operator/extract.py v1 tests/schemas/training-operator/v1.9.0 \\
        /tmp/*jobs.yaml

Only the schema of the served version given as the first argument is kept, and ``description``
strings are dropped (they are most of the bytes and play no part in validation). Everything else,
including the ``x-kubernetes-*`` extensions, is copied unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strip_descriptions(node: Any) -> Any:
    """The schema without its ``description`` strings (a *property* named description is kept)."""
    if isinstance(node, dict):
        return {
            k: (
                strip_descriptions(v)
                if k != "properties"
                else {p: strip_descriptions(s) for p, s in v.items()}
            )
            for k, v in node.items()
            if not (k == "description" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def main(version: str, out_dir: str, *crds: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for path in crds:
        crd = yaml.safe_load(Path(path).read_text())
        kind = crd["spec"]["names"]["kind"]
        (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
        schema = strip_descriptions(served["schema"]["openAPIV3Schema"])
        target = out / f"{kind.lower()}.schema.json"
        target.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True) + "\n")
        print(f"{target}: {kind} {crd['spec']['group']}/{version}")


if __name__ == "__main__":
    main(*sys.argv[1:])
