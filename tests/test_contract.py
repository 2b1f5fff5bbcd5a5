"""The contract: OpenAPI validation and the operation index."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cdspec import Contract, ContractError
from cdspec.contract import contract_problems

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Shop", "version": "2.1"},
    "security": [{"bearer": []}],
    "paths": {
        "/orders/{orderId}": {
            "parameters": [
                {"$ref": "#/components/parameters/OrderId"},
                {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            ],
            "get": {
                "operationId": "getOrder",
                "summary": "Read one order",
                "tags": ["orders"],
                "parameters": [{"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "the order",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
                    },
                    "4XX": {"$ref": "#/components/responses/Problem"},
                    "default": {"description": "anything else"},
                },
            },
            "delete": {
                "operationId": "deleteOrder",
                "security": [{}, {"bearer": ["admin"]}],
                "responses": {"204": {"description": "deleted"}},
            },
        },
        "/health": {"get": {"operationId": "health", "security": [], "responses": {"200": {"description": "up"}}}},
        "/orders": {
            "post": {
                "operationId": "createOrder",
                "requestBody": {"$ref": "#/components/requestBodies/NewOrder"},
                "responses": {"201": {"description": "created"}},
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": {
            "OrderId": {
                "name": "orderId",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "format": "uuid"},
            }
        },
        "requestBodies": {
            "NewOrder": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
            }
        },
        "responses": {
            "Problem": {
                "description": "client error",
                "content": {"application/problem+json": {"schema": {"type": "object"}}},
            }
        },
        "schemas": {
            "Order": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}, "items": {"type": ["array", "null"]}},
            }
        },
    },
}


def test_index_follows_references_and_merges_parameters() -> None:
    """Operations come with path-level parameters merged and $refs followed."""
    contract = Contract.from_document(DOC)
    assert [op.key for op in contract.operations] == [
        "GET /orders/{orderId}",
        "DELETE /orders/{orderId}",
        "GET /health",
        "POST /orders",
    ]
    get = contract.operation("getOrder")
    assert [(p.name, p.location, p.required) for p in get.parameters] == [
        ("orderId", "path", True),
        ("X-Trace", "header", True),  # the operation's own definition wins
    ]
    assert get.parameters[0].schema == {"type": "string", "format": "uuid"}
    assert get.summary == "Read one order"
    assert get.tags == ("orders",)
    body = contract.operation("createOrder").request_body
    assert body is not None
    assert body.required
    assert body.schema() == {"$ref": "#/components/schemas/Order"}
    assert contract.resolve(body.schema()["$ref"])["required"] == ["id"]


def test_response_lookup_by_exact_range_and_default() -> None:
    """response() finds the exact status, then the NXX range, then default."""
    get = Contract.from_document(DOC).operation("getOrder")
    assert get.response(200).description == "the order"
    assert get.response("404").description == "client error"
    assert get.response(404).schema("application/problem+json") == {"type": "object"}
    assert get.response(500).description == "anything else"
    assert Contract.from_document(DOC).operation("health").response(500) is None


def test_effective_security() -> None:
    """An operation inherits the document's security unless it states its own."""
    contract = Contract.from_document(DOC)
    assert contract.operation("getOrder").requires_auth
    assert contract.operation("getOrder").security == ({"bearer": []},)
    assert not contract.operation("health").requires_auth
    assert not contract.operation("deleteOrder").requires_auth  # {} allows anonymous access
    assert contract.security_schemes == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_contract_summary_and_equality() -> None:
    """Contracts compare by document and show a one-line summary."""
    contract = Contract.from_document(DOC)
    assert contract == Contract(copy.deepcopy(DOC))
    assert hash(contract) == hash(Contract(copy.deepcopy(DOC)))
    assert repr(contract) == "<Contract 'Shop' 2.1 (OpenAPI 3.1.0, 4 operations)>"
    with pytest.raises(KeyError, match="known: createOrder, deleteOrder, getOrder, health"):
        contract.operation("nothing")


@pytest.mark.parametrize(
    ("change", "pointer", "message"),
    [
        (lambda d: d.update(openapi="2.0"), "/openapi", "3.0.x or 3.1.x"),
        (lambda d: d.update(openapi="3.2.0"), "/openapi", "3.0.x or 3.1.x"),
        (lambda d: d.pop("openapi"), "/openapi", "got nothing"),
        (lambda d: d["info"].pop("version"), "/info", "'version' is a required property"),
        (
            lambda d: d["paths"]["/health"]["get"]["responses"]["200"].pop("description"),
            "/paths/~1health/get/responses/200",
            "'description' is a required property",
        ),
        (
            lambda d: d["components"]["parameters"]["OrderId"].update({"$ref": "#/components/parameters/Nope"}),
            "/components/parameters/OrderId/$ref",
            "points to nothing",
        ),
        (
            lambda d: d["components"]["schemas"].update(Ext={"$ref": "other.yaml#/X"}),
            "/components/schemas/Ext/$ref",
            "external reference",
        ),
        (
            lambda d: d["paths"]["/health"]["get"].update(operationId="getOrder"),
            "",
            "is not unique",
        ),
    ],
)
def test_invalid_documents_are_located(change: Any, pointer: str, message: str) -> None:
    """Each kind of invalid contract becomes a problem at the right pointer."""
    doc = copy.deepcopy(DOC)
    change(doc)
    with pytest.raises(ContractError) as info:
        Contract.from_document(doc, name="shop.yaml")
    first = info.value.problems[0]
    assert (first.pointer, first.file) == (pointer, "shop.yaml")
    assert message in first.message


def test_not_a_mapping() -> None:
    """A document that is not a mapping is one problem, not a crash."""
    assert [p.message for p in contract_problems(["openapi"])] == [
        "expected an OpenAPI document (a mapping), got array"
    ]


def test_backend_is_pinned_whatever_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """openapi-spec-validator's backend setting does not change cdspec's results."""
    doc = copy.deepcopy(DOC)
    doc["info"].pop("version")
    expected = contract_problems(doc)
    monkeypatch.setenv("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema-rs")
    assert contract_problems(doc) == expected
    assert contract_problems(DOC) == []


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        (None, ""),
        ([{"url": "/"}], ""),
        ([{"url": "http://localhost:8000"}], ""),
        ([{"url": "/api"}, {"url": "/other"}], "/api"),
        ([{"url": "https://example.test/api/v1/"}], "/api/v1"),
        (
            [
                {
                    "url": "https://{host}/api/{version}",
                    "variables": {"host": {"default": "h"}, "version": {"default": "v2"}},
                }
            ],
            "/api/v2",
        ),
    ],
)
def test_base_path_is_the_first_server_path(servers: Any, expected: str) -> None:
    """The prefix of the contract's paths comes from its first ``servers`` URL, variables at their defaults."""
    document = copy.deepcopy(DOC)
    if servers is not None:
        document["servers"] = servers
    assert Contract.from_document(document).base_path == expected
