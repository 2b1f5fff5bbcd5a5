"""What :func:`~cdspec.cases.generate_cases` infers from a task, in one screen (``cdspec cases --explain``)."""

from __future__ import annotations

from collections.abc import Sequence

from cdspec.model import Task

from ._generate import CASE_KINDS, _Api, _filters, _pagination, _Template, _templates

__all__ = ["explain"]


def explain(task: Task, *, kinds: Sequence[str] = CASE_KINDS) -> str:
    """The accounts, scheme, resources, producers, lists and filters inferred for ``task``, and what was left out.

    Each gap comes with the ``cases:`` lines that would fill it.
    """
    api = _Api(task)
    templates = _templates(api, kinds)
    lines = [f"{task.id}: {len(templates)} case templates; requests under {task.path_prefix or '/'}"]
    auth = dict(api.auth)
    if auth:
        how = "the tokenUrl " + str(auth["token_url"]) if auth.get("token_url") else str(auth.get("login"))
        register = auth.get("register", "(none: declare roles with a login)")
        lines.append(f"accounts: register {register}; log in with {how}; credential at {auth.get('token', '/token')}")
        lines.append(f"roles: {', '.join(api.roles) or '(none)'}")
    else:
        lines.append("accounts: none found (no POST with a password whose response holds a token)")
    for name, scheme in sorted(api.schemes.items()):
        shape = api._scheme(scheme)
        if shape is None:
            where = "not supported"
        elif shape.get("type") == "basic":
            where = "Authorization: Basic <user:password>"
        elif shape.get("in") in ("query", "cookie"):
            where = f"{shape['in']} {shape['name']}=<token>"
        else:
            value = shape.get("format", "Bearer {token}").replace("{token}", "<token>")
            where = f"{shape.get('name', 'Authorization')}: {value}"
        lines.append(f"scheme {name} ({scheme.get('type')}): {where}")
    for resource in api.resources:
        routes = [o for o in (resource.read, resource.update, resource.delete, resource.listing) if o is not None]
        lines.append(
            f"resource {resource.name}: {api.op_id(resource.create)} -> {{{resource.param}}} at {resource.pointer}; "
            + ", ".join(f"{o.method.upper()} {api.op_id(o)}" for o in routes)
        )
        for template in _filters(api, resource):
            lines.append(f"  filter: {template.title}")
        if resource.listing is not None:
            pages = api.pages(resource.listing)
            walked = (
                f"{pages['style']} pages of {pages['items'] or '/'}"
                if pages and pages.get("max_pages") != 1
                else "one page"
            )
            agree = "; pages checked to agree" if isinstance(_pagination(api, resource), _Template) else ""
            lines.append(f"  list {api.op_id(resource.listing)}: {walked}{agree}")
    seen: set[tuple[str, str]] = set()
    for op in api.contract.operations:
        for parameter in op.parameters:
            if parameter.location != "path" or (op.path, parameter.name) in seen:
                continue
            seen.add((op.path, parameter.name))
            made = api.producer(op, parameter.name)
            if made is not None:
                lines.append(f"producer {{{parameter.name}}} of {op.path}: {api.op_id(made[0])} at {made[1]}")
    if not api.left_out:
        lines.append("left out: nothing")
    for operation, what, reason in api.left_out:
        lines.append(f"left out {operation} ({what}): {reason}")
        if what.endswith(" filter"):
            name = what.split(" ")[-2]
            lines.append(f"  fill with: a scenario under cases.scenarios that makes the items and lists with ?{name}=")
            continue
        if what.endswith("pages that agree"):
            lines.append("  fill with: a scenario under cases.scenarios that makes the items and compares the pages")
            continue
        lines.append(
            f"  fill with: cases: {{operations: {{{operation}: {{path_params: {{NAME: VALUE or "
            "{producer: OPERATION, pointer: /json/pointer}}}}}"
            if "makes a" in reason
            else "  fill with: cases: {auth: {login: OPERATION, token: /pointer, format: 'Token {token}'}}"
        )
    return "\n".join(lines) + "\n"
