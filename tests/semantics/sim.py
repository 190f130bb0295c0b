"""Feeding compiled DAGs to argo-sim."""

from __future__ import annotations

import re

# argo-sim evaluates `when` with simple tags only; an outputs condition is one expression tag
# (translate/dag.py: the value is compared as data by expr). For the sim, the tag is rewritten into
# the simple-tag comparison it means for these plain values; the real controller runs the tag itself
# (tests/e2e/test_semantics.py).
_READ = re.compile(r'\(get\(get\(get\(get\(tasks, "([\w-]+)"\), "outputs"\), "parameters"\), "(\w+)"\) '
                   r"\?\? ''\) (==|!=) \"(\w*)\"")


def for_sim(when: str) -> str:
    """``when`` with each outputs-condition tag rewritten as the simple-tag comparison it means."""

    def tag(m: re.Match[str]) -> str:
        found = _READ.findall(m.group(1))
        terms = [f"'{{{{tasks.{t}.outputs.parameters.{k}}}}}' {op} '{v}'" for t, k, op, v in found]
        assert terms and " && ".join(terms).count("&&") == m.group(1).count("&&"), m.group(0)
        return "(" + " && ".join(terms) + ")"

    return re.sub(r"\{\{=(.*?)\}\}", tag, when)
