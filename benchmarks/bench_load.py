"""How long cdspec takes to load a large task, against openapi-spec-validator alone.

Generates (deterministically, from ``--seed``, in a temporary directory) a
task whose OpenAPI 3.0.3 contract has ``--operations`` operations, written as
YAML to its own ``openapi.yaml``, and a ``task.yaml`` with six layers and
fifteen constraints of the built-in kinds. Then measures, best of
``--repeat`` runs each, in this one process:

(a) ``cdspec.load_task``: the whole load (parse, references, task schema,
    contract validation, constraint params, structuring the model);
(b) ``OpenAPIV30SpecValidator(spec).validate()`` on the same contract,
    already parsed into a dict (a fresh validator every run: upstream
    memoises ``iter_errors`` on the instance, so a reused one would return
    its cached result);
(c) ``yaml.load(text, Loader=yaml.CSafeLoader)`` of ``openapi.yaml`` alone,
    for reference.

Runs are interleaved (a, b, c, a, b, c, ...) so that background load hits
all three alike. The goal is (a) within 1.5x of (b). ``--profile`` also
runs cProfile on one load and prints its phases and the functions with the
most cumulative time.

Run: ``python benchmarks/bench_load.py [--operations 500] [--repeat 5]
[--seed 0] [--json OUT] [--profile]``.
"""

from __future__ import annotations

import os

# Compare like with like: cdspec pins openapi-spec-validator's pure-Python
# jsonschema backend, so the baseline uses it too (upstream's "auto" would
# pick jsonschema-rs if it were installed). Must be set before the first
# validator is built; an explicit setting in the environment wins.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")

import argparse
import cProfile
import gc
import json
import platform
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common
import yaml

import cdspec

GOAL_RATIO = 1.5
METHODS_PER_RESOURCE = 5

# ------------------------------------------------------------------------------ generation

# fmt: off
_NOUNS = (
    "account", "address", "album", "alert", "article", "asset", "badge", "basket", "batch", "bill",
    "booking", "branch", "budget", "campaign", "card", "cart", "category", "channel", "claim",
    "client", "comment", "contact", "contract", "coupon", "course", "credit", "customer", "dashboard",
    "deal", "device", "discount", "document", "domain", "draft", "employee", "event", "expense",
    "feed", "file", "folder", "game", "grant", "group", "guest", "invoice", "issue", "item", "job",
    "journal", "label", "lead", "lesson", "license", "list", "location", "log", "meeting", "member",
    "message", "metric", "milestone", "note", "offer", "order", "package", "page", "partner",
    "payment", "permit", "photo", "plan", "playlist", "policy", "post", "price", "product", "project",
    "quote", "rating", "receipt", "recipe", "record", "refund", "region", "release", "report",
    "request", "review", "role", "room", "route", "rule", "sale", "schedule", "seat", "segment",
    "sensor", "session", "shift", "shipment",
)
# fmt: on
_PREFIXES = ("", "team", "user", "store", "fleet", "vendor", "site", "sub")
_STATUSES = ("draft", "active", "pending", "archived", "closed", "suspended", "approved", "rejected")
_FIELD_POOL: tuple[tuple[str, dict[str, Any]], ...] = (
    ("title", {"type": "string", "minLength": 1, "maxLength": 200}),
    ("description", {"type": "string", "maxLength": 2000, "nullable": True}),
    ("quantity", {"type": "integer", "format": "int32", "minimum": 0}),
    ("amount", {"type": "number", "format": "double", "minimum": 0, "exclusiveMinimum": True}),
    ("currency", {"type": "string", "pattern": "^[A-Z]{3}$", "example": "EUR"}),
    ("email", {"type": "string", "format": "email"}),
    ("website", {"type": "string", "format": "uri"}),
    ("startsAt", {"type": "string", "format": "date-time"}),
    ("dueDate", {"type": "string", "format": "date"}),
    ("priority", {"type": "integer", "minimum": 1, "maximum": 5, "default": 3}),
    ("enabled", {"type": "boolean", "default": True}),
    ("score", {"type": "number", "minimum": 0, "maximum": 100}),
    ("code", {"type": "string", "pattern": "^[a-z0-9-]{3,32}$"}),
    ("notes", {"type": "array", "items": {"type": "string", "maxLength": 500}, "maxItems": 20}),
    ("weightKg", {"type": "number", "format": "float", "minimum": 0}),
    ("externalId", {"type": "string", "maxLength": 64, "nullable": True}),
)


def _names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct resource names like ``invoice`` or ``vendorInvoice``."""
    pool = [p + (n.capitalize() if p else n) for p in _PREFIXES for n in _NOUNS]
    rng.shuffle(pool)
    if count <= len(pool):
        return sorted(pool[:count])
    return sorted(pool) + [f"resource{i}" for i in range(len(pool), count)]


def _plural(name: str) -> str:
    if name.endswith("y") and name[-2:-1] not in ("a", "e", "o", "u"):
        return name[:-1] + "ies"
    return name + ("es" if name.endswith(("s", "x", "ch", "sh")) else "s")


def _pascal(name: str) -> str:
    return name[0].upper() + name[1:]


def _resource_schemas(name: str, index: int, names: list[str], rng: random.Random) -> dict[str, Any]:
    """``<Name>Input``, ``<Name>`` (allOf the input plus server fields), ``<Name>Ref``, ``<Name>Page``."""
    cls = _pascal(name)
    fields = rng.sample(_FIELD_POOL, rng.randint(4, 8))
    properties: dict[str, Any] = {"name": {"type": "string", "minLength": 1, "maxLength": 120}}
    properties.update((field, dict(spec)) for field, spec in fields)
    properties["status"] = {"type": "string", "enum": rng.sample(_STATUSES, rng.randint(2, 5))}
    properties["tags"] = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
    properties["attributes"] = {"type": "object", "additionalProperties": {"type": "string"}}
    if index > 0:  # relations point at earlier resources only (no reference cycles)
        other = _pascal(names[rng.randrange(index)])
        properties[f"{other[0].lower()}{other[1:]}"] = {"$ref": f"#/components/schemas/{other}Ref"}
    required = ["name", *sorted(rng.sample([f for f, _ in fields], 2))]
    return {
        f"{cls}Input": {
            "type": "object",
            "description": f"The fields of a {name} that clients send.",
            "required": required,
            "properties": properties,
            "additionalProperties": False,
        },
        cls: {
            "description": f"A {name} as the server returns it.",
            "allOf": [
                {"$ref": f"#/components/schemas/{cls}Input"},
                {
                    "type": "object",
                    "required": ["id", "createdAt"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid", "readOnly": True},
                        "createdAt": {"type": "string", "format": "date-time", "readOnly": True},
                        "updatedAt": {"type": "string", "format": "date-time", "readOnly": True},
                        "audit": {"$ref": "#/components/schemas/Audit"},
                    },
                },
            ],
        },
        f"{cls}Ref": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "href": {"type": "string", "format": "uri", "readOnly": True},
            },
        },
        f"{cls}Page": {
            "type": "object",
            "required": ["items", "page"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{cls}"}},
                "page": {"$ref": "#/components/schemas/PageInfo"},
            },
        },
    }


def _json_body(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*names: str) -> dict[str, Any]:
    codes = {"BadRequest": "400", "Unauthorized": "401", "NotFound": "404"}
    return {codes[n]: {"$ref": f"#/components/responses/{n}"} for n in names}


def _resource_paths(name: str, methods: int, rng: random.Random) -> dict[str, Any]:
    """The collection and item path items of one resource, with ``methods`` of its 5 operations."""
    cls = _pascal(name)
    plural = _plural(name)
    tag = cls
    ops: list[tuple[str, str, dict[str, Any]]] = [
        (
            "collection",
            "get",
            {
                "operationId": f"list{_pascal(plural)}",
                "summary": f"List {plural}",
                "tags": [tag],
                "parameters": [
                    {"$ref": "#/components/parameters/Limit"},
                    {"$ref": "#/components/parameters/Cursor"},
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": f"Only {plural} with this status.",
                    },
                ],
                "responses": {
                    "200": {"description": f"A page of {plural}.", "content": _json_body(f"{cls}Page")},
                    **_errors("BadRequest", "Unauthorized"),
                },
            },
        ),
        (
            "collection",
            "post",
            {
                "operationId": f"create{cls}",
                "summary": f"Create a {name}",
                "tags": [tag],
                "parameters": [{"$ref": "#/components/parameters/DryRun"}],
                "requestBody": {"required": True, "content": _json_body(f"{cls}Input")},
                "responses": {
                    "201": {
                        "description": f"The {name} was created.",
                        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                        "content": _json_body(cls),
                    },
                    **_errors("BadRequest", "Unauthorized"),
                },
            },
        ),
        (
            "item",
            "get",
            {
                "operationId": f"get{cls}",
                "summary": f"Get one {name}",
                "tags": [tag],
                "parameters": [
                    {
                        "name": "fields",
                        "in": "query",
                        "style": "form",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "string"}},
                    }
                ],
                "security": [{"bearerAuth": []}, {"apiKey": []}],
                "responses": {
                    "200": {"description": f"The {name}.", "content": _json_body(cls)},
                    **_errors("BadRequest", "Unauthorized", "NotFound"),
                },
            },
        ),
        (
            "item",
            "put",
            {
                "operationId": f"update{cls}",
                "summary": f"Replace a {name}",
                "tags": [tag],
                "parameters": [{"$ref": "#/components/parameters/DryRun"}],
                "requestBody": {"required": True, "content": _json_body(f"{cls}Input")},
                "responses": {
                    "200": {"description": f"The updated {name}.", "content": _json_body(cls)},
                    **_errors("BadRequest", "Unauthorized", "NotFound"),
                },
            },
        ),
        (
            "item",
            "delete",
            {
                "operationId": f"delete{cls}",
                "summary": f"Delete a {name}",
                "tags": [tag],
                "parameters": [{"name": "force", "in": "query", "schema": {"type": "boolean", "default": False}}],
                "responses": {
                    "204": {"description": f"The {name} was deleted."},
                    **_errors("BadRequest", "Unauthorized", "NotFound"),
                },
            },
        ),
    ]
    org = {
        "name": "orgId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "description": "The organisation.",
    }
    item_id = {
        "name": f"{name}Id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
        "description": f"The {name}'s id.",
    }
    collection: dict[str, Any] = {"parameters": [org]}
    item: dict[str, Any] = {"parameters": [org, item_id]}
    for where, method, op in ops[:methods]:
        if rng.random() < 0.5:
            op["description"] = f"{op['summary']}. Requires the `{name}:{method}` scope."
        (collection if where == "collection" else item)[method] = op
    paths = {}
    if len(collection) > 1:
        paths[f"/orgs/{{orgId}}/{plural}"] = collection
    if len(item) > 1:
        paths[f"/orgs/{{orgId}}/{plural}/{{{name}Id}}"] = item
    return paths


def make_contract(operations: int, seed: int) -> dict[str, Any]:
    """An OpenAPI 3.0.3 document with exactly ``operations`` operations."""
    rng = random.Random(seed)
    count = -(-operations // METHODS_PER_RESOURCE)
    names = _names(count, rng)
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            },
        },
        "PageInfo": {
            "type": "object",
            "required": ["limit"],
            "properties": {
                "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                "next": {"type": "string", "nullable": True},
                "total": {"type": "integer", "minimum": 0},
            },
        },
        "Audit": {
            "type": "object",
            "properties": {
                "createdBy": {"type": "string"},
                "updatedBy": {"type": "string", "nullable": True},
                "version": {"type": "integer", "minimum": 1},
            },
        },
    }
    paths: dict[str, Any] = {}
    left = operations
    for index, name in enumerate(names):
        schemas.update(_resource_schemas(name, index, names, rng))
        paths.update(_resource_paths(name, min(left, METHODS_PER_RESOURCE), rng))
        left -= METHODS_PER_RESOURCE

    def error_response(description: str) -> dict[str, Any]:
        return {"description": description, "content": _json_body("Error")}

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Generated benchmark API",
            "version": "1.0.0",
            "description": f"{operations} operations on {count} resources (seed {seed}).",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": "https://api.example.com/v1", "description": "Production"}],
        "tags": [{"name": _pascal(n), "description": f"Operations on {_plural(n)}."} for n in names],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "Limit": {
                    "name": "limit",
                    "in": "query",
                    "description": "Page size.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                },
                "Cursor": {
                    "name": "cursor",
                    "in": "query",
                    "description": "Opaque cursor of the next page.",
                    "schema": {"type": "string"},
                },
                "DryRun": {
                    "name": "dryRun",
                    "in": "query",
                    "description": "Validate only, change nothing.",
                    "schema": {"type": "boolean", "default": False},
                },
            },
            "responses": {
                "BadRequest": error_response("The request is invalid."),
                "Unauthorized": error_response("Missing or invalid credentials."),
                "NotFound": error_response("No such resource."),
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


def make_task(contract_file: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The task document and the layer files it refers to: 6 layers, 15 constraints."""
    testing = {
        "name": "testing",
        "title": "Tests",
        "summary": "Keep the tests where the harness looks for them.",
        "requires": ["architecture"],
        "constraints": [
            {
                "id": "testing.location",
                "kind": "tests-location",
                "params": {"directory": "tests", "pattern": "test_*.py"},
            },
            {"id": "testing.routes", "kind": "routes-cover-contract", "params": {"ignore": []}},
            {
                "id": "testing.no-network",
                "kind": "forbidden-imports",
                "params": {"modules": ["socket", "http.client"], "in": ["tests"]},
            },
        ],
    }
    task = {
        "id": "bench.large-api",
        "title": "A large generated API",
        "goal": "Implement every operation of the contract with the layers below.",
        "target": {"language": "python", "framework": "fastapi"},
        "contract": contract_file,
        "layers": [
            {
                "name": "architecture",
                "summary": "Routes, services and repositories live in separate layers.",
                "constraints": [
                    {
                        "id": "architecture.layout",
                        "kind": "folder-layout",
                        "params": {
                            "required": ["app/main.py", "app/routes/", "app/services/", "app/repositories/"],
                            "forbidden": ["app/utils.py"],
                            "layer_dirs": {
                                "routes": ["app/routes", "app/api"],
                                "services": ["app/services"],
                                "repositories": ["app/repositories", "app/repos"],
                            },
                        },
                    },
                    {
                        "id": "architecture.layering",
                        "kind": "import-layering",
                        "params": {
                            "layers": [
                                {"name": "routes", "modules": ["app.routes"]},
                                {"name": "services", "modules": ["app.services"]},
                                {"name": "repositories", "modules": ["app.repositories"]},
                            ]
                        },
                    },
                    {
                        "id": "architecture.no-requests",
                        "kind": "forbidden-imports",
                        "params": {"modules": ["requests", "urllib3"], "in": ["app.services"]},
                        "rationale": "Services call other services through injected clients.",
                    },
                ],
            },
            {
                "name": "orm",
                "requires": ["architecture"],
                "constraints": [
                    {"id": "orm.sqlalchemy", "kind": "orm", "params": {"orm": "sqlalchemy", "style": "2.0"}},
                    {
                        "id": "orm.single-data-path",
                        "kind": "single-data-path",
                        "params": {"modules": ["app.repositories"]},
                    },
                    {
                        "id": "orm.no-raw-sql",
                        "kind": "no-raw-sql",
                        "params": {"allowed_in": ["app/migrations"]},
                        "text": "Write no SQL by hand outside the migrations.",
                    },
                ],
            },
            {
                "name": "sqlite",
                "group": "database",
                "requires": ["orm"],
                "constraints": [
                    {
                        "id": "database.sqlite",
                        "kind": "database-engine",
                        "params": {"engine": "sqlite", "url_env": "DATABASE_URL"},
                    },
                ],
            },
            {
                "name": "postgres",
                "group": "database",
                "requires": ["orm"],
                "constraints": [
                    {
                        "id": "database.postgres",
                        "kind": "database-engine",
                        "params": {"engine": "postgresql", "url_env": "DATABASE_URL"},
                    },
                ],
            },
            {
                "name": "data",
                "requires": ["orm"],
                "preamble": "The persistent model and how requests are checked.",
                "constraints": [
                    {
                        "id": "data.model",
                        "kind": "data-model",
                        "params": {
                            "entities": [
                                {
                                    "name": "Customer",
                                    "table": "customers",
                                    "fields": [
                                        {"name": "id", "type": "uuid", "primary_key": True},
                                        {"name": "email", "type": "string", "required": True, "unique": True},
                                        {"name": "tier", "type": "enum(free|pro|enterprise)"},
                                    ],
                                    "relations": [{"name": "orders", "target": "Order", "kind": "one-to-many"}],
                                },
                                {
                                    "name": "Order",
                                    "table": "orders",
                                    "fields": [
                                        {"name": "id", "type": "uuid", "primary_key": True},
                                        {"name": "total", "type": "number", "required": True},
                                        {"name": "placed_at", "type": "datetime"},
                                    ],
                                    "relations": [{"name": "customer", "target": "Customer", "kind": "many-to-one"}],
                                },
                            ]
                        },
                    },
                    {
                        "id": "data.validation",
                        "kind": "validation-pattern",
                        "params": {"library": "pydantic", "modules": ["app.schemas"]},
                    },
                    {
                        "id": "data.migrations",
                        "kind": "migrations-preserved",
                        "params": {"directory": "app/migrations", "tool": "alembic"},
                    },
                    {"id": "data.no-pickle", "kind": "forbidden-imports", "params": {"modules": ["pickle", "shelve"]}},
                ],
            },
            {"$ref": "layers/testing.yaml"},
        ],
        "sections": [
            {"title": "Server", "text": "Listen on 0.0.0.0:8000; read settings from the environment."},
        ],
    }
    return task, {"layers/testing.yaml": testing}


class _PlainDumper(yaml.SafeDumper):
    """SafeDumper that writes shared values out in full (no ``&anchors``), as people write OpenAPI."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_PlainDumper, sort_keys=False, width=100)


def write_task(directory: Path, operations: int, seed: int) -> tuple[Path, Path]:
    """Write ``openapi.yaml``, ``task.yaml`` and its layer files; return the task and contract paths."""
    contract_path = directory / "openapi.yaml"
    contract_path.write_text(_dump(make_contract(operations, seed)), encoding="utf-8")
    task, layers = make_task(contract_path.name)
    for name, layer in layers.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(_dump(layer), encoding="utf-8")
    task_path = directory / "task.yaml"
    task_path.write_text(_dump(task), encoding="utf-8")
    return task_path, contract_path


# ------------------------------------------------------------------------------ measuring


def best_of(repeat: int, runs: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Wall times of ``repeat`` rounds of every run, interleaved (after one untimed warm-up each).

    Interleaving (a, b, c, a, b, c, ...) exposes every measurement to the
    same background load, which keeps the ratio meaningful on a busy machine.
    The garbage collector stays on (a load allocates a lot, and collections
    are part of its cost), but what already exists when timing starts (the
    parsed contract of (b), the imported modules) is moved out of its reach
    with ``gc.freeze()``, so that the harness's own objects do not make
    collections during the runs dearer than in a process that only loads.
    """
    for run in runs.values():
        run()  # warm-up: lazy imports, cached schema validators, file cache
    gc.collect()
    gc.freeze()
    try:
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(repeat):
            for name, run in runs.items():
                gc.collect()
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    finally:
        gc.unfreeze()
    return times


def validate_alone(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import OpenAPIV30SpecValidator

    # A fresh instance every run: iter_errors is memoised (lru_cache) per instance.
    OpenAPIV30SpecValidator(spec).validate()


# (label, file suffix, function): phases of a load, found in the profile by name
# (not line number, so edits to cdspec do not break them). They may overlap.
_PHASES = (
    ("read + parse files (cdspec YAML loader)", "cdspec/_source.py", "read_source"),
    ("  of which YAML parsing", "cdspec/_source.py", "_parse_yaml"),
    ("follow $refs / extends", "cdspec/load.py", "expand"),
    ("task schema + kind params (JSON Schema)", "cdspec/_schemas.py", "schema_problems"),
    ("contract validation (contract_problems)", "cdspec/contract.py", "contract_problems"),
    ("  of which openapi-spec-validator, structure", "cdspec/contract.py", "structure_errors"),
    ("  of which openapi-spec-validator, semantics", "cdspec/contract.py", "semantic_errors"),
    ("  of which dangling-$ref scan", "cdspec/contract.py", "_dangling_refs"),
    ("structuring the model (cattrs, Contract index)", "cdspec/load.py", "_structure"),
)


def profile_load(task_path: Path, top: int) -> str:
    """One load under cProfile: its phases and the ``top`` functions by cumulative time."""
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    cdspec.load_task(task_path)
    profiler.disable()
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]  # documented only by the source
    total = max(ct for _, _, _, ct, _ in stats.values())
    lines = ["phases (cumulative, from the profile; they may overlap):"]
    for label, suffix, function in _PHASES:
        found = [
            ct
            for (file, _, name), (_, _, _, ct, _) in stats.items()
            if name == function and file.replace(os.sep, "/").endswith(suffix)
        ]
        shown = f"{max(found) * 1000:>8.0f} ms  {max(found) / total:>4.0%}" if found else "     n/a"
        lines.append(f"  {label:<48} {shown}")
    lines.append(f"  {'whole load_task (profiled)':<48} {total * 1000:>8.0f} ms  100%")
    lines.append("")
    lines.append(f"top {top} functions by cumulative time:")
    lines.append(f"  {'ncalls':>14} {'tottime':>8} {'cumtime':>8}  function")
    ranked = sorted(stats.items(), key=lambda item: -item[1][3])[:top]
    for (file, lineno, function), (primitive, calls, tottime, cumtime, _) in ranked:
        ncalls = str(calls) if calls == primitive else f"{calls}/{primitive}"
        lines.append(f"  {ncalls:>14} {tottime:>8.3f} {cumtime:>8.3f}  {_common.where(file, lineno, function)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=500, help="operations in the contract (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each measurement; the best counts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated contract (default 0)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    parser.add_argument("--profile", action="store_true", help="profile one cdspec load with cProfile")
    parser.add_argument("--top", type=int, default=15, help="functions the profile lists (default 15)")
    args = parser.parse_args(argv)
    if args.operations < 1 or args.repeat < 1:
        parser.error("--operations and --repeat must be at least 1")

    from openapi_spec_validator.schemas import get_validator_backend

    with tempfile.TemporaryDirectory(prefix="cdspec-bench-") as tmp:
        task_path, contract_path = write_task(Path(tmp), args.operations, args.seed)
        text = contract_path.read_text(encoding="utf-8")
        spec = yaml.load(text, Loader=yaml.CSafeLoader)

        # Sanity: the generated task loads, with every operation, and the
        # baseline accepts the very same document.
        task = cdspec.load_task(task_path)
        if len(task.contract.operations) != args.operations:
            raise SystemExit(f"generated {len(task.contract.operations)} operations, not {args.operations}")
        layers = len(task.layers)
        constraints = sum(len(layer.constraints) for layer in task.layers)
        del task  # hold nothing but the inputs while timing (see best_of)
        validate_alone(spec)

        times = best_of(
            args.repeat,
            {
                "load_task": lambda: cdspec.load_task(task_path),
                "validator_alone": lambda: validate_alone(spec),
                "yaml_csafe_parse": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
            },
        )
        load_best, validate_best, parse_best = (min(times[name]) for name in times)
        profile = profile_load(task_path, args.top) if args.profile else None

    ratio = load_best / validate_best
    verdict = "PASS" if ratio <= GOAL_RATIO else "MISS"
    print(
        f"cdspec load benchmark: {args.operations} operations, {len(spec['components']['schemas'])} schemas, "
        f"{len(text) / 1024:.0f} KiB of YAML; {layers} layers, {constraints} constraints; "
        f"seed {args.seed}, best of {args.repeat}"
    )
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"openapi-spec-validator backend: {get_validator_backend()}"
    )
    print()
    rows = [
        ("(a) cdspec.load_task (whole load)", load_best),
        ("(b) OpenAPIV30SpecValidator(spec).validate()", validate_best),
        ("(c) yaml.load(CSafeLoader), contract only", parse_best),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}}  {'best (ms)':>10}  {'vs (b)':>7}")
    for name, best in rows:
        print(f"{name:<{width}}  {best * 1000:>10.1f}  {best / validate_best:>6.2f}x")
    print()
    print(f"goal: cdspec's whole load within {GOAL_RATIO}x of the validator alone: (a)/(b) = {ratio:.2f}x  {verdict}")

    if profile is not None:
        print()
        print("cProfile of one cdspec.load_task (profiling inflates pure-Python code; compare shares):")
        print(profile.rstrip())

    if args.json:
        result = {
            **_common.environment(
                ("cdspec", "openapi-spec-validator", "jsonschema", "referencing", "PyYAML", "cattrs", "attrs")
            ),
            "validator_backend": get_validator_backend(),
            "operations": args.operations,
            "schemas": len(spec["components"]["schemas"]),
            "contract_bytes": len(text.encode()),
            "layers": layers,
            "constraints": constraints,
            "seed": args.seed,
            "repeat": args.repeat,
            "seconds": {name: {"best": min(runs), "runs": runs} for name, runs in times.items()},
            "ratio": ratio,
            "goal_ratio": GOAL_RATIO,
            "verdict": verdict,
        }
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
