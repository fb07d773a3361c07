"""Property tests of the scenario loader: any input either loads or raises InputError."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import InputError
from simulator.scenario.models import load_scenario

SMOKE = yaml.safe_load((Path(__file__).parents[3] / "scenarios" / "ci-smoke.yaml").read_text())

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["1h", "-5m", "240/h", "0/s", "1e309", ">=10", "pareto", "p1", "care", ""]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=8,
)


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, prefix + (i,))
    return out


PATHS = _paths(SMOKE)
_QUICK: dict = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


def _load(tmp_path: Path, data: object) -> None:
    path = tmp_path / "prop.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        load_scenario(path)
    except InputError as err:
        message = str(err)
        assert message.startswith("prop.yaml: ") and "\n" not in message


@settings(max_examples=100, **_QUICK)
@given(index=st.integers(0, len(PATHS) - 1), value=_values)
def test_replacing_any_field_loads_or_raises_input_error(
    tmp_path: Path, index: int, value: object
) -> None:
    data = copy.deepcopy(SMOKE)
    *parents, last = PATHS[index]
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    _load(tmp_path, data)


@settings(max_examples=40, **_QUICK)
@given(data=_values)
def test_any_document_loads_or_raises_input_error(tmp_path: Path, data: object) -> None:
    _load(tmp_path, data)


@settings(max_examples=40, **_QUICK)
@given(raw=st.binary(max_size=200))
def test_any_bytes_load_or_raise_input_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "prop.yaml"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except InputError as err:
        assert "prop.yaml" in str(err) and "\n" not in str(err)


def test_a_key_with_a_newline_is_named_on_one_line(tmp_path: Path) -> None:
    """Found by the property above: ``channels: {"\\n": null}`` once broke the line."""
    data = copy.deepcopy(SMOKE)
    data["channels"] = {"\n": None}
    _load(tmp_path, data)
    with pytest.raises(InputError, match=r"channels\['\\n'\] must be a number"):
        load_scenario(tmp_path / "prop.yaml")
