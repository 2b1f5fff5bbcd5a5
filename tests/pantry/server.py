"""A reference backend for the Pantry fixtures (stdlib only), in two flavours, with seeded bugs.

``serve("oauth")`` answers the contract of ``oauth.yaml`` (an OAuth2
password flow: a form posted to ``/api/v1/auth/token`` answers a JSON
``access_token``, sent back as ``Authorization: Bearer``; FastAPI-style
errors); ``serve("session")`` answers ``session.yaml`` (``POST /api/session``
sets an HttpOnly ``sid`` cookie that later requests send back; Express-style
errors). Both run on a free loopback port in a thread; ``server.mutant``
names the seeded bug in force (``""``: none), so one running server plays
the reference and every mutant in turn.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

COMMON_MUTANTS = {
    "any-password": "a login succeeds with any password",
    "lost-update": "a recipe edit answers the change but does not keep the description",
    "ingredients-unscoped": "a recipe's ingredients list has every recipe's ingredients",
    "ingredient-delete-noop": "removing an ingredient answers 204 and keeps it",
    "unstar-noop": "unstarring answers starred=false and keeps the star",
    "servings-unchecked": "a recipe with 0 or 1000 servings is accepted",
}
MUTANTS = {
    "oauth": {
        **COMMON_MUTANTS,
        "any-token": "any Bearer token is accepted (the token is not checked)",
        "token-scheme": "the token is read after 'Token ', not 'Bearer ' (a scheme the contract does not name)",
        "token-json-only": "the token URL reads a JSON body, not the form the password flow posts",
        "me-not-kept": "an edit of the current user answers the full name and does not keep it",
    },
    "session": {
        **COMMON_MUTANTS,
        "any-cookie": "any sid cookie is accepted (the session is not checked)",
        "cookie-not-required": "a request without a session cookie acts as the last user who logged in",
        "no-set-cookie": "logging in answers the user but sets no cookie",
    },
}
SCENARIO_MUTANTS = {"logout-keeps-session": "logging out answers 204 and the session cookie still works"}
BASES = {"oauth": "/api/v1", "session": "/api"}
_USERNAME = re.compile(r"^[A-Za-z0-9_-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# name -> (type, required, minimum, maximum): minimum and maximum bound a string's length or an integer
_Rules = dict[str, tuple[type, bool, int | None, int | None]]
_USER_CREATE: _Rules = {
    "username": (str, True, 3, 40),
    "email": (str, True, None, None),
    "password": (str, True, 8, 64),
    "full_name": (str, False, None, 80),
}
_RECIPE: _Rules = {
    "title": (str, True, 1, 100),
    "description": (str, False, None, 2000),
    "servings": (int, True, 1, 100),
}
_INGREDIENT: _Rules = {"name": (str, True, 1, 60), "quantity": (str, False, None, 30)}


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _validate(
    body: Any, rules: _Rules, *, partial: bool = False, nullable: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _Invalid("body", "expected an object")
    for name, (kind, required, low, high) in rules.items():
        if name not in body:
            if required and not partial:
                raise _Invalid(name, "field required")
            continue
        value = body[name]
        if value is None and name in nullable:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _Invalid(name, f"expected {kind.__name__}")
        size = len(value) if isinstance(value, str) else value
        if (low is not None and size < low) or (high is not None and size > high):
            raise _Invalid(name, "out of range")
    return {k: v for k, v in body.items() if k in rules}


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: dict[str, dict[str, Any]] = {}  # username -> user
        self.tokens: dict[str, str] = {}  # token or session id -> username
        self.last_login: str | None = None
        self.recipes: dict[int, dict[str, Any]] = {}
        self.ingredients: dict[int, dict[str, Any]] = {}
        self.stars: set[tuple[str, int]] = set()
        self.ids = itertools.count(1)


class PantryServer(ThreadingHTTPServer):
    daemon_threads = True
    mutant = ""
    mode: str
    state: _State


class _Handler(BaseHTTPRequestHandler):
    server: PantryServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, status: int, body: Any = None, headers: tuple[tuple[str, str], ...] = ()) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        key = "detail" if self.server.mode == "oauth" else "error"
        extra = (("WWW-Authenticate", "Bearer"),) if status == 401 and self.server.mode == "oauth" else ()
        self._send(status, {key: message}, extra)

    def _invalid(self, problem: _Invalid) -> None:
        if self.server.mode == "oauth":
            detail = [{"loc": ["body", problem.field], "msg": str(problem), "type": "value_error"}]
            self._send(422, {"detail": detail})
        else:
            self._send(400, {"error": f"{problem.field}: {problem}"})

    def _raw(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self) -> Any:
        try:
            return json.loads(self._raw() or b"null")
        except ValueError:
            return None

    def _who(self) -> str | None:
        state, mutant = self.server.state, self.server.mutant
        if self.server.mode == "oauth":
            header = self.headers.get("Authorization", "")
            scheme = "Token " if mutant == "token-scheme" else "Bearer "
            if not header.startswith(scheme):
                return None
            token = header[len(scheme) :]
            if mutant == "any-token" and token:
                return state.tokens.get(token) or next(iter(state.users), None)
            return state.tokens.get(token)
        sid = next(
            (
                v
                for k, v in (p.strip().partition("=")[::2] for p in self.headers.get("Cookie", "").split(";"))
                if k == "sid"
            ),
            None,
        )
        if sid is None:
            return state.last_login if mutant == "cookie-not-required" else None
        if mutant == "any-cookie" and sid:
            return state.tokens.get(sid) or next(iter(state.users), None)
        return state.tokens.get(sid)

    def _route(self, method: str) -> None:
        split = urlsplit(self.path)
        base = BASES[self.server.mode]
        query = dict(parse_qsl(split.query))
        if not split.path.startswith(base + "/"):
            self._error(404, "Not Found")
            return
        parts = [p for p in split.path[len(base) + 1 :].split("/") if p]
        shape = "_".join("x" if p.isdigit() else p for p in parts)
        handler: Callable[[list[str], dict[str, str]], None] | None = getattr(
            self, f"_{self.server.mode}_{method}_{shape}", None
        ) or getattr(self, f"_{method}_{shape}", None)
        if handler is None:
            self._error(404, "Not Found")
            return
        with self.server.state.lock:
            handler(parts, query)

    def do_GET(self) -> None:
        self._route("get")

    def do_POST(self) -> None:
        self._route("post")

    def do_PATCH(self) -> None:
        self._route("patch")

    def do_DELETE(self) -> None:
        self._route("delete")

    # -- accounts ------------------------------------------------------------------------

    def _user(self, username: str) -> dict[str, Any]:
        user = self.server.state.users[username]
        return {"id": user["id"], "username": username, "email": user["email"], "full_name": user["full_name"]}

    def _post_users(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        try:
            body = _validate(self._json(), _USER_CREATE, nullable=frozenset({"full_name"}))
            if not _USERNAME.match(body["username"]):
                raise _Invalid("username", "letters, digits, '_' and '-' only")
            if not _EMAIL.match(body["email"]):
                raise _Invalid("email", "not an email address")
        except _Invalid as problem:
            self._invalid(problem)
            return
        if body["username"] in state.users or any(u["email"] == body["email"] for u in state.users.values()):
            self._error(409, "Username or email already registered")
            return
        state.users[body["username"]] = {
            "id": next(state.ids),
            "email": body["email"],
            "password": body["password"],
            "full_name": body.get("full_name"),
        }
        self._send(201, self._user(body["username"]))

    def _login(self, username: object, password: object) -> str | None:
        """The username whose password matches, or ``None``."""
        user = self.server.state.users.get(username) if isinstance(username, str) else None
        if user is None or (user["password"] != password and self.server.mutant != "any-password"):
            return None
        return str(username)

    def _oauth_post_auth_token(self, parts: list[str], query: dict[str, str]) -> None:
        raw = self._raw()
        if self.server.mutant == "token-json-only":
            try:
                form = json.loads(raw or b"null")
            except ValueError:
                form = None
        else:
            form = dict(parse_qsl(raw.decode("utf-8", "replace"))) if raw else None
        if not isinstance(form, dict) or not all(isinstance(form.get(k), str) for k in ("username", "password")):
            self._invalid(_Invalid("username", "field required"))
            return
        if form.get("grant_type") not in (None, "password"):
            self._invalid(_Invalid("grant_type", "must be 'password'"))
            return
        username = self._login(form["username"], form["password"])
        if username is None:
            self._error(401, "Incorrect username or password")
            return
        token = secrets.token_urlsafe(24)
        self.server.state.tokens[token] = username
        self._send(200, {"access_token": token, "token_type": "bearer"})

    def _session_post_session(self, parts: list[str], query: dict[str, str]) -> None:
        body = self._json()
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("username", "password")):
            self._invalid(_Invalid("username", "username and password are required"))
            return
        username = self._login(body["username"], body["password"])
        if username is None:
            self._error(401, "Invalid username or password")
            return
        sid = secrets.token_hex(16)
        self.server.state.tokens[sid] = username
        self.server.state.last_login = username
        cookies = () if self.server.mutant == "no-set-cookie" else (("Set-Cookie", f"sid={sid}; Path=/; HttpOnly"),)
        self._send(200, self._user(username), (("Set-Cookie", "theme=light; Path=/"), *cookies))

    def _signed_in(self) -> str | None:
        who = self._who()
        if who is None:
            self._error(401, "Not authenticated")
        return who

    def _oauth_get_users_me(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._signed_in()
        if who is not None:
            self._send(200, self._user(who))

    _session_get_session = _oauth_get_users_me  # the current user, in either flavour

    def _oauth_patch_users_me(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._signed_in()
        if who is None:
            return
        try:
            change = _validate(self._json(), {"full_name": (str, False, None, 80)}, partial=True)
        except _Invalid as problem:
            self._invalid(problem)
            return
        answer = self._user(who)
        answer.update(change)
        if self.server.mutant != "me-not-kept":
            self.server.state.users[who].update(change)
        self._send(200, answer)

    def _session_delete_session(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._signed_in()
        if who is None:
            return
        state = self.server.state
        for sid in [s for s, user in state.tokens.items() if user == who and f"sid={s}" in self.headers["Cookie"]]:
            if self.server.mutant != "logout-keeps-session":
                del state.tokens[sid]
        self._send(204, headers=(("Set-Cookie", "sid=; Path=/; Max-Age=0"),))

    # -- recipes -------------------------------------------------------------------------

    def _recipe_out(self, recipe: dict[str, Any], viewer: str | None) -> dict[str, Any]:
        stars = self.server.state.stars
        return {
            "id": recipe["id"],
            "title": recipe["title"],
            "description": recipe["description"],
            "servings": recipe["servings"],
            "owner": recipe["owner"],
            "starred": (viewer, recipe["id"]) in stars,
            "stars": sum(1 for _, rid in stars if rid == recipe["id"]),
        }

    def _recipe_rules(self) -> _Rules:
        if self.server.mutant == "servings-unchecked":
            return {**_RECIPE, "servings": (int, True, None, None)}
        return _RECIPE

    def _find(self, parts: list[str]) -> dict[str, Any] | None:
        recipe = self.server.state.recipes.get(int(parts[1]))
        if recipe is None:
            self._error(404, "Recipe not found")
        return recipe

    def _owned(self, parts: list[str]) -> tuple[str, dict[str, Any]] | None:
        who = self._signed_in()
        if who is None:
            return None
        recipe = self._find(parts)
        if recipe is None:
            return None
        if recipe["owner"] != who:
            self._error(403, "Not the owner")
            return None
        return who, recipe

    def _get_recipes(self, parts: list[str], query: dict[str, str]) -> None:
        try:
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
            if offset < 0 or not 1 <= limit <= 100:
                raise ValueError
        except ValueError:
            self._invalid(_Invalid("limit", "out of range"))
            return
        recipes = sorted(self.server.state.recipes.values(), key=lambda r: -r["id"])[offset : offset + limit]
        who = self._who()
        self._send(200, [self._recipe_out(r, who) for r in recipes])

    def _post_recipes(self, parts: list[str], query: dict[str, str]) -> None:
        who = self._signed_in()
        if who is None:
            return
        try:
            body = _validate(self._json(), self._recipe_rules())
        except _Invalid as problem:
            self._invalid(problem)
            return
        state = self.server.state
        recipe = {"id": next(state.ids), "description": "", **body, "owner": who}
        state.recipes[recipe["id"]] = recipe
        self._send(201, self._recipe_out(recipe, who))

    def _get_recipes_x(self, parts: list[str], query: dict[str, str]) -> None:
        recipe = self._find(parts)
        if recipe is not None:
            self._send(200, self._recipe_out(recipe, self._who()))

    def _patch_recipes_x(self, parts: list[str], query: dict[str, str]) -> None:
        found = self._owned(parts)
        if found is None:
            return
        who, recipe = found
        try:
            change = _validate(self._json(), self._recipe_rules(), partial=True)
        except _Invalid as problem:
            self._invalid(problem)
            return
        answer = {**recipe, **change}
        if self.server.mutant == "lost-update":
            change.pop("description", None)
        recipe.update(change)
        self._send(200, self._recipe_out(answer, who))

    def _delete_recipes_x(self, parts: list[str], query: dict[str, str]) -> None:
        found = self._owned(parts)
        if found is None:
            return
        state = self.server.state
        del state.recipes[found[1]["id"]]
        for ingredient in [i for i in state.ingredients.values() if i["recipe"] == found[1]["id"]]:
            del state.ingredients[ingredient["id"]]
        self._send(204)

    def _star(self, parts: list[str], on: bool) -> None:
        who = self._signed_in()
        if who is None:
            return
        recipe = self._find(parts)
        if recipe is None:
            return
        stars = self.server.state.stars
        if on:
            stars.add((who, recipe["id"]))
        elif self.server.mutant != "unstar-noop":
            stars.discard((who, recipe["id"]))
        answer = self._recipe_out(recipe, who)
        if not on and answer["starred"]:  # the seeded bug answers as if the star were gone
            answer["starred"], answer["stars"] = False, answer["stars"] - 1
        self._send(200, answer)

    def _post_recipes_x_star(self, parts: list[str], query: dict[str, str]) -> None:
        self._star(parts, True)

    def _delete_recipes_x_star(self, parts: list[str], query: dict[str, str]) -> None:
        self._star(parts, False)

    # -- ingredients ---------------------------------------------------------------------

    def _get_recipes_x_ingredients(self, parts: list[str], query: dict[str, str]) -> None:
        recipe = self._find(parts)
        if recipe is None:
            return
        everyone = self.server.mutant == "ingredients-unscoped"
        found = [i for i in self.server.state.ingredients.values() if everyone or i["recipe"] == recipe["id"]]
        self._send(200, [{"id": i["id"], "name": i["name"], "quantity": i["quantity"]} for i in found])

    def _post_recipes_x_ingredients(self, parts: list[str], query: dict[str, str]) -> None:
        found = self._owned(parts)
        if found is None:
            return
        try:
            body = _validate(self._json(), _INGREDIENT)
        except _Invalid as problem:
            self._invalid(problem)
            return
        state = self.server.state
        made = {"id": next(state.ids), "quantity": "", **body, "recipe": found[1]["id"]}
        state.ingredients[made["id"]] = made
        self._send(201, {"id": made["id"], "name": made["name"], "quantity": made["quantity"]})

    def _delete_recipes_x_ingredients_x(self, parts: list[str], query: dict[str, str]) -> None:
        found = self._owned(parts)
        if found is None:
            return
        ingredient = self.server.state.ingredients.get(int(parts[3]))
        if ingredient is None or ingredient["recipe"] != found[1]["id"]:
            self._error(404, "Ingredient not found")
            return
        if self.server.mutant != "ingredient-delete-noop":
            del self.server.state.ingredients[ingredient["id"]]
        self._send(204)


def serve(mode: str) -> PantryServer:
    """The reference for ``mode`` (``"oauth"`` or ``"session"``) on a free loopback port (``shutdown()`` stops it)."""
    server = PantryServer(("127.0.0.1", 0), _Handler)
    server.mode = mode
    server.state = _State()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
