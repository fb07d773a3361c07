"""Lazy public names for the model's subpackages (PEP 562 module ``__getattr__``).

Each subpackage's ``__init__`` lists its public names and the module that defines each one;
nothing is imported until a name is first read, so importing ``simulator.scenario`` for
``load_scenario`` does not import SimPy or the crowd model, and modules that import each
other's packages never meet a half-initialised ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, homes: dict[str, list[str]]
) -> tuple[list[str], Callable[[str], Any]]:
    """``(__all__, __getattr__)`` for ``package``: ``homes`` maps a submodule to its names."""
    where = {name: module for module, names in homes.items() for name in names}

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    return sorted(where), getattr_
