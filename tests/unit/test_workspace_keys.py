"""The workspace table's key layout and the workspace ids' path form (leadgate.workspace.keys, .ids)."""

from __future__ import annotations

import pytest

from leadgate import errors
from leadgate.workspace import ids, keys


def test_object_keys_sort_as_their_ids_and_carry_the_tenant():
    assert keys.object_key("acme", keys.STAGE, 3) == {
        "pk": {"S": "T#acme"},
        "sk": {"S": "STAGE#0000000000000003"},
    }
    sort_keys = [keys.object_sk(keys.TAG, object_id) for object_id in (1, 2, 10, 9_007_199_254_740_992)]
    assert sort_keys == sorted(sort_keys)
    assert all(sk.startswith(keys.object_prefix(keys.TAG)) for sk in sort_keys)


def test_count_keys_live_apart_from_the_objects_per_kind_and_read_back_their_id():
    assert keys.counts_partition("acme", keys.STAGE) == "T#acme#COUNT#stage"
    assert keys.count_sk(12, 7) == "0000000000000012#07"
    assert keys.count_sk(12, 7).startswith(keys.count_prefix(12))
    assert not keys.count_sk(120, 0).startswith(keys.count_prefix(12))
    assert keys.id_of(keys.count_sk(12, 7)) == 12
    assert keys.id_of(keys.object_sk(keys.USER, 42)) == 42


def test_sequences_and_unique_values_are_per_kind():
    assert keys.sequence_sk(keys.PIPELINE) == "SEQ#pipeline"
    assert keys.unique_sk(keys.USER, "a@example.jp") == "UNIQUE#user#a@example.jp"


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("42", 42), ("9007199254740992", 2**53)])
def test_a_path_id_is_a_canonical_positive_integer_up_to_2_to_the_53(text, expected):
    assert ids.parse(text) == expected
    assert ids.from_path(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0", "-1", "+1", "01", "1.0", "1e3", "9007199254740993", "99999999999999999999", "", " 1", "\uff11", "abc", "0x1"],
)
def test_anything_else_in_a_path_names_nothing(text):
    assert ids.parse(text) is None
    with pytest.raises(errors.NotFound):
        ids.from_path(text, "pipeline")
