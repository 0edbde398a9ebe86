"""Canonical JSON refuses floats wherever they hide (a float would sign differently on
another device)."""

from __future__ import annotations

import pytest

from caseapp.canonical import canonical_json, reject_floats


@pytest.mark.parametrize("value", [1.5, {"a": [1, {"b": 0.1}]}, [[[2.0]]], ("x", 3.0),
                                   {"k": {"deep": {"deeper": [None, True, 1e3]}}}])
def test_a_float_anywhere_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        reject_floats(value)


def test_text_numbers_and_nulls_pass_in_canonical_form() -> None:
    value = {"b": [1, True, None, "۱۲"], "a": {"z": "x", "y": -7}}
    reject_floats(value)
    assert canonical_json(value) == '{"a":{"y":-7,"z":"x"},"b":[1,true,null,"۱۲"]}'.encode()
