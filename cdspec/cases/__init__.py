"""Behavioural test cases: cases as data (:mod:`.model`) and the strategies that draw their data.

``import cdspec`` imports this package (for :mod:`cdspec.cases.model`) but
not the strategies: the names below are loaded on first use, and with them
Hypothesis and jsonschema.

- :func:`from_schema`: JSON values valid against an OpenAPI 3.0/3.1 schema;
- :func:`parameter_strategy`: a parameter's values, serialised per its
  ``style``/``explode``; :func:`serialise_parameter` serialises one value
  (:data:`Serialised` is the type of the result);
- :func:`generate_cases`: behavioural cases derived from a task (seeded);
  :func:`strategy`: the same as a Hypothesis strategy for ``@given`` tests;
- :func:`schema_validator`: a jsonschema validator that reads a schema as
  the strategies do (3.0's ``nullable``, ``readOnly``/``writeOnly``).

See docs/strategies.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._generate import CASE_KINDS, generate_cases, strategy
    from ._params import Serialised, parameter_strategy, serialise_parameter
    from ._schema import from_schema
    from ._validate import schema_validator

__all__ = [
    "CASE_KINDS",
    "Serialised",
    "from_schema",
    "generate_cases",
    "parameter_strategy",
    "schema_validator",
    "serialise_parameter",
    "strategy",
]

_LAZY = {
    "CASE_KINDS": "._generate",
    "generate_cases": "._generate",
    "strategy": "._generate",
    "Serialised": "._params",
    "parameter_strategy": "._params",
    "serialise_parameter": "._params",
    "from_schema": "._schema",
    "schema_validator": "._validate",
}


def __getattr__(name: str) -> Any:
    """Load the strategies (and Hypothesis) only when one of them is first asked for."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
