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


NINES = "9" * 5000


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        # a quoted integer gets the 64-bit check an unquoted one gets when it is read (PF111)
        ("'99999999999999999999999'", "the integer does not fit in 64 bits",
         "use a whole number between -9223372036854775808 and 9223372036854775807"),
        ("'-9223372036854775809'", "the integer does not fit in 64 bits",
         "use a whole number between -9223372036854775808 and 9223372036854775807"),
        (f"'{NINES}'", "the integer does not fit in 64 bits",
         "use a whole number between -9223372036854775808 and 9223372036854775807"),
        (f"'{NINES}m'", f"expected an integer, got '{'9' * 59}...' (5001 characters)",
         "write a whole number, without quotes or units"),  # no Python limit in the message
        ("1.0e+30", "the integer does not fit in 64 bits",
         "use a whole number between -9223372036854775808 and 9223372036854775807"),
    ],
)
def test_integers_beyond_64_bits_are_refused_however_written(value: str, message: str, hint: str) -> None:
    [d] = polyflow_argo.lint(text=PIPELINE.format(value=value))
    assert (d.code, d.span.line if d.span else None, d.message, d.hint) == ("PF209", 4, message, hint)


def test_the_largest_quoted_integer_is_an_integer() -> None:
    assert polyflow_argo.lint(text=PIPELINE.format(value="'9223372036854775807'")) == []
