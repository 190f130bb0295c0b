"""A duration written with a unit (``retry_delay: 1m``) is refused with the number to write instead:
Polyflow's durations are whole seconds (a newcomer's first mistake in docs/tutorial.md)."""

from __future__ import annotations

import pytest

import polyflow_argo

PIPELINE = """\
version: 1
kind: pipeline
ops:
  - {{name: a, template: {{name: t}}, max_retries: 2, retry_delay: {value}}}
templates:
  - {{kind: job, name: t, build: {{image: busybox}}, run: {{cmd: 'true'}}}}
"""


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("1m", "durations are whole seconds: write 60, without quotes or units"),
        ("30s", "durations are whole seconds: write 30, without quotes or units"),
        ("2h", "durations are whole seconds: write 7200, without quotes or units"),
        ("1d", "durations are whole seconds: write 86400, without quotes or units"),
        ("soon", "write a whole number, without quotes or units"),
        ("'1.5m'", "write a whole number, without quotes or units"),
    ],
)
def test_a_duration_with_a_unit_gets_the_seconds_to_write(value: str, hint: str) -> None:
    [d] = polyflow_argo.lint(text=PIPELINE.format(value=value))
    assert (d.code, d.span.line if d.span else None, d.hint) == ("PF209", 4, hint)
