"""The strict body reader (node/api/jsonbody.py): the nesting check agrees with a plain depth count on any bracket
text, also across its 64 KiB parts; loads_strict refuses what the API must not read; batch_items hands out each
item's own text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.api import jsonbody
from node.api.jsonbody import MAX_DEPTH, batch_items, loads_strict, nesting_within
from node.errors import ValidationFailedError


def reference_depth(data: bytes) -> tuple[int, bool]:
    """(deepest nesting, brackets pair up) by counting, strings skipped (escapes honoured): the obvious version."""
    depth, deepest, paired, in_string, escaped = 0, 0, True, False, False
    for byte in data:
        char = chr(byte)
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
            paired = paired and depth >= 0
    return deepest, paired and depth == 0


def agrees(text: bytes) -> None:
    """Too deep is always refused; paired brackets within the limit always pass (unpaired ones are not JSON, which
    the parser refuses either way)."""
    deepest, paired = reference_depth(text)
    if deepest > MAX_DEPTH:
        assert not nesting_within(text)
    elif paired:
        assert nesting_within(text)


TOKENS = st.sampled_from(["[", "]", "{", "}", "1,", '"a"', '"[["', '"\\\\"', '"\\"]"', " "])


@settings(max_examples=400, deadline=None)
@given(st.lists(TOKENS, max_size=400), st.integers(0, 80))
def test_the_nesting_check_is_a_depth_count(tokens: list[str], extra: int) -> None:
    agrees(("[" * extra + "".join(tokens) + "]" * extra).encode())


@settings(max_examples=100, deadline=None)
@given(st.lists(TOKENS, max_size=300), st.integers(1, 9))
def test_the_nesting_check_carries_the_depth_across_its_parts(tokens: list[str], part: int) -> None:
    text = ("[" * 40 + "".join(tokens) + "]" * 40).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonbody, "_CHUNK", part)
        agrees(text)


def test_the_nesting_limit_is_exact_and_deep_bodies_are_checked_quickly() -> None:
    assert nesting_within(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert not nesting_within(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert not nesting_within(b"[" * 5_000_000)  # no recursion anywhere: no stack to overflow


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'[{"x": {"b": 1, "b": 1}}]', "appears twice"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"a": 1e400}', "too large for a double"),
        (b'{"a": "\\ud800"}', "lone UTF-16 surrogate"),
        (b'{"\\udc00": 1}', "lone UTF-16 surrogate"),
        (b'{"a": "\xc3\x28"}', "not UTF-8"),
        (b'{"a": 1} 2', "extra data"),
        (b"", "Expecting value"),
    ],
)
def test_loads_strict_refuses(body: bytes, says: str) -> None:
    with pytest.raises(json.JSONDecodeError, match=says):
        loads_strict(body)


def test_loads_strict_reads_what_is_fine() -> None:
    assert loads_strict(b' {"a": [1, 2.5, "\\ud83d\\ude00", "\\\\ud800"], "b": null} ') == {
        "a": [1, 2.5, "\U0001f600", "\\ud800"],
        "b": None,
    }


def test_batch_items_are_the_texts_as_sent() -> None:
    first = '{"b": 1,  "b": 2}'  # the reader of the item judges this, not the outer parse
    second = '{"x": [1, {"y": "\\u00e9"}]}'
    body = f' {{"other": {{"k": 1}}, "bundles": [ {first} ,{second}, 3 ] }} '.encode()
    assert batch_items(body, "bundles", 10, "too many") == [first, second, "3"]
    assert batch_items(b'{"bundles": []}', "bundles", 10, "too many") == []
    with pytest.raises(ValidationFailedError, match="too many"):
        batch_items(b'{"bundles": [1, 2, 3]}', "bundles", 2, "too many")
    with pytest.raises(json.JSONDecodeError, match="appears twice"):
        batch_items(b'{"bundles": [], "other": {"k": 1, "k": 2}}', "bundles", 10, "too many")
