"""Valid request data per second: cdspec's strategies against schemathesis', per operation.

For every operation of the bundled example contracts (``examples/*/openapi.yaml``)
that has something to draw (a JSON request body or parameters), three
strategies draw the data of one request:

(a) cdspec: ``cdspec.cases.from_schema`` for the body and
    ``cdspec.cases.parameter_strategy`` for each parameter (optional ones
    sometimes left out), in one ``st.fixed_dictionaries``;
(b) schemathesis: ``schemathesis.openapi.from_dict(spec)[path][method].as_strategy()``
    (its default, positive data). A dev-only dependency of this benchmark
    (``pip install schemathesis``): without it, the column is skipped;
(c) for ``POST /books`` of the library only, a hand-written
    ``st.fixed_dictionaries`` body strategy: the floor, what drawing that
    body costs with no schema compiler at all.

Each strategy is run under ``@given`` (``--examples`` examples, generate
phase only, no database, derandomized) ``--repeat`` times, interleaved
(a, b, a, b, ...) after one untimed warm-up; the best run counts. The values
drawn are checked afterwards (not timed) with jsonschema and its
``FormatChecker`` (``cdspec.cases.schema_validator``: Draft 4 after
translating ``nullable`` for 3.0, Draft 2020-12 for 3.1): the body against
its schema; each declared parameter, read back from its serialised form as
its schema's type says (schemathesis gives some values as they are, some as
strings), against its schema. The table also gives the share of drawn
requests whose strings are all ASCII.

The goal: cdspec at least 2x schemathesis' rate over all operations, with
100% of cdspec's data valid.

Run: ``python benchmarks/bench_strategies.py [--examples 300] [--repeat 3]
[--example library] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cdspec
from cdspec._frozen import thaw
from cdspec.cases import from_schema, parameter_strategy, schema_validator

GOAL_RATIO = 2.0
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = ("library", "clinic", "study")
LOCATIONS = {"path": "path_parameters", "query": "query", "header": "headers", "cookie": "cookies"}


def _schemathesis() -> Any:
    try:
        import schemathesis
    except ImportError:
        return None
    return schemathesis


# --------------------------------------------------------------------------- strategies


def cdspec_request(api: cdspec.Contract, op: cdspec.Operation) -> st.SearchStrategy[dict[str, Any]] | None:
    """One request's data drawn by cdspec: parameters by location, and the JSON body."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for location, key in LOCATIONS.items():
        params = [p for p in op.parameters if p.location == location]
        if params:
            required = {p.name: parameter_strategy(p, document=api) for p in params if p.required}
            optional = {p.name: parameter_strategy(p, document=api) for p in params if not p.required}
            parts[key] = st.fixed_dictionaries(required, optional=optional)
    body = op.request_body.schema() if op.request_body is not None else None
    if body is not None:
        parts["body"] = from_schema(body, document=api)
    return st.fixed_dictionaries(parts) if parts else None


def schemathesis_request(schema: Any, op: cdspec.Operation) -> st.SearchStrategy[dict[str, Any]]:
    """One request's data drawn by schemathesis, as a dict like cdspec's."""

    def as_dict(case: Any) -> dict[str, Any]:
        out = {key: dict(getattr(case, key) or {}) for key in LOCATIONS.values()}
        if type(case.body).__name__ != "NotSet":  # schemathesis leaves out bodies that are not required
            out["body"] = case.body
        return out

    return schema[op.path][op.method].as_strategy().map(as_dict)


_ISBN = st.one_of(
    st.builds(lambda d, x: d + x, st.text("0123456789", min_size=9, max_size=9), st.sampled_from("0123456789X")),
    st.builds(lambda p, d: p + d, st.sampled_from(["978", "979"]), st.text("0123456789", min_size=10, max_size=10)),
)
_TEXT = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
HAND_WRITTEN = st.fixed_dictionaries(
    {
        "body": st.fixed_dictionaries(
            {
                "isbn": _ISBN,
                "title": st.text(_TEXT, min_size=1, max_size=20),
                "author": st.text(_TEXT, min_size=1, max_size=20),
                "copiesTotal": st.integers(1, 500),
            },
            optional={"publishedYear": st.integers(1450, 2100)},
        )
    }
)
"""POST /books of the library, by hand: what the body costs without any compiler (the floor)."""


# --------------------------------------------------------------------------- validity


def _resolve(api: cdspec.Contract, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = api.resolve(schema["$ref"])
    return schema


def _typed(api: cdspec.Contract, schema: Any, value: Any) -> Any:
    """A parameter value as its schema's type says (a serialised '5' for an integer is 5)."""
    if not isinstance(value, str):
        return value
    resolved = _resolve(api, schema) or {}
    kinds = resolved.get("type", "string")
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind == "integer" and re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        if kind == "number" and re.fullmatch(r"-?[0-9.eE+-]+", value):
            return float(value)
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def checker(api: cdspec.Contract, op: cdspec.Operation) -> Callable[[dict[str, Any]], bool]:
    """Whether one request's data is valid: the body and every declared parameter present."""
    body_schema = op.request_body.schema() if op.request_body is not None else None
    body_validator = schema_validator(body_schema, document=api) if body_schema is not None else None
    params = [(p, schema_validator(p.schema, document=api)) for p in op.parameters if p.schema is not None]

    body_required = op.request_body is not None and op.request_body.required

    def valid(request: dict[str, Any]) -> bool:
        if body_validator is not None:
            if "body" in request and not body_validator.is_valid(request["body"]):
                return False
            if "body" not in request and body_required:
                return False
        for param, validator in params:
            values = request.get(LOCATIONS[param.location]) or {}
            if param.name not in values:
                if param.required:
                    return False
                continue
            if not validator.is_valid(_typed(api, param.schema, values[param.name])):
                return False
        return True

    return valid


# --------------------------------------------------------------------------- timing


def draw(strategy: st.SearchStrategy[Any], examples: int) -> tuple[float, list[Any]]:
    """Seconds to draw ``examples`` values under @given, and the values."""
    seen: list[Any] = []

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        seen.append(value)

    start = time.perf_counter()
    collect()
    return time.perf_counter() - start, seen


class Row:
    """One operation's best times and the validity of what each tool drew."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.best: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.valid: dict[str, int] = {}
        self.ascii: dict[str, int] = {}

    def record(self, tool: str, seconds: float, values: list[Any], valid: Callable[[Any], bool]) -> None:
        if tool not in self.best or seconds < self.best[tool]:
            self.best[tool] = seconds
            self.count[tool] = len(values)
            self.valid[tool] = sum(1 for v in values if valid(v))
            self.ascii[tool] = sum(1 for v in values if all(s.isascii() for s in _strings(v)))

    def rate(self, tool: str) -> float | None:
        return self.count[tool] / self.best[tool] if tool in self.best and self.best[tool] > 0 else None

    def share(self, tool: str, what: dict[str, int]) -> float | None:
        return what[tool] / self.count[tool] if self.count.get(tool) else None


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{100 * value:.0f}%" if value < 0.995 or value == 1 else f"{100 * value:.1f}%"
    return f"{value:.2f}x"


def measure(examples: list[str], count: int, repeat: int, schemathesis: Any) -> list[Row]:
    """Time every tool on every operation with something to draw; print a line per operation."""
    rows: list[Row] = []
    for example in examples:
        api = cdspec.load_contract(REPO / "examples" / example / "openapi.yaml")
        st_schema = schemathesis.openapi.from_dict(thaw(api.document)) if schemathesis is not None else None
        for op in api.operations:
            ours = cdspec_request(api, op)
            if ours is None:
                continue  # nothing to draw (no parameters, no JSON body)
            row = Row(f"{example} {op.key}")
            valid = checker(api, op)
            strategies = {"cdspec": ours}
            if st_schema is not None:
                strategies["schemathesis"] = schemathesis_request(st_schema, op)
            if example == "library" and op.key == "POST /books":
                strategies["hand-written"] = HAND_WRITTEN
            for strategy in strategies.values():
                draw(strategy, min(count, 20))  # warm-up: compile caches, imports
            gc.collect()
            gc.freeze()
            for _ in range(repeat):
                for tool, strategy in strategies.items():
                    seconds, values = draw(strategy, count)
                    row.record(tool, seconds, values, valid)
            gc.unfreeze()
            rows.append(row)
            print(f"  {row.name}: " + ", ".join(f"{t} {_fmt(row.rate(t), 'rate')}/s" for t in row.best), flush=True)
    return rows


def print_table(rows: list[Row], tools: list[str]) -> None:
    header = "| operation | cdspec /s | valid | ASCII |"
    if "schemathesis" in tools:
        header += " schemathesis /s | valid | ASCII | cdspec/schemathesis |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        cells = [row.name, _fmt(row.rate("cdspec"), "rate"), _fmt(row.share("cdspec", row.valid), "pct")]
        cells.append(_fmt(row.share("cdspec", row.ascii), "pct"))
        if "schemathesis" in tools:
            ratio = (row.rate("cdspec") or 0) / (row.rate("schemathesis") or 1)
            cells += [_fmt(row.rate("schemathesis"), "rate"), _fmt(row.share("schemathesis", row.valid), "pct")]
            cells += [_fmt(row.share("schemathesis", row.ascii), "pct"), _fmt(ratio, "ratio")]
        print("| " + " | ".join(cells) + " |")


def summarise(rows: list[Row], tools: list[str]) -> dict[str, dict[str, float]]:
    """Totals per tool (requests over the sum of best times), printed with the goal's verdict."""
    totals: dict[str, dict[str, float]] = {}
    for tool in tools:
        count = sum(r.count[tool] for r in rows)
        seconds = sum(r.best[tool] for r in rows)
        totals[tool] = {
            "examples": count,
            "seconds": seconds,
            "rate": count / seconds,
            "valid": sum(r.valid[tool] for r in rows) / count,
            "ascii": sum(r.ascii[tool] for r in rows) / count,
        }
        print(
            f"{tool}: {count} requests in {seconds:.2f} s = {count / seconds:,.0f}/s,"
            f" {100 * totals[tool]['valid']:.2f}% valid, {100 * totals[tool]['ascii']:.1f}% ASCII"
        )
    floor = next((r for r in rows if "hand-written" in r.best), None)
    if floor is not None:
        line = ", ".join(f"{t} {_fmt(floor.rate(t), 'rate')}/s" for t in ("hand-written", *tools))
        print(f"POST /books (library): {line}")
    verdict = "n/a (schemathesis not installed)"
    if "schemathesis" in totals:
        ratio = totals["cdspec"]["rate"] / totals["schemathesis"]["rate"]
        ok = ratio >= GOAL_RATIO and totals["cdspec"]["valid"] == 1.0
        valid = 100 * totals["cdspec"]["valid"]
        verdict = f"{ratio:.2f}x schemathesis, cdspec {valid:.2f}% valid: {'PASS' if ok else 'MISS'}"
    print(f"goal (>= {GOAL_RATIO:.0f}x schemathesis' rate, 100% valid): {verdict}")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="examples drawn per operation and run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool and operation (best counts)")
    parser.add_argument("--example", action="append", choices=EXAMPLES, help="only these example contracts")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    schemathesis = _schemathesis()
    if schemathesis is None:
        print("schemathesis is not installed: its column is skipped (pip install schemathesis to compare)\n")
    tools = ["cdspec", "schemathesis"] if schemathesis is not None else ["cdspec"]
    rows = measure(args.example or list(EXAMPLES), args.examples, args.repeat, schemathesis)
    print()
    print_table(rows, tools)
    print()
    totals = summarise(rows, tools)
    if args.json is not None:
        versions = {}
        for package in ("hypothesis", "jsonschema", "schemathesis"):
            try:
                versions[package] = metadata.version(package)
            except metadata.PackageNotFoundError:
                versions[package] = None
        data = {
            "date": datetime.date.today().isoformat(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "versions": versions,
            "examples": args.examples,
            "repeat": args.repeat,
            "totals": totals,
            "operations": [
                {"operation": r.name, "seconds": r.best, "count": r.count, "valid": r.valid, "ascii": r.ascii}
                for r in rows
            ],
        }
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
