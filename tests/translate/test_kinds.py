"""``KINDS`` (translate/kinds.py) has one builder for exactly the language's template kinds."""

from __future__ import annotations

from typing import get_args

from polyflow_argo.language.template import TEMPLATE_KINDS, Template
from polyflow_argo.translate.kinds import KINDS


def test_kinds_table_matches_the_language() -> None:
    models = get_args(get_args(Template)[0])
    literal = {get_args(model.model_fields["kind"].annotation)[0] for model in models}
    assert set(TEMPLATE_KINDS) == literal
    assert set(KINDS) == literal
