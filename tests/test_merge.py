"""The merge rules of ``extends:`` (cdspec.merge)."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdspec import LoadError, merge

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=15,
)


def no_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


def test_maps_merge_deeply_and_keep_order() -> None:
    """Nested maps merge key by key; base keys keep their order, new keys follow."""
    base = {"a": 1, "b": {"x": 1, "y": 2}, "c": 3}
    over = {"d": 4, "b": {"y": 20, "z": 30}}
    result = merge(base, over)
    assert result == {"a": 1, "b": {"x": 1, "y": 20, "z": 30}, "c": 3, "d": 4}
    assert list(result) == ["a", "b", "c", "d"]
    assert list(result["b"]) == ["x", "y", "z"]


def test_null_deletes() -> None:
    """A null in the overlay deletes the key, at any depth; nulls in new maps vanish."""
    result = merge({"a": 1, "b": {"x": 1, "y": 2}}, {"a": None, "b": {"x": None}, "c": {"k": None, "v": 1}})
    assert result == {"b": {"y": 2}, "c": {"v": 1}}


def test_keyed_lists_merge_by_name_or_id() -> None:
    """Lists of objects that all have a name (or id) merge item by item on it."""
    base = {"layers": [{"name": "arch", "title": "A"}, {"name": "orm", "requires": ["db"]}]}
    over = {"layers": [{"name": "orm", "title": "ORM"}, {"name": "tests", "title": "T"}]}
    assert merge(base, over)["layers"] == [
        {"name": "arch", "title": "A"},
        {"name": "orm", "requires": ["db"], "title": "ORM"},
        {"name": "tests", "title": "T"},
    ]
    by_id = merge([{"id": "a.b", "kind": "orm"}], [{"id": "a.b", "params": {"orm": "x"}}])
    assert by_id == [{"id": "a.b", "kind": "orm", "params": {"orm": "x"}}]


def test_id_wins_over_name_as_the_key() -> None:
    """When every item has both an id and a name, items are matched by id."""
    base = [{"id": "1", "name": "same"}, {"id": "2", "name": "same"}]
    assert merge(base, [{"id": "2", "name": "other"}]) == [{"id": "1", "name": "same"}, {"id": "2", "name": "other"}]


def test_delete_marker_removes_an_item() -> None:
    """{name: x, $delete: true} removes item x; deleting a missing item is an error."""
    base = [{"name": "a"}, {"name": "b"}]
    assert merge(base, [{"name": "a", "$delete": True}]) == [{"name": "b"}]
    with pytest.raises(LoadError) as info:
        merge({"layers": base}, {"layers": [{"name": "zzz", "$delete": True}]})
    assert info.value.problems[0].pointer == "/layers/0"
    assert "'zzz'" in info.value.problems[0].message


def test_repeated_key_in_an_overlay_list_is_an_error() -> None:
    """Two overlay items with the same key would silently lose one: refused."""
    with pytest.raises(LoadError) as info:
        merge([{"id": "a"}], [{"id": "b"}, {"id": "b", "x": 1}])
    assert info.value.problems[0].pointer == "/1/id"


def test_other_lists_replace() -> None:
    """Lists of scalars, mixed lists and empty lists replace the base list."""
    assert merge({"l": [1, 2, 3]}, {"l": [4]}) == {"l": [4]}
    assert merge([{"name": "a"}, 1], [{"name": "a", "x": 1}]) == [{"name": "a", "x": 1}]
    assert merge([{"name": "a"}], []) == []
    assert merge([{"name": "a"}], [{"title": "no key"}]) == [{"title": "no key"}]


def test_scalars_and_type_changes_replace() -> None:
    """An overlay scalar, or a value of another type, replaces the base value."""
    assert merge({"a": {"x": 1}}, {"a": "text"}) == {"a": "text"}
    assert merge({"a": "text"}, {"a": {"x": 1}}) == {"a": {"x": 1}}
    assert merge(1, 2) == 2


def test_replaces_hook_keeps_a_value_whole() -> None:
    """A value the replaces hook marks is taken whole, not merged."""
    whole = {"x": 1}
    assert merge({"a": {"y": 2}}, {"a": whole}, replaces=lambda v: v is whole) == {"a": {"x": 1}}


@given(json_values, json_values)
def test_inputs_are_not_modified(base: Any, over: Any) -> None:
    """merge() never changes its inputs."""
    base_copy, over_copy = copy.deepcopy(base), copy.deepcopy(over)
    with contextlib.suppress(LoadError):
        merge(base, over)
    assert (base, over) == (base_copy, over_copy)


@given(json_values.filter(no_nulls))
def test_merging_with_itself_or_nothing_is_identity(value: Any) -> None:
    """A null-free document overlaid on itself, or an empty map on a map, is unchanged."""
    assert merge(value, value) == value
    if isinstance(value, dict):
        assert merge(value, {}) == value
        assert merge({}, value) == value


@given(
    st.dictionaries(st.text(max_size=3), json_values, max_size=4),
    st.dictionaries(st.text(max_size=3), json_values, max_size=4),
)
def test_overlay_keys_win(base: dict[str, Any], over: dict[str, Any]) -> None:
    """Every non-null overlay key is in the result; null overlay keys are not."""
    try:
        result = merge(base, over)
    except LoadError:
        return
    for key, value in over.items():
        if value is None:
            assert key not in result
        else:
            assert key in result
            if not isinstance(value, dict | list):
                assert result[key] == value
    for key, value in base.items():
        if key not in over:
            assert result[key] == value
