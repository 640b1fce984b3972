"""wire.json_response sends exactly the bytes of ``orjson.dumps(prune_empty(dumped model))``,
whether or not its shortcut (no empty member: nothing to prune) applies."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from cds_hooks.wire import json_response, prune_empty


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# Strings that look like the tokens, or hold them, beside ordinary text.
_TEXT = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", '"', '""', "null", "[]", "{}", 'a"', "nullable", "x\\"]),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_TREES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_TEXT, children, max_size=4)
    ),
    max_leaves=25,
)


def _expected(model: BaseModel) -> bytes:
    return orjson.dumps(prune_empty(model.model_dump(mode="json", exclude_none=True)))


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6).filter(str.isidentifier), _TREES))
def test_the_same_bytes_as_pruning_every_body(members: dict[str, Any]) -> None:
    model = _Open.model_validate(members)
    response = json_response(model)
    assert response.get_data() == _expected(model)
    assert response.mimetype == "application/json"


def test_a_body_without_empty_members_is_sent_as_dumped() -> None:
    model = _Open.model_validate(
        {"cards": [{"summary": "s", "links": [{"url": "https://x.example/rules"}]}]}
    )
    assert json_response(model).get_data() == orjson.dumps(model.model_dump(mode="json"))


def test_empty_members_are_still_pruned_and_cards_kept() -> None:
    model = _Open.model_validate(
        {"cards": [], "detail": "", "links": [{"label": "", "url": "u"}, {}], "extension": {}}
    )
    assert orjson.loads(json_response(model, status=201).get_data()) == {
        "cards": [],
        "links": [{"url": "u"}],
    }
