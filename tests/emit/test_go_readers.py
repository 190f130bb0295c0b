"""The YAML we emit reads back, in the Go readers kubectl, Argo CD, Helm and Argo use, as the same
values as the JSON we emit (issue 15).

The readers are a small Go program (tests/e2e/goyaml/main.go: sigs.k8s.io/yaml as kubectl v1.34
uses it, gopkg.in/yaml.v2, gopkg.in/yaml.v3), built into the e2e component cache by
``tests/e2e/build-components.sh goyaml`` (seconds; ``.ci/run`` builds it). Without it these tests
skip and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from polyflow_argo import emit

sys.path.insert(0, str(Path(__file__).parent))
from cases import NON_STRINGS, PLAIN_STRINGS, ROOT, golden_docs, golden_files, tricky_manifest  # noqa: E402

READERS = ("sigs.k8s.io/yaml", "gopkg.in/yaml.v2", "gopkg.in/yaml.v3")
BUILD = ROOT / "tests" / "e2e" / "build-components.sh"

# Plain forms no Go reader misreads, quoted for the other readers: YAML 1.2 core ones (ruamel,
# js-yaml: Go's float parser rejects the overflow) and PyYAML (base 60, "=", "<<", a "-5" zone).
NOT_FOR_GO = {"24642126e889", "1e999", "=", "<<", "190:20:30.15", "12:30", "1:20:30", "-1:30",
              "2001-12-14 21:59:43.10 -5"}


def _find_goyaml() -> str | None:
    if os.environ.get("POLYFLOW_GOYAML"):
        return os.environ["POLYFLOW_GOYAML"]
    env = {**os.environ, "POLYFLOW_E2E_NO_BUILD": "1"}
    res = subprocess.run(["bash", str(BUILD), "goyaml"], capture_output=True, text=True, env=env, check=False)
    for line in res.stdout.splitlines():
        if line.startswith("GOYAML="):
            return line.split("=", 1)[1]
    return None


GOYAML = _find_goyaml()
pytestmark = pytest.mark.skipif(
    GOYAML is None,
    reason="the Go YAML readers are not built: run `tests/e2e/build-components.sh goyaml` (needs Go and "
    "the Go module proxy; ~5 s)",
)


def decode(stream: str) -> dict[str, list[Any]]:
    """Each reader's values for the documents of ``stream``; a document a reader rejects is
    ``{"error": ...}``."""
    assert GOYAML is not None
    res = subprocess.run([GOYAML], input=stream, capture_output=True, text=True, check=False, timeout=60)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    return {r: [d["value"] if "value" in d else {"error": d["error"]} for d in out[r]] for r in READERS}


def assert_yaml_reads_as_json(docs: list[dict[str, Any]]) -> None:
    from_yaml = decode(emit.to_yaml(docs))
    from_json = decode("".join("---\n" + emit.to_json([d]) for d in docs))
    expected = [json.loads(emit.to_json([d])) for d in docs]
    assert from_json["sigs.k8s.io/yaml"] == expected  # JSON is what sigs.k8s.io/yaml turns YAML into
    for reader in READERS:
        assert len(from_yaml[reader]) == len(docs), reader
        for i, (got, want) in enumerate(zip(from_yaml[reader], from_json[reader], strict=True)):
            if got != want:
                diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
                        if got.get(k) != want.get(k)}
                pytest.fail(f"{reader}, document {i}: YAML and JSON decode differently: {diff}"[:4000])


def test_every_golden_reads_the_same_in_yaml_and_json() -> None:
    goldens = golden_files()
    docs = [d for g in goldens for d in golden_docs(g)]
    assert len(docs) > len(goldens) > 30
    assert_yaml_reads_as_json(docs)


def test_tricky_strings_read_the_same_in_yaml_and_json() -> None:
    doc = tricky_manifest()
    assert_yaml_reads_as_json([doc])
    values = decode(emit.to_yaml([doc]))
    for reader in READERS:  # and the strings are the strings (not only the same as JSON)
        assert values[reader][0]["list"] == doc["list"], reader


@pytest.mark.parametrize("value", [v for v in NON_STRINGS if v not in NOT_FOR_GO])
def test_each_non_string_unquoted_is_misread_by_a_go_reader(value: str) -> None:
    """The quoting is needed: written plain, some Go reader takes the value for another type."""
    got = decode(f"---\nk: {value}\n")
    assert any(got[r][0] != {"k": value} for r in READERS), got


def test_plain_strings_are_strings_for_every_go_reader() -> None:
    """And not over-quoted: what we leave plain, every Go reader reads as that string."""
    plain = [v for v in PLAIN_STRINGS if f"k: {v}\n" in emit.to_yaml([{"k": v}])]
    assert len(plain) > 40
    got = decode("".join(f"---\nk: {v}\n" for v in plain))
    for reader in READERS:
        assert [d["k"] for d in got[reader]] == plain, reader
