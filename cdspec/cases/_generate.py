"""Behavioural cases derived from a task's contract and its ``cases:`` settings.

The contract says a lot on its own: which paths form a resource (a
collection with ``POST`` and an item route under it), which properties
point to other resources (``bookId`` names ``/books/{bookId}``), which
operations need credentials, what each response looks like. From that,
:func:`generate_cases` derives, per resource and per operation:

- ``lifecycle``: create -> read back equal -> appears in the list -> update
  -> read back -> delete -> read gives 404 -> gone from the list;
- ``response``: a valid request (prerequisites created first) answered with
  a documented status, media type and body;
- ``negative``: a missing required property, a wrong type, a value out of
  range, an unknown id -> the documented 4xx;
- ``security``: no credentials, a wrong token, the wrong role -> 401/403;
- ``scenario``: the task's declared scenarios, and one per OpenAPI ``link``.

What the contract cannot say (how to get an account, which role an
operation needs, values with rules beyond the schema, flows such as
"reserve a book whose copies are all on loan") the task file declares
under ``cases:`` (see docs/cases.md and ``schemas/task.schema.json``).

Values are drawn with Hypothesis from the contract's schemas (see
:mod:`._schema`); a case is built by a function of a ``draw`` callable, so
the same code serves :func:`generate_cases` (seeded, reproducible) and
:func:`strategy` (a Hypothesis strategy, with shrinking).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.internal.conjecture.providers import AVAILABLE_PROVIDERS, HypothesisProvider

from cdspec._frozen import JSON, thaw
from cdspec._source import escape_pointer, pointer_tokens
from cdspec.contract import Contract, Operation, Parameter
from cdspec.errors import CdspecError, LoadError, Problem
from cdspec.model import Task

from ._formats import HTTPS_URL
from ._params import parameter_strategy
from ._regex import INF, regex_strategy
from ._schema import _search, from_schema
from ._validate import infer_dialect, resolve_ref, schema_validator, standalone
from .model import Case, Expectation, Request, Step

__all__ = ["CASE_KINDS", "generate_cases", "strategy"]

CASE_KINDS: tuple[str, ...] = ("lifecycle", "response", "negative", "security", "scenario")
"""The kinds of generated cases, in the order they are interleaved."""

Draw = Callable[[st.SearchStrategy[Any]], Any]

_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_PAGE_PARAMS = (("page", ("pageSize", "page_size", "per_page", "perPage", "size", "limit")),)
_OFFSET_PARAMS = (("offset", ("limit", "pageSize", "page_size", "size")), ("skip", ("limit", "take", "size")))
_ITEMS_NAMES = ("items", "data", "results", "content", "records")
_UNKNOWN_INT = 999_999_999
_TOKEN_NAMES = frozenset({"token", "accesstoken", "jwt", "idtoken", "authtoken", "sessiontoken", "apikey"})
_LOGIN_WORDS = frozenset({"login", "signin", "token", "tokens", "session", "sessions", "auth", "authenticate"})
_REGISTER_WORDS = frozenset({"register", "signup", "users", "accounts", "members"})
_IDENTITY_NAMES = frozenset({"email", "username", "emailaddress", "login", "handle", "name"})
_USERNAME_NAMES = frozenset({"username", "handle", "login", "nickname", "screenname", "userid"})
_URL_NAMES = frozenset({"image", "avatar", "url", "link", "website", "homepage", "picture", "photo"})
_URL_SUFFIX = re.compile(r"(?:[_-]url|[a-z0-9]Url|URL)$")
_FORMAT_HINT = re.compile(r"\b(Token|Bearer|JWT|Key|ApiKey)[ \t]+(?:[<{\[]|x{3}|[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")


def _format_from(description: str) -> str | None:
    """``"Token {token}"`` when a scheme's description shows its value as ``Token xxxxx.yyyy.zzzz``."""
    match = _FORMAT_HINT.search(description)
    return f"{match.group(1)} {{token}}" if match else None


def _relative(url: str) -> str:
    """The path of a URL (``https://host/api/token`` -> ``/api/token``), or the URL itself."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path if "://" in url else url
    return path if path.startswith("/") else "/" + path


_WRONG_TYPE: dict[str, JSON] = {
    "string": 12345,
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "not-a-boolean",
    "array": {"not": "an array"},
    "object": ["not", "an", "object"],
}


_MIN_FREE_DIGITS = 4
_MAX_FREE_DIGITS = 12


def _free_digits(pattern: str, value: str) -> int:
    """How many trailing digits of ``value`` can be any digit while it still matches ``pattern``.

    Such values are sent as ``{"$unique": "digits"}`` so that each run and
    case gets its own (an ISBN, a licence number): drawn values of a pattern
    repeat far more often than chance, and a rerun against the same
    database would repeat all of them.
    """
    positions = [i for i in range(len(value) - 1, -1, -1) if value[i].isdigit()]
    free = 0
    for position in positions[:_MAX_FREE_DIGITS]:
        if not all(_search(pattern, value[:position] + d + value[position + 1 :]) for d in "0123456789"):
            break
        free += 1
    if free and not all(
        _search(pattern, _fill(value, positions[:free], d)) for d in ("0", "9", "5")
    ):  # the positions together, not only one at a time
        return 0
    return free


_UNIQUE_LENGTH = 16  # a $unique string is at most this long
_UNIQUE_MIN = 8  # and at least this
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SAFE_WORDS = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)


def _free_text(node: JSON) -> bool:
    """A string schema with no format, pattern or enum: any text, which cdspec keeps plain."""
    return (
        isinstance(node, Mapping)
        and node.get("type") in ("string", ["string"], ["string", "null"], ["null", "string"])
        and not any(k in node for k in ("format", "pattern", "enum", "const"))
    ) or (isinstance(node, Mapping) and node.get("format") == "password")


def _account_symbol(norm: str, node: Mapping[str, Any]) -> tuple[str, JSON] | None:
    """(variable suffix, symbol) for an account property: an email, a username, a password."""
    if "email" in norm or node.get("format") == "email":
        return "email", {"$unique": "email"}
    if norm in _USERNAME_NAMES:
        return "username", {"$unique": "string"}
    if "password" in norm or node.get("format") == "password":
        return "password", {"$unique": "string"}
    return None


def _lookup(value: JSON, names: frozenset[str]) -> JSON:
    """The shallowest value of ``value`` under a key whose normalised name is one of ``names``."""
    level = [value]
    while level:
        following = []
        for node in level:
            if not isinstance(node, Mapping):
                continue
            for key, item in node.items():
                if _norm(key) in names or any(n in _norm(key) for n in names if n == "password"):
                    return item
                following.append(item)
        level = following
    return None


def _project(api: _Api, registered: JSON, schema: JSON) -> JSON:
    """A login body for ``schema`` filled with the registered account's values, matched by name at any depth."""
    if schema is None:
        return None
    out: dict[str, JSON] = {}
    for prop, sub in api.object_view(schema).properties.items():
        if api.scalar_type(sub) == "object" or api.object_view(sub).properties:
            inner = registered.get(prop) if isinstance(registered, Mapping) and prop in registered else registered
            out[prop] = _project(api, inner, sub)
            continue
        found = _lookup(registered, frozenset({_norm(prop)}))
        if found is None and _norm(prop) in _USERNAME_NAMES:
            found = _lookup(registered, frozenset({"email"}))
        if found is not None:
            out[prop] = found
    return out


def _flatten(value: Mapping[str, JSON], at: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], JSON]]:
    """(path, value) of every leaf of a body; a symbol (``{"$var": ...}``) is a leaf."""
    for key, item in value.items():
        if isinstance(item, Mapping) and not any(str(k).startswith("$") for k in item):
            yield from _flatten(item, (*at, key))
        else:
            yield (*at, key), item


def _tokens(api: _Api, schema: JSON, key: str) -> tuple[str, ...]:
    """A setting's key as a path: a JSON pointer, a top-level property, or the shallowest property of that name."""
    if key.startswith("/"):
        return tuple(pointer_tokens(key))
    if key in api.object_view(schema).properties:
        return (key,)
    for tokens, _ in api.leaves(schema):
        if tokens[-1] == key:
            return tokens
    return (key,)


def _set_in(value: JSON, tokens: Sequence[str], given: JSON) -> JSON:
    """A copy of ``value`` with ``given`` at ``tokens`` (objects made on the way)."""
    if not tokens:
        return given
    node = dict(value) if isinstance(value, Mapping) else {}
    node[tokens[0]] = _set_in(node.get(tokens[0]), tokens[1:], given)
    return node


def _without(value: JSON, tokens: Sequence[str]) -> JSON:
    """A copy of ``value`` without the property at ``tokens``."""
    if not isinstance(value, Mapping) or not tokens:
        return value
    node = dict(value)
    if len(tokens) == 1:
        node.pop(tokens[0], None)
    elif tokens[0] in node:
        node[tokens[0]] = _without(node[tokens[0]], tokens[1:])
    return node


def _has(value: JSON, tokens: Sequence[str]) -> bool:
    for token in tokens:
        if not isinstance(value, Mapping) or token not in value:
            return False
        value = value[token]
    return True


def _fill(value: str, positions: Sequence[int], digit: str) -> str:
    out = list(value)
    for position in positions:
        out[position] = digit
    return "".join(out)


# --------------------------------------------------------------------------- schema views


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@attrs.frozen
class _ObjectView:
    properties: dict[str, JSON]
    required: frozenset[str]


class _Api:
    """What the generator reads from a task: its contract, resources and ``cases:`` settings."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.contract: Contract = task.contract
        self.document: JSON = self.contract.document
        self.dialect = infer_dialect(self.document, None)
        self.config: Mapping[str, Any] = thaw(task.cases) if task.cases else {}
        self.ops: dict[str, Operation] = {}
        for op in self.contract.operations:
            self.ops[op.operation_id or op.key] = op
        self.op_settings: Mapping[str, Mapping[str, Any]] = self.config.get("operations", {})
        self.schemes = self._schemes()
        self.auth_config: Mapping[str, Any] = self.config.get("auth") or {}
        self.auth: Mapping[str, Any] = (
            self.auth_config if "login" in self.auth_config else {**self._inferred_auth(), **self.auth_config}
        )
        self.roles: Mapping[str, Mapping[str, Any]] = self.config.get("roles") or (
            {"user": {}} if "register" in self.auth else {}
        )
        self._check_config()
        self._producers: dict[tuple[str, str], tuple[Operation, str] | None] = {}
        self.left_out: list[tuple[str, str, str]] = []  # (operation, case kinds, why)
        self.creators = self._creators()
        self.resources = self._resources()
        self._strategies: dict[tuple[object, ...], st.SearchStrategy[Any]] = {}
        self._standalone: dict[int, tuple[JSON, JSON]] = {}  # keeps the schema alive, so its id stays its own

    # -- settings ------------------------------------------------------------------------

    def _check_config(self) -> None:
        problems = []
        known = sorted(self.ops)
        where = self.task.origin

        def need_op(name: object, pointer: str) -> None:
            if isinstance(name, str) and name not in self.ops:
                message = f"no operation {name!r} in the contract (known: {', '.join(known)})"
                problems.append(Problem(message, file=where, pointer=pointer))

        for key in ("register", "login"):
            need_op(self.auth_config.get(key), f"/cases/auth/{key}")
        if self.roles and "login" not in self.auth:
            problems.append(Problem("roles are declared but auth has no 'login' operation", where, "/cases/auth"))
        for name, spec in self.op_settings.items():
            need_op(name, f"/cases/operations/{escape_pointer(name)}")
            role = spec.get("role")
            if role is not None and role not in self.roles:
                declared = ", ".join(self.roles) or "none"
                problems.append(
                    Problem(
                        f"role {role!r} is not declared under cases.roles (declared: {declared})",
                        where,
                        f"/cases/operations/{escape_pointer(name)}/role",
                    )
                )
        for i, scenario in enumerate(self.config.get("scenarios", ())):
            captured = set(scenario.get("vars", {}))
            for j, step in enumerate(scenario.get("steps", ())):
                need_op(step.get("operation"), f"/cases/scenarios/{i}/steps/{j}/operation")
                auth = step.get("auth")
                if auth not in (None, "none", "invalid") and auth not in self.roles and auth not in captured:
                    problems.append(
                        Problem(
                            f"auth {auth!r} is neither 'none', 'invalid' nor a declared role,"
                            " nor a variable the scenario's vars or an earlier step captured",
                            where,
                            f"/cases/scenarios/{i}/steps/{j}/auth",
                        )
                    )
                captured.update(step.get("capture") or {})
        if problems:
            raise LoadError(problems)

    def _inferred_auth(self) -> dict[str, str]:
        """Register and login operations found by what their bodies and responses hold.

        A login is a ``POST`` whose body holds a password (at any depth) and
        whose success response holds a token-like property (``token``,
        ``accessToken``, ``/user/token``), or that answers with the session
        cookie of an ``apiKey`` cookie scheme; among several, the one with
        the fewest body properties (words such as ``login`` break ties). A
        register is another ``POST`` whose body holds a password and an
        email or username. An OAuth2 password flow logs in at its
        ``tokenUrl``.
        """
        cookie = next((s for s in self.schemes.values() if s.get("type") == "apiKey" and s.get("in") == "cookie"), None)
        flows = [s.get("flows", {}).get("password") for s in self.schemes.values() if s.get("type") == "oauth2"]
        token_url = next((f["tokenUrl"] for f in flows if isinstance(f, Mapping) and f.get("tokenUrl")), None)
        candidates = []
        for op in self.contract.operations:
            found = self.json_body(op) or self.form_body(op)  # a form login (OAuth2PasswordRequestForm) too
            if op.method != "post" or found is None or any(p.location == "path" for p in op.parameters):
                continue
            names = {_norm(tokens[-1]) for tokens, _ in self.leaves(found[1])}
            if not any("password" in name for name in names):
                continue
            candidates.append((op, names))
        logins = []
        for op, names in candidates:
            token = self.find(self.response_schema(op), _TOKEN_NAMES)
            if token is not None or cookie is not None:
                word = _norm(op.path.rstrip("/").rsplit("/", 1)[-1]) in _LOGIN_WORDS
                logins.append((not word, len(names), op.path, op, token))
        auth: dict[str, str] = {}
        if token_url is not None and not logins:
            path = _relative(str(token_url))  # relative to the server URL, as the contract's paths are
            prefix = self.task.path_prefix
            if prefix and path.startswith(prefix + "/") and str(token_url).startswith(("/", "http")):
                path = path[len(prefix) :]  # an absolute path already holds the server's: the runner adds it
            named = next((o for o in self.contract.operations if o.method == "post" and o.path == path), None)
            auth = {"login": self.op_id(named) if named else "", "token_url": path, "token": "/access_token"}
        elif logins:
            _, _, _, login, token = min(logins, key=lambda item: item[:3])
            auth = {"login": self.op_id(login)}
            auth["token"] = f"cookie:{cookie['name']}" if cookie is not None and token is None else token or "/token"
        else:
            return {}
        registers = [  # a register needs no credentials: a secured one (an admin's) only when no other is
            (
                op.requires_auth,
                _norm(op.path.rstrip("/").rsplit("/", 1)[-1]) not in _REGISTER_WORDS,
                -len(names),
                op.path,
                op,
            )
            for op, names in candidates
            if self.op_id(op) != auth["login"] and any(n in _IDENTITY_NAMES for n in names)
        ]
        if registers:
            auth["register"] = self.op_id(min(registers, key=lambda item: item[:4])[4])
        return auth

    # -- security ------------------------------------------------------------------------

    def _schemes(self) -> dict[str, Mapping[str, Any]]:
        raw = thaw(self.contract.security_schemes) or {}
        return {name: self.resolve(scheme) for name, scheme in raw.items() if isinstance(scheme, Mapping)}

    def scheme_of(self, op: Operation) -> dict[str, str] | None:
        """Where ``op``'s credential goes (``{}``: ``Authorization: Bearer``), ``None`` when no scheme is usable."""
        for requirement in op.security:
            for name in requirement:
                scheme = self.schemes.get(name)
                if scheme is None:
                    continue
                made = self._scheme(scheme)
                if made is not None:
                    return made
        return None

    def _scheme(self, scheme: Mapping[str, Any]) -> dict[str, str] | None:
        kind = scheme.get("type")
        declared = self.auth_config.get("format")
        if kind == "http":
            http = str(scheme.get("scheme", "")).lower()
            return {"type": "basic"} if http == "basic" else ({} if http == "bearer" else None)
        if kind in ("oauth2", "openIdConnect"):
            return {}
        if kind != "apiKey" or scheme.get("in") not in ("header", "query", "cookie"):
            return None
        where, name = str(scheme["in"]), str(scheme.get("name", "Authorization"))
        if where != "header":
            return {"in": where, "name": name}
        value_format = declared or _format_from(str(scheme.get("description", ""))) or "{token}"
        if value_format == "Bearer {token}" and name.lower() == "authorization":
            return {}
        return {"in": "header", "name": name, "format": value_format}

    def setting(self, op: Operation, name: str, default: Any = None) -> Any:
        return self.op_settings.get(self.op_id(op), {}).get(name, default)

    def op_id(self, op: Operation) -> str:
        return op.operation_id or op.key

    def skipped(self, op: Operation, kind: str) -> bool:
        skip = self.setting(op, "skip", ())
        return skip is True or kind in skip

    def role_of(self, op: Operation) -> str | None:
        """The role whose token the operation is called with (``None``: no credentials)."""
        role = self.setting(op, "role")
        if role is not None:
            return str(role)
        if op.requires_auth and self.roles:
            return next(iter(self.roles))
        return None

    @property
    def form_login(self) -> bool:
        """True when logging in posts an OAuth2 password-flow form (to the ``tokenUrl``, or to a login without JSON)."""
        login = self.ops.get(self.auth.get("login", ""))
        return "token_url" in self.auth if login is None else self.json_body(login) is None

    @property
    def default_role(self) -> str | None:
        return next(iter(self.roles), None)

    # -- schemas -------------------------------------------------------------------------

    def resolve(self, schema: JSON) -> JSON:
        seen = 0
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 64:
            schema = resolve_ref(self.document, schema["$ref"])
            seen += 1
        return schema

    def object_view(self, schema: JSON) -> _ObjectView:
        """Properties and required names of an object schema, ``allOf`` members merged."""
        properties: dict[str, JSON] = {}
        required: set[str] = set()
        stack = [schema]
        seen = 0
        while stack and seen < 256:
            seen += 1
            node = self.resolve(stack.pop())
            if not isinstance(node, Mapping):
                continue
            for name, sub in (node.get("properties") or {}).items():
                properties.setdefault(name, sub)
            required.update(r for r in node.get("required") or () if isinstance(r, str))
            stack.extend(reversed(list(node.get("allOf") or ())))
        return _ObjectView(properties, frozenset(required))

    def leaves(self, schema: JSON, *, depth: int = 4) -> list[tuple[tuple[str, ...], JSON]]:
        """Every property reachable through objects (not arrays), shallowest first: (path, schema)."""
        out: list[tuple[tuple[str, ...], JSON]] = []
        level: list[tuple[tuple[str, ...], JSON]] = [((), schema)]
        for _ in range(depth):
            following = []
            for tokens, node in level:
                for name, sub in self.object_view(node).properties.items():
                    out.append(((*tokens, name), sub))
                    if self.scalar_type(sub) == "object" or self.object_view(sub).properties:
                        following.append(((*tokens, name), sub))
            level = following
        return out

    def find(self, schema: JSON, names: frozenset[str]) -> str | None:
        """The pointer of the shallowest property whose name is one of ``names`` (normalised)."""
        if schema is None:
            return None
        for tokens, sub in self.leaves(schema):
            if _norm(tokens[-1]) in names and self.scalar_type(sub) in ("string", "integer", None):
                return "/" + "/".join(escape_pointer(t) for t in tokens)
        return None

    def response_schema(self, op: Operation) -> JSON:
        """The JSON schema of ``op``'s first success response, or ``None``."""
        code = self.success(op)
        response = op.response(code) if code else None
        if response is None:
            return None
        media = next((m for m in response.content if _JSON_MEDIA.match(m.media_type)), None)
        return media.schema if media is not None else None

    def scalar_type(self, schema: JSON) -> str | None:
        node = self.resolve(schema)
        if not isinstance(node, Mapping):
            return None
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None and node.get("allOf"):
            return self.scalar_type(node["allOf"][0])
        return kind if isinstance(kind, str) else None

    def json_body(self, op: Operation) -> tuple[str, JSON] | None:
        if op.request_body is None:
            return None
        for media in op.request_body.content:
            if _JSON_MEDIA.match(media.media_type) and media.schema is not None:
                return media.media_type, media.schema
        return None

    def form_body(self, op: Operation) -> tuple[str, JSON] | None:
        """The form media type and schema of ``op``'s body when it has no JSON one (an OAuth2 token request)."""
        if op.request_body is None or self.json_body(op) is not None:
            return None
        for media in op.request_body.content:
            if media.media_type == "application/x-www-form-urlencoded":
                return media.media_type, media.schema
        return None

    def success(self, op: Operation) -> str | None:
        codes = self.successes(op)
        return codes[0] if codes else None

    def successes(self, op: Operation) -> list[str]:
        """Every success status ``op`` documents, lowest first."""
        return sorted(r.status for r in op.responses if r.status[:1] == "2")

    def documented(self, op: Operation) -> dict[str, Any]:
        """The ``documented`` expectation's ``responses`` for ``op``."""
        out: dict[str, Any] = {}
        for response in op.responses:
            key = response.status.upper() if response.status.lower() != "default" else "default"
            entry: dict[str, Any] = {}
            if response.content:
                media = next((m for m in response.content if _JSON_MEDIA.match(m.media_type)), response.content[0])
                entry["media_type"] = media.media_type
                if media.schema is not None and _JSON_MEDIA.match(media.media_type):
                    entry["schema"] = self.standalone(media.schema)
            out[key] = entry
        return out

    def standalone(self, schema: JSON) -> JSON:
        key = id(schema)
        if key not in self._standalone:
            self._standalone[key] = (schema, standalone(schema, document=self.document, purpose="response"))
        return self._standalone[key][1]

    def values(self, schema: JSON) -> st.SearchStrategy[Any]:
        key = ("values", id(schema))
        if key not in self._strategies:
            self._strategies[key] = from_schema(schema, document=self.document, purpose="request")
        return self._strategies[key]

    def parameter_values(self, parameter: Parameter) -> st.SearchStrategy[Any]:
        key = ("parameter", id(parameter))
        if key not in self._strategies:
            self._strategies[key] = parameter_strategy(parameter, document=self.document)
        return self._strategies[key]

    def is_documented(self, op: Operation, code: str) -> bool:
        documented = {r.status.upper() for r in op.responses}
        return code.upper() in documented or f"{code[:1]}XX" in documented or "DEFAULT" in documented

    @property
    def default_scheme(self) -> dict[str, str] | None:
        """The scheme of the first secured operation: where credentials go when an operation names none."""
        return next((self.scheme_of(op) for op in self.contract.operations if op.requires_auth), None)

    def statuses(self, op: Operation, wanted: Sequence[str], fallback: str) -> list[str]:
        documented = {r.status.upper() for r in op.responses}
        chosen = [code for code in wanted if code in documented]
        return chosen or [fallback]

    # -- resources -----------------------------------------------------------------------

    def _creators(self) -> dict[str, Operation]:
        """Id names (``bookid``) -> the POST that creates such a thing."""
        creators: dict[str, Operation] = {}
        for op in self.contract.operations:
            if op.method != "post" or self.json_body(op) is None:
                continue
            segments = [s for s in op.path.split("/") if s]
            if not segments or segments[-1].startswith("{"):
                continue
            if self.id_field(op) is None:
                continue
            creators.setdefault(_norm(_singular(segments[-1])) + "id", op)
        for op in self.contract.operations:  # an item route /things/{thingId} names the key exactly
            segments = [s for s in op.path.split("/") if s]
            if len(segments) >= 2 and segments[-1].startswith("{"):
                collection = "/" + "/".join(segments[:-1])
                creator = next(
                    (c for c in self.contract.operations if c.method == "post" and c.path.rstrip("/") == collection),
                    None,
                )
                if creator is not None and self.id_field(creator) is not None:
                    creators[_norm(segments[-1][1:-1])] = creator
        return creators

    def creator(self, key: str) -> Operation | None:
        return self.creators.get(_norm(key))

    def id_field(self, op: Operation) -> str | None:
        """The pointer (``/id``, ``/article/slug``) of the new thing's id in a create's response."""
        schema = self.response_schema(op)
        if schema is None:
            return None
        names = list(self.object_view(schema).properties)
        if "id" in names:
            return "/id"
        top = next((n for n in names if _norm(n).endswith("id")), None)
        return "/" + escape_pointer(top) if top is not None else self.find(schema, frozenset({"id"}))

    def key_pointer(self, op: Operation, param: str) -> str | None:
        """Where ``op``'s success response holds the value of path parameter ``param``, at any depth."""
        schema = self.response_schema(op)
        if schema is None:
            return None
        exact = self.find(schema, frozenset({_norm(param)}))
        if exact is not None:
            return exact
        return self.id_field(op) if _norm(param).endswith("id") else None

    def producer(self, op: Operation, param: str) -> tuple[Operation, str] | None:
        """The operation that makes a real value for ``op``'s path parameter ``param``, and where its response holds it.

        First the ``POST`` of the collection the parameter sits under
        (``/articles`` for ``/articles/{slug}``); then the collection an id
        parameter names (``bookId`` -> ``POST /books``); then any ``POST``
        without that parameter whose success response holds a property of
        that name at any depth (``/user/username`` for ``/profiles/{username}``).
        The login is never a producer (it needs an account first).
        """
        key = (op.path, param)
        if key not in self._producers:
            self._producers[key] = self._find_producer(op, param)
        return self._producers[key]

    def _find_producer(self, op: Operation, param: str) -> tuple[Operation, str] | None:
        declared = self.setting(op, "path_params", {}).get(param)
        if isinstance(declared, Mapping) and "producer" in declared:
            other = self.ops.get(str(declared["producer"]))
            pointer = str(declared.get("pointer", "")) or (self.key_pointer(other, param) if other else None)
            return (other, pointer) if other is not None and pointer else None
        at = op.path.find("/{" + param + "}")
        login = self.auth.get("login")
        posts = [o for o in self.contract.operations if o.method == "post" and self.op_id(o) != login]
        if at > 0:
            collection = next((o for o in posts if o.path.rstrip("/") == op.path[:at]), None)  # /items/ too
            pointer = self.key_pointer(collection, param) if collection is not None else None
            if collection is not None and pointer is not None:
                return collection, pointer
        creator = self.creators.get(_norm(param))
        pointer = self.id_field(creator) if creator is not None else None
        if creator is not None and pointer is not None:
            return creator, pointer
        ranked = []
        for other in posts:
            if other is op or "{" + param + "}" in other.path:
                continue
            schema = self.response_schema(other)
            pointer = self.find(schema, frozenset({_norm(param)})) if schema is not None else None
            if pointer is not None:
                depth = sum(1 for p in other.parameters if p.location == "path")
                ranked.append((depth, pointer.count("/"), other.path, other, pointer))
        if ranked:
            _, _, _, other, pointer = min(ranked, key=lambda item: item[:3])
            return other, pointer
        return None

    def ungrounded(
        self, op: Operation, *, skip: str | None = None, seen: frozenset[str] = frozenset(), credentials: bool = True
    ) -> str | None:
        """Why a request to ``op`` cannot be made real (a path parameter nothing produces), or ``None``.

        ``credentials=False`` asks only for real path parameters (a security
        case sends no valid credential of its own; its prerequisites do).
        """
        if self.op_id(op) in seen:
            return f"{self.op_id(op)} needs itself"
        for parameter in op.parameters:
            if parameter.location != "path" or parameter.name == skip:
                continue
            if isinstance(self.setting(op, "path_params", {}).get(parameter.name), str | int | float):
                continue
            made = self.producer(op, parameter.name)
            if made is None:
                return f"nothing in the contract makes a {parameter.name} for {op.path}"
            declared = isinstance(self.setting(op, "path_params", {}).get(parameter.name), Mapping)
            if self.skipped(made[0], "response") and not declared:  # its drawn request may not succeed
                producer = self.op_id(made[0])
                return f"only {producer} makes a {parameter.name} for {op.path}, and it is skipped (skip: response)"
            deeper = self.ungrounded(made[0], seen=seen | {self.op_id(op)})
            if deeper is not None:
                return deeper
        if credentials and op.requires_auth and self.scheme_of(op) is None:
            return f"no supported security scheme for {self.op_id(op)}"
        if credentials and op.requires_auth and not self.roles:
            return f"{self.op_id(op)} needs credentials and no account can be made or logged in"
        return None

    def _resources(self) -> list[_Resource]:
        resources = []
        for op in self.contract.operations:
            if op.method != "post" or self.json_body(op) is None:
                continue
            base = op.path.rstrip("/")  # a collection with a trailing slash (FastAPI's /items/) has /items/{id}
            depth = base.count("/") + 1
            items = [
                o for o in self.contract.operations if o.path.startswith(base + "/{") and o.path.count("/") == depth
            ]
            if not items:
                continue
            param = items[0].path[len(base) + 2 : -1]
            if any(o.path != items[0].path for o in items) or "}" in param or "{" in param:
                continue
            made = self.producer(items[0], param)
            if made is None or made[0] is not op:
                continue
            read = next((o for o in items if o.method == "get"), None)
            delete = next((o for o in items if o.method == "delete"), None)
            listing = next((o for o in self.contract.operations if o.method == "get" and o.path == op.path), None)
            if read is None and (delete is None or listing is None):
                continue
            resources.append(
                _Resource(
                    name=[s for s in op.path.split("/") if s][-1],
                    create=op,
                    read=read,
                    param=param,
                    pointer=made[1],
                    update=next((o for o in items if o.method in ("patch", "put")), None),
                    delete=delete,
                    listing=listing,
                )
            )
        return resources

    def pages(self, op: Operation) -> dict[str, Any] | None:
        """How to walk ``op``'s paginated list, when its parameters and response say so."""
        query = {p.name: p for p in op.parameters if p.location == "query"}
        code = self.success(op)
        response = op.response(code) if code else None
        schema = response.schema() if response else None
        if schema is None:
            return None
        node = self.resolve(schema)
        if isinstance(node, Mapping) and node.get("type") == "array":
            items = ""
        else:
            view = self.object_view(schema)
            arrays = [n for n, s in view.properties.items() if self.scalar_type(s) == "array"]
            named = [n for n in _ITEMS_NAMES if n in arrays]
            if not (named or len(arrays) == 1):
                return None
            items = "/" + escape_pointer((named or arrays)[0])
        for style, groups in (("page", _PAGE_PARAMS), ("offset", _OFFSET_PARAMS)):
            for param, sizes in groups:
                if param not in query:
                    continue
                pages: dict[str, Any] = {"style": style, "param": param, "items": items}
                node = self.resolve(query[param].schema)
                start = node.get("minimum") if isinstance(node, Mapping) else None
                pages["start"] = int(start) if isinstance(start, int) else (1 if style == "page" else 0)
                size_param = next((s for s in sizes if s in query), None)
                if size_param is not None:
                    node = self.resolve(query[size_param].schema)
                    maximum = node.get("maximum") if isinstance(node, Mapping) else None
                    pages["size_param"] = size_param
                    pages["size"] = int(maximum) if isinstance(maximum, int) and maximum <= 1000 else 100
                return pages
        return {"style": "page", "param": "page", "items": items, "max_pages": 1}  # one page: nothing to walk


@attrs.frozen
class _Resource:
    name: str
    create: Operation
    read: Operation | None
    param: str
    pointer: str  # where the create's response holds the key (``/article/slug``)
    update: Operation | None
    delete: Operation | None
    listing: Operation | None


# --------------------------------------------------------------------------- building one case


class _Builder:
    """Builds the steps of one case: accounts, prerequisites, requests and expectations."""

    def __init__(self, api: _Api, draw: Draw) -> None:
        self.api = api
        self.draw = draw
        self.steps: list[Step] = []
        self.vars: dict[str, JSON] = {}
        self.ready_roles: set[str] = set()
        self.made: dict[tuple[str, str], str] = {}  # (producer, pointer) -> the variable holding the key
        self.operations: list[str] = []
        self.counter = 0

    # -- accounts ------------------------------------------------------------------------

    def account(self, role: str | None, *, fresh: bool = False) -> str:
        """The ``auth`` value for ``role``, its register/login steps added once.

        ``fresh``: another account of the role (``user2``, its own variables
        ``user2.email``...), registered and logged in now, when the role
        registers its accounts; a role with a declared login has only one.
        """
        if role is None or role == "none":
            return "none"
        if role == "invalid":
            return "invalid"
        api = self.api
        spec = api.roles.get(role, {})
        name = role
        if fresh and "login" not in spec and role in self.ready_roles:
            number = 2
            while f"{role}{number}" in self.ready_roles or f"{role}{number}" in api.roles:
                number += 1
            name = f"{role}{number}"
        if name in self.ready_roles:
            return name
        self.ready_roles.add(name)
        login_op = api.ops.get(api.auth.get("login", ""))
        login_body: JSON
        registered: JSON = spec.get("login")
        if "login" not in spec:
            register_op = api.ops[api.auth["register"]] if "register" in api.auth else None
            if register_op is None:
                raise LoadError([Problem(f"role {role!r} has no 'login' and auth has no 'register'", api.task.origin)])
            registered = self.body(register_op, name=f"{name}.")
            capture = {}
            id_field = api.id_field(register_op)
            if id_field is not None:
                capture[f"{name}.id"] = id_field
            self.call(
                register_op, f"register {name}", body=registered, auth="none", expect_success=True, capture=capture
            )
        if api.form_login or login_op is None:  # an OAuth2 password flow: a form posted to the tokenUrl
            login_body = {
                "grant_type": "password",
                "username": _lookup(registered, _USERNAME_NAMES) or _lookup(registered, frozenset({"email"})),
                "password": _lookup(registered, frozenset({"password"})),
            }
            request = Request(
                "POST",
                login_op.path if login_op is not None else str(api.auth["token_url"]),
                operation=login_op.operation_id if login_op is not None else None,
                body=login_body,
                has_body=True,
                content_type="application/x-www-form-urlencoded",
            )
            codes = (api.successes(login_op) if login_op is not None else []) or ["200"]
            expect = [Expectation("status", {"statuses": codes}, f"the login answers {'/'.join(codes)}")]
            if login_op is not None and login_op.responses:
                documented = api.documented(login_op)
                expect.append(Expectation("documented", {"responses": documented}, "a documented response"))
            self.steps.append(
                Step(
                    f"{len(self.steps) + 1}. log in as {name}",
                    request,
                    expect,
                    {name: api.auth.get("token", "/access_token")},
                )
            )
            if login_op is not None and api.op_id(login_op) not in self.operations:
                self.operations.append(api.op_id(login_op))
            return name
        found = api.json_body(login_op)
        login_body = registered if "login" in spec else _project(api, registered, found[1] if found else None)
        self.call(
            login_op,
            f"log in as {name}",
            body=login_body,
            auth="none",
            expect_success=True,
            capture={name: str(api.auth.get("token", "/token"))},
        )
        return name

    # -- values --------------------------------------------------------------------------

    def bind(self, value: JSON, hint: str) -> JSON:
        """A variable holding ``value`` (a symbol), so later steps can compare with it."""
        self.counter += 1
        name = f"{hint}{self.counter}"
        self.vars[name] = value
        return {"$var": name}

    def body(self, op: Operation, *, name: str = "", overrides: Mapping[str, JSON] | None = None) -> JSON:
        """A valid, usable request body for ``op``: drawn, then settings and prerequisites applied at any depth.

        ``name`` (``"user."``) marks an account's body: its email, username
        and password are the variables ``user.email``... so the register,
        login and wrong-password steps of one role send the same values.
        Settings and ``overrides`` are keyed by property name or by JSON
        pointer (``/article/title``).
        """
        api = self.api
        found = api.json_body(op)
        if found is None:
            return None
        schema = found[1]
        value = self.draw(api.values(schema))
        if not isinstance(value, dict):
            return value
        omit = {str(o) for o in api.setting(op, "omit", ())}
        fixed = {**api.setting(op, "body", {}), **(overrides or {})}
        self._usable(op, value, schema, (), name, omit, fixed)
        for key, setting in fixed.items():
            value = _set_in(value, _tokens(api, schema, str(key)), setting)
        return value

    def _usable(  # noqa: PLR0917  # one recursive walk, its state passed down
        self,
        op: Operation,
        value: dict[str, JSON],
        schema: JSON,
        at: tuple[str, ...],
        name: str,
        omit: set[str],
        fixed: Mapping[str, JSON],
    ) -> None:
        api = self.api
        view = api.object_view(schema)
        for prop, sub in view.properties.items():
            pointer = "/" + "/".join(escape_pointer(t) for t in (*at, prop))
            if prop in omit or pointer in omit:
                value.pop(prop, None)
                continue
            if prop in fixed or pointer in fixed:
                continue
            node = api.resolve(sub)
            kind = api.scalar_type(sub)
            norm = _norm(prop)
            if prop not in value and not norm.endswith("id") and isinstance(node, Mapping) and not node.get("readOnly"):
                # optional properties are sent too: servers often need what the contract leaves optional
                value[prop] = self.draw(api.values(sub))
            if isinstance(value.get(prop), dict) and (kind == "object" or api.object_view(sub).properties):
                self._usable(op, value[prop], sub, (*at, prop), name, omit, fixed)
                continue
            creator = api.creator(prop) if norm.endswith("id") and len(prop) > 2 else None
            if creator is not None and creator is not op:
                if prop in value or prop in view.required:
                    value[prop] = {"$var": self.prerequisite(prop, creator, api.id_field(creator) or "/id")}
                continue
            if norm.endswith("id") and len(prop) > 2 and prop not in view.required:
                value.pop(prop, None)  # a reference to something cdspec cannot create: leave it out
                continue
            if prop not in value or not isinstance(node, Mapping):
                continue
            if isinstance(value[prop], list) and _free_text(api.resolve(node.get("items"))):
                value[prop] = sorted({self.draw(_SAFE_WORDS) for _ in value[prop]})
                continue
            if not isinstance(value[prop], str) or "enum" in node or "const" in node:
                continue
            value[prop] = self.text(prop, node, value[prop], name)

    def text(self, prop: str, node: Mapping[str, Any], drawn: str, name: str) -> JSON:
        """A usable value for the string property ``prop`` in place of ``drawn``.

        An account value (an email, a username, a password: the role's
        variable when ``name`` is given), a URL for a name that says so, a
        unique value for a pattern with free digits or for free text, or
        ``drawn`` itself.
        """
        symbol = _account_symbol(_norm(prop), node)
        url = self.url(prop, node) if symbol is None else None
        if url is not None:
            return url
        if symbol is not None:
            if not name:
                return self.bind(symbol[1], symbol[0])
            self.vars.setdefault(f"{name}{symbol[0]}", symbol[1])
            return {"$var": f"{name}{symbol[0]}"}
        if isinstance(node.get("pattern"), str):
            free = _free_digits(node["pattern"], drawn)
            if free >= _MIN_FREE_DIGITS:
                return self.bind({"$unique": "digits", "like": drawn, "free": free}, prop)
            return drawn
        if _free_text(node):
            longest = node.get("maxLength")
            shortest = node.get("minLength", 0)
            if (not isinstance(longest, int) or longest >= _UNIQUE_LENGTH) and shortest <= _UNIQUE_MIN:
                return self.bind({"$unique": "string"}, prop)
            if isinstance(longest, int) and isinstance(shortest, int) and max(shortest, 1) <= longest:
                return str(self.draw(st.text(_ALNUM, min_size=max(shortest, 1), max_size=longest)))
        return drawn

    def url(self, prop: str, node: Mapping[str, Any]) -> str | None:
        """A drawn ``https`` URL for a string without a ``format`` named like one (``image``, ``avatarUrl``).

        ``None`` (draw as for any string) when the name says nothing of a URL
        or the schema's length bounds or ``pattern`` leave no room for one.
        """
        if "format" in node or not (_norm(prop) in _URL_NAMES or _URL_SUFFIX.search(prop)):
            return None
        low, high = node.get("minLength", 0), node.get("maxLength", INF)
        if not isinstance(low, int) or not isinstance(high, int | float):
            return None
        try:
            strategy = regex_strategy(HTTPS_URL, low, high)  # cached by its arguments
        except CdspecError:
            return None
        url = str(self.draw(strategy))
        pattern = node.get("pattern")
        return None if isinstance(pattern, str) and not _search(pattern, url) else url

    def prerequisite(self, key: str, creator: Operation, pointer: str) -> str:
        """The variable holding the key of a new thing made by ``creator`` (made once per case)."""
        made = (self.api.op_id(creator), pointer)
        if made in self.made:
            return self.made[made]
        var = key if key not in self.made.values() else f"{key}{len(self.made)}"
        self.made[made] = var
        path_params = self.path_params(creator)
        self.call(
            creator,
            f"create {key} (prerequisite)",
            path_params=path_params,
            body=self.body(creator),
            expect_success=True,
            capture={var: pointer},
        )
        return var

    def path_params(
        self, op: Operation, *, unknown: str | None = None, given: Mapping[str, JSON] | None = None
    ) -> dict[str, JSON]:
        """Values for ``op``'s path parameters: ``given``, declared, real things, or an unknown one for ``unknown``."""
        values: dict[str, JSON] = dict(given or {})
        declared = self.api.setting(op, "path_params", {})
        for parameter in op.parameters:
            if parameter.location != "path" or parameter.name in values:
                continue
            if parameter.name in declared and not isinstance(declared[parameter.name], Mapping):
                values[parameter.name] = declared[parameter.name]
                continue
            made = self.api.producer(op, parameter.name)
            if parameter.name == unknown or made is None:
                values[parameter.name] = self.unknown_value(parameter)
            else:
                values[parameter.name] = {"$var": self.prerequisite(parameter.name, made[0], made[1])}
        return values

    def unknown_value(self, parameter: Parameter) -> JSON:
        node = self.api.resolve(parameter.schema)
        kind = self.api.scalar_type(parameter.schema)
        if kind in ("integer", "number"):
            maximum = node.get("maximum") if isinstance(node, Mapping) else None
            return int(maximum) if isinstance(maximum, int | float) and maximum < _UNKNOWN_INT else _UNKNOWN_INT
        if isinstance(node, Mapping) and node.get("format") == "uuid":
            return str(self.draw(st.uuids(version=4)))
        value = self.draw(self.api.parameter_values(parameter))
        return value if isinstance(value, str) else str(value)

    def query(self, op: Operation) -> dict[str, JSON]:
        """Valid values for some of ``op``'s query parameters (all required ones)."""
        values: dict[str, JSON] = {}
        fixed = self.api.setting(op, "query", {})
        omit = set(self.api.setting(op, "omit", ()))
        pages = self.api.pages(op)
        for parameter in op.parameters:
            if parameter.location != "query":
                continue
            if parameter.name in fixed:
                values[parameter.name] = fixed[parameter.name]
                continue
            if parameter.name in omit or (pages and parameter.name in (pages.get("param"), pages.get("size_param"))):
                continue
            if parameter.required or self.draw(st.booleans()):
                drawn = self.draw(self.api.parameter_values(parameter))
                if isinstance(drawn, dict):
                    values.update(drawn)
                else:
                    values[parameter.name] = drawn
        return values

    # -- steps ---------------------------------------------------------------------------

    def call(
        self,
        op: Operation,
        name: str,
        *,
        path_params: Mapping[str, JSON] | None = None,
        query: Mapping[str, JSON] | None = None,
        body: JSON = None,
        auth: str | None = None,
        expect_success: bool = False,
        statuses: Sequence[str] | None = None,
        behaviour: Sequence[str] | None = None,
        documented: bool = True,
        extra: Sequence[Expectation] = (),
        capture: Mapping[str, str] | None = None,
        pages: Mapping[str, Any] | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add a step calling ``op``; ``behaviour`` (with ``statuses``): the statuses that show the behaviour holds."""
        api = self.api
        if auth is None:
            auth = self.account(api.role_of(op))
        found = api.json_body(op)
        expect: list[Expectation] = []
        if expect_success:
            codes = api.successes(op)  # a server may answer any success the contract documents (200 or 204)
            if codes:
                text = f"{api.op_id(op)} succeeds with {'/'.join(codes)}"
                expect.append(Expectation("status", {"statuses": codes}, text))
        if statuses is not None:
            args: dict[str, Any] = {"statuses": list(statuses)}
            if behaviour is not None:
                args["behaviour"] = list(behaviour)
            expect.append(Expectation("status", args, f"{api.op_id(op)} answers {'/'.join(statuses)}"))
        if statuses is not None and not any(api.is_documented(op, code) for code in statuses):
            documented = False  # a status the contract leaves out (a 404 after delete): only the status is checked
        if documented and op.responses:
            expect.append(Expectation("documented", {"responses": api.documented(op)}, "a documented response"))
        expect.extend(extra)
        query_values = dict(query or {})
        if pages and pages.get("size_param"):
            query_values[pages["size_param"]] = str(pages["size"])
        request = Request(
            method=op.method.upper(),
            path=op.path,
            operation=op.operation_id,
            path_params=path_params if path_params is not None else self.path_params(op),
            query=query_values,
            body=body,
            has_body=(found is not None or content_type is not None) and body is not None,
            content_type=(content_type or (found[0] if found is not None else None)) if body is not None else None,
            auth=auth,
            pages=pages,
            scheme=(api.scheme_of(op) or api.default_scheme or {}) if auth != "none" else {},
        )
        self.steps.append(Step(name=f"{len(self.steps) + 1}. {name}", request=request, expect=expect, capture=capture))
        if api.op_id(op) not in self.operations:
            self.operations.append(api.op_id(op))

    def equal_fields(self, op_response: Operation, sent: JSON, what: str) -> list[Expectation]:
        """``equals`` checks for the sent properties that the response documents, at any depth.

        A sent property is looked for at the same path in the response
        (``/article/title`` for ``/article/title``), else as the one
        property of that name. Arrays of scalars are checked item by item
        with ``contains`` (servers may reorder them).
        """
        if not isinstance(sent, Mapping):
            return []
        schema = self.api.response_schema(op_response)
        if schema is None:
            return []
        shown = dict(self.api.leaves(schema))
        by_name: dict[str, list[tuple[str, ...]]] = {}
        for tokens in shown:
            by_name.setdefault(tokens[-1], []).append(tokens)
        checks: list[Expectation] = []
        for tokens, value in _flatten(sent):
            where = tokens if tokens in shown else None
            if where is None and len(by_name.get(tokens[-1], ())) == 1:
                where = by_name[tokens[-1]][0]
            node = self.api.resolve(shown.get(where)) if where is not None else None
            if where is None or not isinstance(node, Mapping):
                continue
            if node.get("format") in ("date-time", "time", "password") or node.get("writeOnly") is True:
                continue  # servers may normalise timestamps; passwords are never echoed
            if "password" in _norm(where[-1]) or isinstance(value, float):
                continue
            pointer = "/" + "/".join(escape_pointer(t) for t in where)
            label = "/".join(tokens)
            if isinstance(value, list):
                checks.extend(
                    Expectation("contains", {"pointer": pointer, "match": item}, f"{what}: {label} has {item!r}")
                    for item in value
                    if isinstance(item, str | int | bool)
                )
                continue
            checks.append(Expectation("equals", {"pointer": pointer, "value": value}, f"{what}: {label}"))
        return checks

    def case(self, id: str, kind: str, title: str) -> Case:
        return Case(
            id=id,
            kind=kind,
            title=title,
            steps=self.steps,
            task_id=self.api.task.id,
            operations=self.operations,
            vars=self.vars,
            base_path=self.api.task.path_prefix,
        )


# --------------------------------------------------------------------------- templates


@attrs.frozen
class _Template:
    """One kind of case: its key (part of the id) and how to build it from draws."""

    kind: str
    key: str
    title: str
    build: Callable[[_Builder], None]


def _lifecycle(api: _Api, resource: _Resource) -> _Template:
    def build(b: _Builder) -> None:
        create = resource.create
        var = resource.param
        key = pointer_tokens(resource.pointer)[-1]
        path_params = b.path_params(create)
        body = b.body(create)
        b.made[(api.op_id(create), resource.pointer)] = var
        b.call(
            create,
            f"create a {_singular(resource.name)}",
            path_params=path_params,
            body=body,
            expect_success=True,
            extra=b.equal_fields(create, body, "the created item echoes"),
            capture={var: resource.pointer},
        )
        item = {**path_params, var: {"$var": var}}

        def read_back(name: str, sent: JSON, what: str) -> None:
            if resource.read is not None:
                extra = b.equal_fields(resource.read, sent, what)
                b.call(resource.read, name, path_params=_for(resource.read, item), expect_success=True, extra=extra)

        read_back("read it back", body, "read back equals what was sent")
        match = {key: {"$var": var}}

        def listed(kind: str, name: str, text: str) -> None:
            if resource.listing is not None:
                pages = api.pages(resource.listing)
                b.call(
                    resource.listing,
                    name,
                    path_params=_for(resource.listing, item),
                    expect_success=True,
                    pages=pages,
                    extra=[_listing(kind, pages, match, text)],
                )

        listed("contains", "find it in the list", "the list contains the new item")
        scoped = [p for p in resource.listing.parameters if p.location == "path"] if resource.listing else []
        if resource.listing is not None and scoped:  # a sub-resource: another parent's list does not have it
            parent = scoped[-1].name
            made = api.producer(resource.listing, parent)
            if made is not None:
                b.call(
                    made[0],
                    f"create another {parent}",
                    path_params=b.path_params(made[0]),
                    body=b.body(made[0]),
                    expect_success=True,
                    capture={f"other.{parent}": made[1]},
                )
                pages = api.pages(resource.listing)
                b.call(
                    resource.listing,
                    f"the other {parent}'s list",
                    path_params=_for(resource.listing, {**item, parent: {"$var": f"other.{parent}"}}),
                    expect_success=True,
                    pages=pages,
                    extra=[_listing("not_contains", pages, match, f"another {parent}'s list does not have it")],
                )
        if resource.update is not None:
            change = b.body(resource.update)
            # the key may change with the update (a slug made from a new title): read it again
            moved = (
                api.key_pointer(resource.update, var)
                if api.find(api.response_schema(resource.update), frozenset({_norm(key)}))
                else None
            )
            b.call(
                resource.update,
                "update it",
                path_params=_for(resource.update, item),
                body=change,
                expect_success=True,
                extra=b.equal_fields(resource.update, change, "the update is answered"),
                capture={var: moved} if moved else None,
            )
            read_back("read the update back", _merged(body, change), "the update persisted")
        if resource.delete is not None:
            b.call(resource.delete, "delete it", path_params=_for(resource.delete, item), expect_success=True)
            if resource.read is not None:
                b.call(
                    resource.read,
                    "read it after delete",
                    path_params=_for(resource.read, item),
                    statuses=api.statuses(resource.read, ["404", "410"], "404"),
                )
            listed("not_contains", "it is gone from the list", "the list no longer contains it")

    return _Template("lifecycle", resource.name, f"{resource.name}: create, read, list, update, delete", build)


def _merged(body: JSON, change: JSON) -> JSON:
    """``body`` updated by ``change``, objects merged at any depth (what a read after the update shows)."""
    if isinstance(body, Mapping) and isinstance(change, Mapping) and not any(str(k).startswith("$") for k in change):
        return {**body, **{k: _merged(body.get(k), v) for k, v in change.items()}}
    return change


@attrs.frozen
class _Filter:
    """How a list's query parameter filters the items, or why cdspec cannot tell (``reason``)."""

    name: str  # the query parameter
    how: str = ""  # "equal", "array" or "account" (see _filter_plans)
    body: tuple[str, ...] = ()  # where the create body holds the value ("equal", "array")
    shown: str = ""  # "account": where the create's response holds the account's key (/board/owner/handle)
    reason: str = ""  # why no case is made; "" when one is


def _list_item(api: _Api, listing: Operation) -> JSON:
    """The schema of one item of ``listing``'s answer (the array its pages hold), or ``None``."""
    pages = api.pages(listing)
    node: JSON = api.response_schema(listing)
    if pages is None or node is None:
        return None
    for token in pointer_tokens(str(pages["items"])):
        node = api.object_view(node).properties.get(token)
    node = api.resolve(node)
    return node.get("items") if isinstance(node, Mapping) and api.scalar_type(node) == "array" else None


def _plurals(name: str) -> frozenset[str]:
    """Normalised names of an array of ``name`` values: ``tag`` -> ``tags``, ``taglist`` (``tagList``, ``tag_list``)."""
    norm = _norm(name)
    forms = {norm + "s", norm + "es", norm + "list"}
    if norm.endswith("y"):
        forms.add(norm[:-1] + "ies")
    return frozenset(forms)


_UNIQUE_SAMPLES = ("u0a1b2c3x1", "u9f8e7d6c5b4ax12")  # what the runner makes of {"$unique": "string"}


def _takes_unique(api: _Api, schema: JSON) -> bool:
    """Does a string schema accept the unique strings the runner makes (``u3f9a1cx2``)?"""
    if api.scalar_type(schema) != "string":
        return False
    validator = schema_validator(schema, document=api.document, purpose="request")
    return all(validator.is_valid(sample) for sample in _UNIQUE_SAMPLES)


def _account_key(api: _Api, schema: JSON) -> str | None:
    """The property that names an account in an account object (``username`` of an author), when only one does.

    First the properties a path parameter names whose producer is the
    register (``/profiles/{username}`` <- ``POST /users``), else a
    username-like name (``username``, ``handle``).
    """
    names = list(api.object_view(schema).properties)
    register = api.auth.get("register")
    produced = []
    for name in names:
        for op in api.contract.operations:
            made = api.producer(op, name) if "{" + name + "}" in op.path else None
            if made is not None and api.op_id(made[0]) == register:
                produced.append(name)
                break
    keys = produced or [name for name in names if _norm(name) in _USERNAME_NAMES]
    return keys[0] if len(keys) == 1 else None


def _filter_plans(api: _Api, resource: _Resource) -> list[_Filter]:
    """How each query parameter of the resource's list filters it (pagination and declared ones aside).

    A parameter filters the list when the created items show the value it
    names, in one of three ways: (``equal``) a property of the create body
    has its name (``?author=`` and ``author``); (``array``) an array of
    free-text values is named like its plural (``?tag=`` and ``tagList``,
    ``tags``, ``tag_list``): the list keeps the items whose array holds the
    value; (``account``) the items hold an object of its name that the
    server sets to the creating account (``?author=`` and
    ``author.username``), the account's key being the property a path
    parameter produced by the register names (``/profiles/{username}``), or
    a username-like name. Anything else gets a ``reason`` and no case.
    """
    listing = resource.listing
    found = api.json_body(resource.create)
    if listing is None or found is None:
        return []
    pages = api.pages(listing) or {}
    declared = {*api.setting(listing, "query", {}), *(str(o) for o in api.setting(listing, "omit", ()))}
    item = _list_item(api, listing)
    shown = api.object_view(item).properties if item is not None else {}
    read = api.response_schema(resource.read) if resource.read is not None else None
    shown_names = set(shown) | (set(api.object_view(read).properties) if read is not None else set())
    leaves = api.leaves(found[1])
    plans = []
    for parameter in listing.parameters:
        name = parameter.name
        if parameter.location != "query" or name in (pages.get("param"), pages.get("size_param")) or name in declared:
            continue
        other = next((n for n in _required_query(listing) if n not in (name, pages.get("size_param"))), None)
        if other is not None:
            plans.append(_Filter(name, reason=f"the list also needs ?{other}=, which may leave the items out"))
            continue
        plans.append(_filter_plan(api, resource, parameter, leaves, shown, shown_names))
    return plans


def _required_query(op: Operation) -> list[str]:
    return [p.name for p in op.parameters if p.location == "query" and p.required]


def _filter_plan(  # noqa: PLR0917  # one decision per way a parameter can filter
    api: _Api,
    resource: _Resource,
    parameter: Parameter,
    leaves: list[tuple[tuple[str, ...], JSON]],
    shown: Mapping[str, JSON],
    shown_names: set[str],
) -> _Filter:
    name, norm = parameter.name, _norm(parameter.name)
    if norm.endswith("id"):
        return _Filter(name, reason="it names another resource, which the case does not relate to the items")
    exact = next(((tokens, sub) for tokens, sub in leaves if tokens[-1] == name), None)
    if exact is not None and name in shown_names and api.scalar_type(exact[1]) in ("string", "integer", "boolean"):
        return _Filter(name, "equal", exact[0])
    free = _takes_unique(api, parameter.schema)
    plural = _plurals(name)
    for tokens, sub in leaves:
        if _norm(tokens[-1]) not in plural or api.scalar_type(sub) != "array":
            continue
        node = api.resolve(sub)
        if not (isinstance(node, Mapping) and _takes_unique(api, node.get("items")) and tokens[-1] in shown):
            return _Filter(name, reason=f"{'/'.join(tokens)} is not an array of strings that the items show")
        if not free:
            return _Filter(name, reason=f"the parameter takes no unique string like {'/'.join(tokens)} would hold")
        return _Filter(name, "array", tokens)
    held = next(((prop, sub) for prop, sub in shown.items() if _norm(prop) == norm), None)
    if held is None:
        return _Filter(name, reason=f"the items have no {name}, no array named like its plural, no {name} object")
    if not api.object_view(held[1]).properties:
        kind = api.scalar_type(held[1]) or "value"
        return _Filter(name, reason=f"the items' {held[0]} is a {kind} the create body does not set")
    if any(_norm(tokens[-1]) == norm for tokens, _ in leaves):
        return _Filter(name, reason=f"the create body sets {held[0]}, so it need not be the creating account")
    create = resource.create
    role = api.role_of(create)
    if not create.requires_auth or role is None:
        return _Filter(name, reason=f"{api.op_id(create)} needs no account, so nothing says whose item it is")
    if "register" not in api.auth or "login" in api.roles.get(role, {}):
        return _Filter(name, reason="a second account cannot be registered to make an item that is not the first's")
    key = _account_key(api, held[1])
    if key is None:
        return _Filter(name, reason=f"no one property of {held[0]} names the account")
    pointer = next(
        (
            "/" + "/".join(escape_pointer(t) for t in tokens)
            for tokens, _ in api.leaves(api.response_schema(create))
            if tokens[-2:] == (held[0], key)
        ),
        None,
    )
    if pointer is None or not _free_text(api.resolve(parameter.schema)):
        return _Filter(name, reason=f"{api.op_id(create)}'s answer does not show {held[0]}/{key} as free text")
    return _Filter(name, "account", shown=pointer)


def _filters(api: _Api, resource: _Resource) -> Iterator[_Template]:
    """For each list filter: two items, the filter finds one and not the other (see :func:`_filter_plans`)."""
    for plan in _filter_plans(api, resource):
        if not plan.reason:
            yield _filter_template(api, resource, plan)


def _list_templates(api: _Api, resource: _Resource) -> Iterator[_Template]:
    """The filters and the page agreement of a resource's list; a filter cdspec cannot ground is reported."""
    listing = resource.listing
    plans = _filter_plans(api, resource)
    for plan in plans:
        if plan.reason and listing is not None:
            api.left_out.append((api.op_id(listing), f"response, the {plan.name} filter", plan.reason))
    yield from (_filter_template(api, resource, plan) for plan in plans if not plan.reason)
    paged = _pagination(api, resource)
    if isinstance(paged, str) and listing is not None:
        api.left_out.append((api.op_id(listing), "response, pages that agree", paged))
    elif isinstance(paged, _Template):
        yield paged


def _get(value: JSON, tokens: Sequence[str]) -> JSON:
    for token in tokens:
        value = value.get(token) if isinstance(value, Mapping) else None
    return value


def _filter_template(api: _Api, resource: _Resource, plan: _Filter) -> _Template:
    name = plan.name

    def build(b: _Builder) -> None:
        create, listing = resource.create, resource.listing
        assert listing is not None
        id_field = pointer_tokens(resource.pointer)[-1]
        path_params = b.path_params(create)
        first = b.body(create)
        second = b.body(create)
        if not (isinstance(first, dict) and isinstance(second, dict)):
            return
        value: JSON
        makers: list[tuple[str, JSON, str | None]]  # (step name, body, role: None for the create's own)
        if plan.how == "account":
            other = f"{api.role_of(create)}.other"
            value = {"$var": "filter.value"}
            makers = [("create one", first, None), (f"create another as {other}", second, other)]
        elif plan.how == "array":
            value = b.bind({"$unique": "string"}, name)
            first = _set_in(first, plan.body, [value])
            second = _set_in(second, plan.body, [b.bind({"$unique": "string"}, name)])
            held = "/".join(plan.body)
            makers = [
                (f"create one with {held} holding …", first, None),
                (f"create another with another {held}", second, None),
            ]
        else:
            value = _get(first, plan.body)
            if isinstance(value, Mapping) and "$var" in value:  # a unique string: the other gets its own
                other_value: JSON = b.bind({"$unique": "string"}, name)
            else:
                other_value = _different(api, dict(api.leaves(api.json_body(create)[1]))[plan.body], value)  # type: ignore[index]
            if value is None or other_value is _NOTHING:
                return
            second = _set_in(second, plan.body, other_value)
            makers = [
                (f"create {label} with {name}={'…' if isinstance(shown, Mapping) else shown!r}", body, None)
                for label, body, shown in (("one", first, value), ("another", second, other_value))
            ]
        for (step, body, role), label in zip(makers, ("one", "another"), strict=True):
            capture = {f"filter.{label}": resource.pointer}
            if plan.how == "account" and label == "one":
                capture["filter.value"] = plan.shown
            auth = b.account(role) if role is not None else None
            b.call(create, step, path_params=path_params, body=body, auth=auth, expect_success=True, capture=capture)
        pages = api.pages(listing)
        b.call(
            listing,
            f"list with {name} of the first",
            path_params=_for(listing, path_params),
            query={name: value},
            expect_success=True,
            pages=pages,
            extra=[
                _listing("contains", pages, {id_field: {"$var": "filter.one"}}, f"the {name} filter finds the match"),
                _listing(
                    "not_contains",
                    pages,
                    {id_field: {"$var": "filter.another"}},
                    f"the {name} filter leaves the other out",
                ),
            ],
        )

    key = f"{api.op_id(resource.listing)}.filter.{name}"  # type: ignore[arg-type]
    return _Template("response", key, f"{api.op_id(resource.listing)}: the {name} filter", build)  # type: ignore[arg-type]


def _pagination(api: _Api, resource: _Resource) -> _Template | str | None:
    """Three items, then pages of the list that agree with one another (``None``: not paged; a string: why not).

    For a list paged by ``offset`` and ``limit`` (integers): the walked list
    holds the three new items, and the window (offset 1, limit 2) is items
    1 and 2 of the first page (offset 0, limit 3), compared by the key. Paged
    by ``page`` and a size: pages 2 and 3 of size 1 are items 1 and 2 of the
    first page of size 3. It assumes the list has one order, the same for
    every request while nothing changes. Items whose body refers to other
    resources (a loan of a book, a booking of a slot) or follows declared
    rules are left out: such rules (one loan per copy, no two bookings at
    once) may refuse a second item of one account.
    """
    listing = resource.listing
    pages = api.pages(listing) if listing is not None else None
    if listing is None or not pages or "size_param" not in pages:
        return None
    param, size, start = str(pages["param"]), str(pages["size_param"]), int(pages["start"])
    windows: list[tuple[dict[str, int], tuple[int, ...]]]  # (query, which items of the first page it shows)
    if pages["style"] == "offset":
        first, windows = {param: 0, size: 3}, [({param: 1, size: 2}, (1, 2))]
    else:
        first = {param: start, size: 3}
        windows = [({param: start + 1, size: 1}, (1,)), ({param: start + 2, size: 1}, (2,))]
    query = {p.name: p for p in listing.parameters if p.location == "query"}
    other = next((n for n in _required_query(listing) if n not in first), None)
    if other is not None:
        return f"the list also needs ?{other}=, which may leave the items out"
    for values in (first, *(window for window, _ in windows)):
        for name, number in values.items():
            schema = query[name].schema
            valid = schema_validator(schema, document=api.document, purpose="request").is_valid(number)
            if api.scalar_type(schema) != "integer" or not valid:
                return f"{name}={number} is not a valid value, so three items do not fit the pages compared"
    key = pointer_tokens(resource.pointer)[-1]
    item = _list_item(api, listing)
    if item is None or key not in api.object_view(item).properties:
        return f"the items of {api.op_id(listing)} do not show {key}"
    found = api.json_body(resource.create)
    refers = [
        tokens[-1]
        for tokens, _ in (api.leaves(found[1]) if found else [])
        if _norm(tokens[-1]).endswith("id") and len(tokens[-1]) > 2 and api.creator(tokens[-1]) is not None
    ]
    if refers or api.setting(resource.create, "body"):
        why = f"refers to a {refers[0]}" if refers else "follows declared rules"
        return f"each {_singular(resource.name)} {why}: rules may refuse one account three of them"
    items = str(pages["items"])

    def build(b: _Builder) -> None:
        create = resource.create
        path_params = b.path_params(create)
        for n in range(3):
            b.call(
                create,
                f"create item {n + 1} of 3",
                path_params=path_params,
                body=b.body(create),
                expect_success=True,
                capture={f"pages.made{n}": resource.pointer},
            )
        where = _for(listing, path_params)
        b.call(
            listing,
            "walk the whole list",
            path_params=where,
            expect_success=True,
            pages=pages,
            extra=[
                _listing("contains", pages, {key: {"$var": f"pages.made{n}"}}, f"the list holds item {n + 1}")
                for n in range(3)
            ],
        )
        b.call(
            listing,
            f"the first page: {param}={first[param]}, {size}=3",
            path_params=where,
            query=first,
            expect_success=True,
            capture={f"pages.{i}": f"{items}/{i}/{escape_pointer(key)}" for i in range(3)},
        )
        for window, positions in windows:
            b.call(
                listing,
                f"the page {param}={window[param]}, {size}={window[size]}",
                path_params=where,
                query=window,
                expect_success=True,
                extra=[
                    Expectation(
                        "equals",
                        {"pointer": f"{items}/{j}/{escape_pointer(key)}", "value": {"$var": f"pages.{i}"}},
                        f"its item {j} is item {i} of the first page",
                    )
                    for j, i in enumerate(positions)
                ],
            )

    title = f"{api.op_id(listing)}: pages agree with one another"
    return _Template("response", f"{api.op_id(listing)}.pages", title, build)


def _different(api: _Api, schema: JSON, value: JSON) -> JSON:
    """A valid value for ``schema`` other than ``value``, or ``_NOTHING``."""
    node = api.resolve(schema)
    if not isinstance(node, Mapping) or isinstance(value, Mapping):
        return _NOTHING if isinstance(value, Mapping) else value
    options: list[JSON] = []
    if isinstance(node.get("enum"), list):
        options = [v for v in node["enum"] if v != value]
    elif isinstance(value, bool):
        options = [not value]
    elif isinstance(value, int):
        options = [value + 1, value - 1]
    elif isinstance(value, str):
        options = [value + "x", value[:-1], "x" + value]
    validator = schema_validator(schema, document=api.document, purpose="request")
    return next((o for o in options if o != value and validator.is_valid(o)), _NOTHING)


def _for(op: Operation, values: Mapping[str, JSON]) -> dict[str, JSON]:
    return {p.name: values[p.name] for p in op.parameters if p.location == "path" and p.name in values}


def _listing(kind: str, pages: Mapping[str, Any] | None, match: Mapping[str, JSON], text: str) -> Expectation:
    pointer = str(pages["items"]) if pages else ""
    return Expectation(kind, {"pointer": pointer, "match": dict(match)}, text)  # type: ignore[arg-type]


def _response(api: _Api, op: Operation) -> _Template:
    def build(b: _Builder) -> None:
        if api.op_id(op) == api.auth.get("login"):  # logging in needs an account: make one
            registered = [role for role, spec in api.roles.items() if "login" not in spec]
            b.account(registered[0] if registered else api.default_role)
            return
        undo = next((o for o in api.contract.operations if o.method == "post" and o.path == op.path), None)
        path_params = b.path_params(op)
        if op.method == "delete" and undo is not None and _is_action(op.path):
            # an undo (unfollow, unfavorite) needs its do first, on the same thing
            b.call(undo, f"call {api.op_id(undo)} first", path_params=path_params, expect_success=True)
        b.call(
            op,
            f"call {api.op_id(op)}",
            path_params=path_params,
            query=b.query(op),
            body=b.body(op),
            expect_success=True,
        )

    return _Template("response", api.op_id(op), f"{api.op_id(op)}: a valid request gets a documented answer", build)


def _bad_statuses(api: _Api, op: Operation) -> list[str]:
    return api.statuses(op, ["400", "422"], "4XX")


def _negative_body(api: _Api, op: Operation, how: str) -> _Template | None:
    found = api.json_body(op)
    if found is None:
        return None
    candidates = _breakable(api, found[1], how)
    if not candidates:
        return None
    whole = schema_validator(found[1], document=api.document, purpose="request")

    # A correct server may coerce a wrong type (12345 to "12345"): a 2xx shows the
    # behaviour holds as well as a 4xx does. A value past a bound the contract states
    # (maxLength, minimum, enum, format) and a missing required property keep the
    # default (the classes of the statuses): storing them breaks the data's rules.
    behaviour = ["2XX", "4XX"] if how == "type" else None
    # A lenient server may accept a bad update and change the thing (a new slug from a
    # coerced title, a new username in the account's token): each step after the
    # first updates a fresh one, a new prerequisite or, for an update of the
    # caller's own account (no path parameter), a new account.
    renewed = op.method in ("put", "patch")
    own = renewed and not any(p.location == "path" for p in op.parameters)

    def build(b: _Builder) -> None:
        role = api.role_of(op)
        auth = b.account(role)
        path_params = b.path_params(op)
        sent = 0
        for tokens, broken in candidates:  # one step per property, the others valid, with valid credentials
            # a fresh valid body per step: an accepted bad create must not take the next step's unique values
            valid = b.body(op)
            if not _has(valid, tokens[:-1]):
                continue
            label = "/".join(tokens)
            if how == "missing":
                body = _without(valid, tokens)
                what = f"without the required {label!r}"
            else:
                body = _set_in(valid, tokens, broken)
                what = f"with {label}={broken!r}" + (" (wrong type)" if how == "type" else " (out of range)")
                if whole.is_valid(_placeholders(body)):
                    continue
            if renewed and sent:
                b.made.clear()
                auth = b.account(role, fresh=True) if own else auth
                path_params = b.path_params(op)
            sent += 1
            b.call(
                op,
                f"call {api.op_id(op)} {what}",
                path_params=path_params,
                body=body,
                auth=auth,
                statuses=_bad_statuses(api, op),
                behaviour=behaviour,
            )

    titles = {"missing": "a missing required property", "type": "a wrong type", "range": "a value out of range"}
    return _Template("negative", f"{api.op_id(op)}.{how}", f"{api.op_id(op)}: {titles[how]} is rejected", build)


def _placeholders(value: JSON) -> JSON:
    """``value`` with each symbol replaced by a string (what it resolves to), for a schema check."""
    if isinstance(value, Mapping):
        if any(str(k).startswith("$") for k in value):
            return "x"
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    return value


def _breakable(
    api: _Api, schema: JSON, how: str, at: tuple[str, ...] = (), depth: int = 0
) -> list[tuple[tuple[str, ...], JSON]]:
    """(path, bad value) pairs that make a body invalid in the way ``how`` says, at any depth.

    A property inside an object is broken only when the object is required
    on the way down (an optional envelope may be left out, then its inside
    is not checked).
    """
    out: list[tuple[tuple[str, ...], JSON]] = []
    view = api.object_view(schema)
    for prop, sub in sorted(view.properties.items()):
        node = api.resolve(sub)
        if not isinstance(node, Mapping) or node.get("readOnly") is True:
            continue
        kind = api.scalar_type(sub)
        path = (*at, prop)
        if how == "missing" and prop in view.required:
            out.append((path, None))
        elif how != "missing":
            bad = _WRONG_TYPE.get(kind or "", _NOTHING) if how == "type" else _out_of_range(node, kind)
            if bad is not _NOTHING and not schema_validator(sub, document=api.document, purpose="request").is_valid(
                bad
            ):
                out.append((path, bad))
        if depth < 3 and prop in view.required and (kind == "object" or api.object_view(sub).properties):
            out.extend(_breakable(api, sub, how, path, depth + 1))
    return out


_NOTHING: Any = object()


def _out_of_range(node: Mapping[str, Any], kind: str | None) -> JSON:
    if "enum" in node and all(isinstance(v, str) for v in node["enum"]):
        return "not-" + "-".join(sorted(node["enum"]))[:40]
    if kind in ("integer", "number"):
        if isinstance(node.get("maximum"), int | float) and not isinstance(node.get("maximum"), bool):
            return node["maximum"] + 1
        if isinstance(node.get("minimum"), int | float) and not isinstance(node.get("minimum"), bool):
            return node["minimum"] - 1
    if kind == "string":
        if isinstance(node.get("maxLength"), int) and node["maxLength"] < 10_000:
            return "x" * (node["maxLength"] + 1)
        if isinstance(node.get("minLength"), int) and node["minLength"] >= 1:
            return "x" * (node["minLength"] - 1)
        if node.get("format") == "email":
            return "not-an-email"
        if node.get("format") in ("date", "date-time", "uuid"):
            return "not-a-" + node["format"]
    return _NOTHING


def _unknown_id(api: _Api, op: Operation) -> _Template | None:
    params = [p for p in op.parameters if p.location == "path"]
    if not params or not any(r.status in ("404", "4XX") for r in op.responses):
        return None
    last = params[-1]

    def build(b: _Builder) -> None:
        b.call(
            op,
            f"call {api.op_id(op)} with an unknown {last.name}",
            path_params=b.path_params(op, unknown=last.name),
            body=b.body(op),
            statuses=api.statuses(op, ["404"], "4XX"),
        )

    return _Template("negative", f"{api.op_id(op)}.unknown", f"{api.op_id(op)}: an unknown {last.name} gets 404", build)


def _security(api: _Api, op: Operation, how: str) -> _Template | None:
    if not op.requires_auth:
        return None
    wanted = ["401", "403"]
    role = api.role_of(op)
    default = api.default_role
    if how == "role":
        if role is None or role == default or default is None or "403" not in {r.status for r in op.responses}:
            return None
        wanted = ["403"]

    def build(b: _Builder) -> None:
        # Always on real things (made with the right roles): a server may look the
        # thing up before the credential and answer 404 for a made-up one (an
        # operation whose parameters cannot be made gets no security case). A wrong
        # token is sent in the operation's own scheme: the token is tested, not the scheme.
        path_params = b.path_params(op)
        body = b.body(op)
        auth = b.account(default) if how == "role" else how
        b.call(
            op,
            f"call {api.op_id(op)} "
            + {"none": "without credentials", "invalid": "with a wrong token"}.get(how, f"as {default}"),
            path_params=path_params,
            body=body,
            auth=auth,
            statuses=api.statuses(op, wanted, "401" if how != "role" else "403"),
        )

    titles = {"none": "without credentials", "invalid": "a wrong token", "role": f"role {default} is refused"}
    return _Template("security", f"{api.op_id(op)}.{how}", f"{api.op_id(op)}: {titles[how]}", build)


def _accounts(api: _Api) -> Iterator[_Template]:
    """Logging in with a wrong password, and registering an email twice."""
    registered = [role for role, spec in api.roles.items() if "login" not in spec]
    if not registered or "register" not in api.auth:
        return
    login, register = api.ops.get(api.auth.get("login", "")), api.ops[api.auth["register"]]
    found = api.json_body(login) if login is not None else None
    leaves = api.leaves(found[1]) if found else []
    secret = next((tokens for tokens, _ in leaves if "password" in _norm(tokens[-1])), None)
    if api.form_login:
        secret = ("password",)  # the password-flow form
    if login is not None and secret is not None:

        def wrong_password(b: _Builder) -> None:
            assert login is not None
            assert secret is not None
            b.account(registered[0])
            body = _set_in(thaw(b.steps[-1].request.body), secret, "Wrong-password-123")
            b.call(
                login,
                "log in with a wrong password",
                body=body,
                auth="none",
                statuses=api.statuses(login, ["401", "400", "403"], "4XX"),
                content_type="application/x-www-form-urlencoded" if api.form_login else None,
            )

        yield _Template("security", f"{api.op_id(login)}.wrong-password", "a wrong password is refused", wrong_password)
    if "409" in {r.status for r in register.responses}:

        def twice(b: _Builder) -> None:
            b.account(registered[0])
            first = next(step for step in b.steps if step.request.operation == register.operation_id)
            b.call(
                register,
                "register the same account again",
                body=thaw(first.request.body),
                auth="none",
                statuses=["409"],
            )

        yield _Template("negative", f"{api.op_id(register)}.twice", "an account is registered once", twice)


def _scenario(api: _Api, index: int, scenario: Mapping[str, Any]) -> _Template:
    def build(b: _Builder) -> None:
        captured = set(scenario.get("vars", {}))  # credentials the scenario made or captured itself
        for name, value in scenario.get("vars", {}).items():
            b.vars[name] = value
        for number, spec in enumerate(scenario["steps"], 1):
            op = api.ops[spec["operation"]]
            auth = spec.get("auth")
            body = spec.get("body")
            if isinstance(body, Mapping) and "$generate" in body:
                body = b.body(op, overrides=body.get("with", {}))
            expect = [Expectation.from_data(e) for e in spec.get("expect", ()) if e.get("kind") != "documented"]
            form = api.form_body(op)  # sent as a form (an OAuth2 token request)
            if auth not in captured and auth not in ("none", "invalid"):  # a captured credential is sent as given
                auth = b.account(auth or api.role_of(op))
            b.call(
                op,
                str(spec.get("name", f"step {number}")),
                path_params=spec.get("path_params"),
                query=spec.get("query", {}),
                body=body,
                auth=auth,
                expect_success=bool(spec.get("succeeds", False)),
                statuses=spec.get("statuses"),
                documented=spec.get("documented", True),
                extra=expect,
                capture=spec.get("capture"),
                pages=api.pages(op) if spec.get("paginate") else None,
                content_type=form[0] if form is not None else None,
            )
            captured.update(spec.get("capture") or {})

    key = str(scenario.get("id", f"scenario-{index}"))
    return _Template("scenario", key, str(scenario.get("title", key)), build)


def _links(api: _Api) -> Iterator[_Template]:
    """One scenario per OpenAPI link: the source operation, then the linked one with its parameters."""
    paths = api.document.get("paths", {}) if isinstance(api.document, Mapping) else {}
    for op in api.contract.operations:
        raw = paths.get(op.path, {}).get(op.method, {})
        for status, raw_response in sorted((raw.get("responses") or {}).items()):
            response = api.resolve(raw_response)
            for link_name, raw_link in sorted(((response or {}).get("links") or {}).items()):
                link = api.resolve(raw_link)
                target = api.ops.get(str(link.get("operationId", "")))
                if target is None or not str(status).startswith("2"):
                    continue
                yield _link_template(api, op, target, str(link_name), link)


def _link_template(api: _Api, source: Operation, target: Operation, name: str, link: Mapping[str, Any]) -> _Template:
    def build(b: _Builder) -> None:
        captures: dict[str, str] = {}
        values: dict[str, JSON] = {}
        for param, raw_expression in (link.get("parameters") or {}).items():
            expression = str(raw_expression)
            var = f"link.{param}"
            if expression.startswith("$response.body#"):
                captures[var] = expression[len("$response.body#") :]
                values[param] = {"$var": var}
            elif expression.startswith("$response.header."):
                captures[var] = "header:" + expression[len("$response.header.") :]
                values[param] = {"$var": var}
        b.call(
            source,
            f"call {api.op_id(source)}",
            query=b.query(source),
            body=b.body(source),
            expect_success=True,
            capture=captures,
        )
        query_values: dict[str, JSON] = {}
        given: dict[str, JSON] = {}
        for param, value in values.items():
            name = param.split(".")[-1]  # "path.noteId" or plain "noteId"
            where = next((p.location for p in target.parameters if p.name == name), "path")
            (given if where == "path" else query_values)[name] = value
        path_values = b.path_params(target, given=given)
        b.call(
            target,
            f"follow link {name} to {api.op_id(target)}",
            path_params=path_values,
            query=query_values,
            body=b.body(target),
            expect_success=True,
        )

    key = f"link.{api.op_id(source)}.{name}"
    return _Template("scenario", key, f"{api.op_id(source)} then {api.op_id(target)} (link {name})", build)


def _is_action(path: str) -> bool:
    """``/articles/{slug}/favorite``: a word after an item's parameter."""
    segments = [s for s in path.split("/") if s]
    return len(segments) >= 2 and not segments[-1].startswith("{") and segments[-2].startswith("{")


def _persisted(api: _Api, op: Operation) -> _Template | None:
    """An update of a thing with no id of its own (``PUT /user``): read back by the ``GET`` beside it."""
    read = next((o for o in api.contract.operations if o.method == "get" and o.path == op.path), None)
    if op.method not in ("put", "patch") or read is None or api.json_body(op) is None:
        return None
    if any(op in (r.update,) for r in api.resources) or api.response_schema(read) is None:
        return None
    token = api.auth.get("token", "")
    renews = token.startswith("/") and api.find(api.response_schema(op), frozenset({_norm(token.rsplit("/", 1)[-1])}))

    def build(b: _Builder) -> None:
        role = api.role_of(op)
        auth = b.account(role)
        path_params = b.path_params(op)
        change = b.body(op)
        b.call(
            op,
            f"update with {api.op_id(op)}",
            path_params=path_params,
            body=change,
            auth=auth,
            expect_success=True,
            extra=b.equal_fields(op, change, "the update is answered"),
            capture={auth: token} if renews and auth != "none" else None,  # a new token may replace the old one
        )
        b.call(
            read,
            f"read it back with {api.op_id(read)}",
            path_params=_for(read, path_params),
            auth=auth if read.security or auth != "none" else None,
            expect_success=True,
            extra=b.equal_fields(read, change, "the update persisted"),
        )

    return _Template("lifecycle", f"{api.op_id(op)}.persisted", f"{api.op_id(op)}: the update is read back", build)


def _action(api: _Api, op: Operation) -> _Template | None:
    """An action on a thing (``POST /profiles/{username}/follow``): the thing read afterwards shows its effect.

    The action's response and the thing's read share booleans and counts
    (``following``, ``favorited``, ``favoritesCount``); after the action, the
    read (as the same account) shows the values the action answered.
    """
    if op.method not in ("post", "delete", "put") or not _is_action(op.path):
        return None
    parent = op.path.rstrip("/").rsplit("/", 1)[0]
    read = next((o for o in api.contract.operations if o.method == "get" and o.path == parent), None)
    if read is None or not parent.endswith("}") or api.json_body(op) is not None:
        return None
    acted, shown = api.response_schema(op), api.response_schema(read)
    if acted is None or shown is None:
        return None
    shown_leaves = dict(api.leaves(shown))
    state = [
        "/" + "/".join(escape_pointer(t) for t in tokens)
        for tokens, sub in api.leaves(acted)
        if api.scalar_type(sub) in ("boolean", "integer") and tokens in shown_leaves and len(tokens) <= 2
    ]
    if not state:
        return None

    def build(b: _Builder) -> None:
        auth = b.account(api.role_of(op))
        path_params = b.path_params(op)
        capture = {f"after.{i}": pointer for i, pointer in enumerate(state)}
        undo = next((o for o in api.contract.operations if o.method == "post" and o.path == op.path), None)
        if op.method == "delete" and undo is not None and _is_action(op.path):  # an undo needs its do first
            b.call(undo, f"call {api.op_id(undo)} first", path_params=path_params, auth=auth, expect_success=True)
        b.call(op, f"call {api.op_id(op)}", path_params=path_params, auth=auth, expect_success=True, capture=capture)
        b.call(
            read,
            f"read it with {api.op_id(read)}, as the same account",
            path_params=_for(read, path_params),
            auth=auth,
            expect_success=True,
            extra=[
                Expectation(
                    "equals", {"pointer": pointer, "value": {"$var": f"after.{i}"}}, f"{pointer} shows the action"
                )
                for i, pointer in enumerate(state)
            ],
        )

    return _Template("scenario", f"{api.op_id(op)}.effect", f"{api.op_id(op)}: the effect is read back", build)


def _templates(api: _Api, kinds: Sequence[str]) -> list[_Template]:
    by_kind: dict[str, list[_Template]] = {kind: [] for kind in CASE_KINDS}
    effects: list[_Template] = []  # after the declared scenarios and the links
    for resource in api.resources:
        reason = api.ungrounded(resource.create)
        if reason is not None:
            api.left_out.append((api.op_id(resource.create), "lifecycle", reason))
        elif not api.skipped(resource.create, "lifecycle"):
            by_kind["lifecycle"].append(_lifecycle(api, resource))
            by_kind["response"].extend(_list_templates(api, resource))
    for template in _accounts(api):
        by_kind[template.kind].append(template)
    for op in api.contract.operations:
        reason = api.ungrounded(op)
        # a security case needs real path parameters too, not the operation's own credentials
        secured = op.requires_auth and not api.skipped(op, "security")
        unsecured = api.ungrounded(op, credentials=False) if reason is not None and secured else None
        if reason is not None:  # never a case a correct server must fail: left out, and said why
            api.left_out.append((api.op_id(op), "response, negative" + (", security" if unsecured else ""), reason))
        if reason is None and not api.skipped(op, "response"):
            by_kind["response"].append(_response(api, op))
        if reason is None and not api.skipped(op, "lifecycle"):
            made = _persisted(api, op)
            if made is not None:
                by_kind["lifecycle"].append(made)
        if reason is None and not api.skipped(op, "scenario"):
            made = _action(api, op)
            if made is not None:
                effects.append(made)
        if reason is None and not api.skipped(op, "negative"):
            for how in ("missing", "type", "range"):
                made = _negative_body(api, op, how)
                if made is not None:
                    by_kind["negative"].append(made)
            unknown = _unknown_id(api, op)
            if unknown is not None:
                by_kind["negative"].append(unknown)
        if not api.skipped(op, "security") and unsecured is None:
            for how in ("none", "invalid", "role"):
                made = _security(api, op, how)
                if made is not None:
                    by_kind["security"].append(made)
    for index, scenario in enumerate(api.config.get("scenarios", ())):
        by_kind["scenario"].append(_scenario(api, index, scenario))
    by_kind["scenario"].extend(_links(api))
    by_kind["scenario"].extend(effects)
    unknown_kinds = sorted(set(kinds) - set(CASE_KINDS))
    if unknown_kinds:
        raise CdspecError(f"unknown case kind {unknown_kinds[0]!r} (known: {', '.join(CASE_KINDS)})")
    chosen = [by_kind[kind] for kind in CASE_KINDS if kind in kinds]
    interleaved: list[_Template] = []
    for round_ in range(max((len(group) for group in chosen), default=0)):
        interleaved.extend(group[round_] for group in chosen if round_ < len(group))
    return interleaved


# --------------------------------------------------------------------------- public API


def _build(api: _Api, template: _Template, draw: Draw, index: int) -> Case:
    builder = _Builder(api, draw)
    template.build(builder)
    return builder.case(f"{template.kind}-{template.key}-{index:04d}", template.kind, template.title)


def _case_seed(seed: int, index: int, key: str) -> int:
    digest = hashlib.sha256(f"{seed}:{index}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class _SeededProvider(HypothesisProvider):
    """Hypothesis's own provider, without its pool of constants.

    Hypothesis now and then draws a constant instead of a random value, and
    the pool includes constants it reads from the *local* modules loaded in
    the process (your project's, your notebook's): the same seed would give
    other cases in another process. Without the pool, a seed's cases depend
    on the seed, the task and the Hypothesis version only.
    """

    def _maybe_draw_constant(self, *args: Any, **kwargs: Any) -> None:
        return None


_BACKEND = "cdspec-seeded"


def _seeded_draw(build: Callable[[Draw], Case], seed: int) -> Case:
    """Run ``build`` under Hypothesis with a fixed seed and keep its first non-minimal example.

    Hypothesis's first example is the simplest one (all zeros, empty
    strings); the second is drawn at random from ``seed``, so it is what
    a case should hold. Settings are explicit so the caller's profile
    (say a derandomized CI profile) does not change the result, and the
    backend is :class:`_SeededProvider` (registered on first use).
    """
    AVAILABLE_PROVIDERS.setdefault(_BACKEND, _SeededProvider)
    kept: list[Case] = []

    @settings(
        max_examples=2,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        report_multiple_bugs=False,
        backend=_BACKEND,
    )
    @hypothesis_seed(seed)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        kept.append(build(data.draw))

    run()
    return kept[-1]


def generate_cases(
    task: Task,
    *,
    n: int | None = None,
    seed: int = 0,
    kinds: Sequence[str] = CASE_KINDS,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[Case, ...]:
    """``n`` behavioural cases for ``task``, the same for the same ``seed``, byte for byte.

    Case templates (see the module's docstring) are interleaved by kind and
    taken in turn, so the first cases cover every template once and later
    ones draw new data for the same templates; by default ``n`` is the
    number of templates (each once). ``kinds`` limits the kinds
    generated; ``progress(done, total)`` is called after each case (a
    progress bar). Raises :class:`~cdspec.LoadError` when the task's ``cases:``
    settings name operations or roles that do not exist, and
    :class:`~cdspec.CdspecError` when a schema cannot be satisfied.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise CdspecError(f"n must be a non-negative integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CdspecError(f"seed must be an integer, got {seed!r}")
    api = _Api(task)
    templates = _templates(api, kinds)
    if not templates:
        return ()
    n = len(templates) if n is None else n
    cases = []
    for index in range(n):
        template = templates[index % len(templates)]

        def build(draw: Draw, template: _Template = template, index: int = index) -> Case:
            return _build(api, template, draw, index)

        cases.append(_seeded_draw(build, _case_seed(seed, index, template.key)))
        if progress is not None:
            progress(index + 1, n)
    return tuple(cases)


def strategy(task: Task, *, kinds: Sequence[str] = CASE_KINDS) -> st.SearchStrategy[Case]:
    """A Hypothesis strategy of the task's cases, for your own ``@given`` tests.

    Draws a template, then its data, so failing cases shrink to simpler
    data and earlier templates. The ids end in ``-0000``.
    """
    api = _Api(task)
    templates = _templates(api, kinds)
    if not templates:
        return st.nothing()

    @st.composite
    def cases(draw: st.DrawFn) -> Case:
        template = templates[draw(st.integers(0, len(templates) - 1))]
        return _build(api, template, draw, 0)

    return cases()
