"""Files to model and back: loading tasks, layers and contracts; dumping tasks.

Loading a task file goes through fixed phases, each reporting *every*
problem it finds before the next phase runs:

1. read and parse each file (YAML or JSON; :mod:`cdspec._source`);
2. follow ``$ref``\\ s (with :mod:`referencing`) and ``extends:`` (with
   :func:`cdspec.merge.merge`), bundle the contract's external references,
   refusing any path that leaves the root directory;
3. validate the result against ``schemas/task.schema.json``, the contract
   with openapi-spec-validator, and each constraint's params against its
   kind's schema;
4. structure the model with cattrs (only after validation: cattrs alone
   would coerce ``"false"`` to ``True``) and check the task's consistency.

Every problem names the file, the JSON pointer inside *that* file (after
references and ``extends`` it may not be the file passed in) and the line.
Nothing but a :class:`~cdspec.CdspecError` escapes.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import attrs

from ._frozen import JSON, FrozenDict, freeze, thaw
from ._mustache import compile_template
from ._schemas import schema as packaged_schema
from ._schemas import schema_problems
from ._source import (
    DEFAULT_LIMITS,
    Limits,
    Source,
    array_index,
    dump_yaml,
    escape_pointer,
    limit_message,
    open_regular,
    parse_text,
    pointer_tokens,
    read_source,
    resolve_pointer,
)
from .cases.model import Case
from .contract import Contract, contract_problems, outside_references
from .errors import CdspecError, ContractError, LoadError, Problem, TemplateError, unknown_kind_message
from .kinds import BUILTIN_KINDS, KindRegistry
from .merge import merge
from .model import Layer, Task, unknown_names
from .plans import Variant, Variants, variant_id
from .prompts import prompt_fingerprint

__all__ = [
    "dump_cases",
    "dump_manifest",
    "dump_task",
    "dump_variants",
    "load_cases",
    "load_contract",
    "load_file",
    "load_layer",
    "load_task",
    "load_variants",
    "parse_task",
]

Format = Literal["yaml", "json"]
_Location = tuple[Source, str]
_T = TypeVar("_T")


class _Refused(Exception):
    """A reference the loader will not follow (leaves the root, not a file)."""


def _display(path: Path) -> str:
    """How problems name a file: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost cause of a chain (referencing wraps retrieval errors twice)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


class _Loader:
    """One load: the files read, where every value came from, the problems found."""

    def __init__(self, root: Path, kinds: KindRegistry, limits: Limits = DEFAULT_LIMITS) -> None:
        self.root = root.resolve()
        self.kinds = kinds
        self.limits = limits
        self.expanded: dict[tuple[str, bool], JSON] = {}  # each reference target expanded once
        self.sizes: dict[int, tuple[object, int, int]] = {}  # id -> (value, values, levels) of expanded data
        self.sources: dict[Path, Source] = {}
        self.origin: dict[int, _Location] = {}
        self.key_origin: dict[int, dict[str, _Location]] = {}
        self.whole: set[int] = set()
        self.keep: list[object] = []  # keeps every tracked object alive, so ids stay unique
        self.problems: list[Problem] = []
        self.main: Source | None = None  # the file being loaded: where problems of a bare scalar go

    # -- files ------------------------------------------------------------------------

    def inside_root(self, path: Path) -> Path:
        try:
            resolved = path.resolve()
        except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop (3.11: RuntimeError)
            raise _Refused(f"{_display(path)} is not a usable path: {exc}") from None
        if not resolved.is_relative_to(self.root):
            raise _Refused(f"{_display(path)} is outside the task's directory {_display(self.root)}")
        return resolved

    def file(self, path: Path) -> Source:
        resolved = self.inside_root(path)
        if resolved not in self.sources:
            source = read_source(resolved, name=_display(path), limits=self.limits)
            self.sources[resolved] = source
            self.track(source, source.data, "")
        return self.sources[resolved]

    def adopt(self, source: Source) -> None:
        """Track a source that was not read from a file (a string)."""
        self.track(source, source.data, "")

    def retrieve(self, uri: str) -> Any:
        from referencing import Resource

        parts = urlsplit(uri)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise _Refused(f"cannot follow {uri!r}: only relative file references are allowed")
        return Resource.opaque(self.file(Path(unquote(parts.path))).data)

    # -- where values came from -------------------------------------------------------

    def track(self, source: Source, value: JSON, pointer: str) -> None:
        stack = [(value, pointer)]
        while stack:
            node, ptr = stack.pop()
            if not isinstance(node, dict | list) or id(node) in self.origin:
                continue
            self.origin[id(node)] = (source, ptr)
            self.keep.append(node)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((child, f"{ptr}/{escape_pointer(key)}") for key, child in items)

    def derive(self, new: JSON, old: JSON) -> JSON:
        """Record that ``new`` (a rebuilt container) stands where ``old`` stood."""
        if id(old) in self.origin:
            self.origin[id(new)] = self.origin[id(old)]
            self.keep.append(new)
        return new

    def child_location(self, container: JSON, key: str) -> _Location | None:
        child = container[key] if isinstance(container, dict) else container[int(key)]
        if isinstance(child, dict | list) and id(child) in self.origin:
            return self.origin[id(child)]
        if key in self.key_origin.get(id(container), {}):
            return self.key_origin[id(container)][key]
        if id(container) in self.origin:
            source, ptr = self.origin[id(container)]
            return source, f"{ptr}/{escape_pointer(key)}"
        return None

    def made(self, new: JSON, over: JSON, taken: Mapping[str, tuple[JSON, str]]) -> None:
        self.derive(new, over)
        table = {}
        for key, (base, base_key) in taken.items():
            location = self.child_location(base, base_key)
            if location is not None:
                table[key] = location
        self.key_origin[id(new)] = table
        self.keep.append(new)

    def locate(self, root: JSON, pointer: str) -> Problem:
        """A problem placed at ``pointer`` of ``root`` as file, pointer-in-file and line.

        A bare scalar document has no tracked origin: it is the main file's.
        """
        location = self.origin.get(id(root)) or ((self.main, "") if self.main else None)
        node = root
        tokens = pointer_tokens(pointer)
        for i, token in enumerate(tokens):
            if isinstance(node, dict) and token in node:
                location = self.child_location(node, token) or location
                node = node[token]
            elif isinstance(node, list) and (index := array_index(token, len(node))) is not None:
                location = self.child_location(node, token) or location
                node = node[index]
            else:
                if location is not None:
                    rest = "".join(f"/{escape_pointer(t)}" for t in tokens[i:])
                    location = (location[0], location[1] + rest)
                break
        if location is None:
            return Problem("", pointer=pointer)
        source, ptr = location
        return Problem("", file=source.name, pointer=ptr, line=source.line_at(ptr))

    def report(self, root: JSON, problems: Iterable[Problem], *, prefix: str = "") -> None:
        for problem in problems:
            place = self.locate(root, prefix + problem.pointer)
            self.problems.append(attrs.evolve(place, message=problem.message))

    def check(self) -> None:
        if self.problems:
            raise LoadError(dict.fromkeys(self.problems))

    def referenced(self, error: LoadError, at: _Location) -> None:
        """Add the problems of a file that ``at`` refers to, saying where it was referred to."""
        source, ptr = at
        line = source.line_at(ptr)
        where = f"{source.name}:{line}" if line is not None else source.name
        for problem in error.problems:
            located = problem.line is not None or problem.pointer
            message = f"{problem.message} (referred to at {where} {ptr})"
            self.problems.append(problem if located else attrs.evolve(problem, message=message))

    def problem_at(self, location: _Location, message: str) -> None:
        source, ptr = location
        self.problems.append(Problem(message, file=source.name, pointer=ptr, line=source.line_at(ptr)))

    # -- references -------------------------------------------------------------------

    def resolver_for(self, source: Source, path: Path | None) -> Any:
        from referencing import Registry, Resource

        base = (path or self.root / "<string>").resolve().as_uri()
        registry: Any = Registry(retrieve=self.retrieve)  # type: ignore[call-arg]  # attrs alias of _retrieve
        registry = registry.with_resource(base, Resource.opaque(source.data))
        return registry.resolver(base_uri=base)

    def expand(
        self, value: JSON, resolver: Any, at: _Location, trail: tuple[str, ...], *, keep_local: bool = False
    ) -> JSON:
        """``value`` with every ``$ref`` replaced by what it points to.

        ``keep_local`` leaves ``#/...`` references in place (an OpenAPI
        document's own references); ``trail`` is the chain of references
        being followed, for cycle detection.
        """
        source, ptr = at
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and not (keep_local and ref.startswith("#")):
                return self.follow(value, resolver, at, trail, keep_local=keep_local)
            out = {
                k: self.expand(v, resolver, (source, f"{ptr}/{escape_pointer(k)}"), trail, keep_local=keep_local)
                for k, v in value.items()
            }
            if all(out[k] is value[k] for k in value):
                return value
            return self.derive(out, value)
        if isinstance(value, list):
            items = [
                self.expand(v, resolver, (source, f"{ptr}/{i}"), trail, keep_local=keep_local)
                for i, v in enumerate(value)
            ]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return self.derive(items, value)
        return value

    def follow(
        self, node: dict[str, Any], resolver: Any, at: _Location, trail: tuple[str, ...], *, keep_local: bool
    ) -> JSON:
        from referencing.exceptions import Unresolvable

        ref = node["$ref"]
        ref_at = (at[0], f"{at[1]}/$ref")
        if _leaves_document(ref):
            self.problem_at(ref_at, _OUTSIDE.format(ref=ref))
            return node
        target = urljoin(resolver._base_uri, ref)
        if target in trail:
            self.problem_at(ref_at, f"reference {ref!r} refers back to itself (a $ref cycle)")
            return node
        file_uri, fragment = urldefrag(target)
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            self.problem_at(ref_at, f"reference {ref!r}: only JSON pointer fragments ('#/a/b') are supported")
            return node
        try:
            # referencing finds and retrieves the document; the pointer is
            # followed here, by RFC 6901 (referencing would index strings and
            # accept '-1' as a list index).
            resolved = resolver.lookup(urldefrag(ref)[0] or file_uri)
            contents = resolve_pointer(resolved.contents, fragment)
        except KeyError:
            self.problem_at(ref_at, f"reference {ref!r} points to nothing in its file")
            return node
        except (Unresolvable, ValueError) as exc:
            cause = _root_cause(exc)
            if isinstance(cause, LoadError):
                self.referenced(cause, ref_at)
            elif isinstance(cause, _Refused):
                self.problem_at(ref_at, str(cause))
            else:
                self.problem_at(ref_at, f"cannot follow {ref!r}: {type(cause).__name__}")
            return node
        source = self.sources.get(Path(unquote(urlsplit(file_uri).path))) or at[0]
        # Inside another file, '#/...' means that file: inline everything.
        inner_local = keep_local and source is at[0]
        # Each target is expanded once and shared wherever it is referred to
        # (as YAML aliases are), and counted at every use: a file whose
        # references fan out is refused by counting, not by expanding it.
        if (target, inner_local) in self.expanded:
            value = self.expanded[target, inner_local]
        else:
            value = self.expand(
                contents, resolved.resolver, (source, fragment), (*trail, target), keep_local=inner_local
            )
            self.expanded[target, inner_local] = value
        self.within_limits(value, ref_at)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if siblings:
            self.derive(siblings, node)
            value = merge(
                value,
                self.expand(siblings, resolver, at, trail, keep_local=keep_local),
                replaces=self.is_whole,
                made=self.made,
            )
        return self.mark_whole(value)

    def measure(self, value: JSON) -> tuple[int, int]:
        """The values ``value`` expands to and its levels of nesting; shared parts are measured once."""
        if not isinstance(value, dict | list):
            return 1, 0
        stack: list[tuple[Any, bool]] = [(value, False)]
        while stack:
            node, done = stack.pop()
            children = list(node.values()) if isinstance(node, dict) else node
            if not done:
                if id(node) not in self.sizes:
                    stack.append((node, True))
                    stack.extend((c, False) for c in children if isinstance(c, dict | list) and id(c) not in self.sizes)
                continue
            size, height = 1, 0
            for child in children:
                if isinstance(child, dict | list):
                    _, child_size, child_height = self.sizes[id(child)]
                    size, height = size + child_size, max(height, child_height)
                else:
                    size += 1
            self.sizes[id(node)] = (node, size, height + 1)
        _, size, height = self.sizes[id(value)]
        return size, height

    def within_limits(self, value: JSON, at: _Location) -> None:
        """Stop the load when ``value`` (references followed) is past ``max_nodes`` or ``max_depth``."""
        size, height = self.measure(value)
        limits = self.limits
        if size > limits.max_nodes:
            what = f"references expand to more than {limits.max_nodes} values"
            self.problem_at(at, limit_message(what, "max_nodes", limits))
            raise LoadError(dict.fromkeys(self.problems))
        if height > limits.max_depth:
            what = f"references nest deeper than {limits.max_depth} levels"
            self.problem_at(at, limit_message(what, "max_depth", limits))
            raise LoadError(dict.fromkeys(self.problems))

    def mark_whole(self, value: _T) -> _T:
        if isinstance(value, dict | list):
            self.whole.add(id(value))
            self.keep.append(value)
        return value

    def is_whole(self, value: JSON) -> bool:
        return id(value) in self.whole

    # -- documents --------------------------------------------------------------------

    def expand_task(self, source: Source, path: Path | None, trail: tuple[Path, ...]) -> JSON:
        """A task document with references, contract files and ``extends`` resolved."""
        data = source.data
        if not isinstance(data, dict):
            return data  # the schema check says what is wrong
        resolver = self.resolver_for(source, path)
        body = {k: v for k, v in data.items() if k not in ("contract", "extends")}
        expanded = self.expand(body, resolver, (source, ""), ())
        if "contract" in data:
            expanded = {**expanded, "contract": self.expand_contract(data["contract"], source, path, resolver)}
        self.derive(expanded, data)
        extends = data.get("extends")
        if not isinstance(extends, str):
            if extends is not None:
                self.problem_at((source, "/extends"), "expected a relative path to a task file")
            return expanded
        parent_path = (path or self.root / "<string>").parent / extends
        parent_source = self.referred_file(parent_path, (source, "/extends"))
        if parent_source is None:
            return expanded
        parent_path = parent_path.resolve()  # it exists inside the root: file() said so
        if parent_path in trail:
            chain = " -> ".join(_display(p) for p in (*trail, parent_path))
            self.problem_at((source, "/extends"), f"extends cycle: {chain}")
            return expanded
        parent = self.expand_task(parent_source, parent_path, (*trail, parent_path))
        try:
            merged = merge(parent, expanded, replaces=self.is_whole, made=self.made)
        except LoadError as exc:
            self.report(expanded, exc.problems)
            return expanded
        return merged

    def referred_file(self, path: Path, at: _Location) -> Source | None:
        """The file a task refers to at ``at``, or ``None`` with the problem recorded."""
        try:
            return self.file(path)
        except _Refused as exc:
            self.problem_at(at, str(exc))
        except LoadError as exc:
            self.referenced(exc, at)
        return None

    def expand_contract(self, value: JSON, source: Source, path: Path | None, resolver: Any) -> JSON:
        if not isinstance(value, str):
            return self.expand(value, resolver, (source, "/contract"), (), keep_local=True)
        contract_path = (path or self.root / "<string>").parent / value
        contract_source = self.referred_file(contract_path, (source, "/contract"))
        if contract_source is None:
            return value
        inner = self.resolver_for(contract_source, contract_path)
        return self.mark_whole(self.expand(contract_source.data, inner, (contract_source, ""), (), keep_local=True))

    def validate_constraints(self, data: JSON) -> None:
        """Check each constraint's kind and params; shapes the schema refused are skipped."""
        layers = data.get("layers") if isinstance(data, dict) else None
        for i, layer in enumerate(layers if isinstance(layers, list) else ()):
            self.validate_layer(data, layer, f"/layers/{i}")

    def validate_layer(self, root: JSON, layer: JSON, prefix: str) -> None:
        constraints = layer.get("constraints") if isinstance(layer, dict) else None
        for j, constraint in enumerate(constraints if isinstance(constraints, list) else ()):
            where = f"{prefix}/constraints/{j}"
            if not isinstance(constraint, dict) or not isinstance(constraint.get("kind"), str):
                continue
            kind_name = constraint["kind"]
            if kind_name not in self.kinds:
                message = unknown_kind_message(kind_name, self.kinds.names)
                self.report(root, [Problem(message, pointer=f"{where}/kind")])
                continue
            kind = self.kinds[kind_name]
            params = constraint.get("params", {})
            if not isinstance(params, dict):
                continue
            found = kind.problems(params, pointer=f"{where}/params")
            self.report(root, found)
            if "text" not in constraint and not found:
                try:
                    kind.describe(params)
                except Exception as exc:  # a user's describe function may raise anything
                    message = f"kind {kind_name!r} cannot make its sentence from these params: {exc}"
                    self.report(root, [Problem(message, pointer=where)])


# --------------------------------------------------------------------------- cattrs


@functools.cache
def _converter() -> Any:
    import cattrs
    from cattrs.gen import make_dict_unstructure_fn, override

    from .model import Constraint, Feature, PromptTemplate, Section, Target

    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(FrozenDict, lambda value, _: freeze(value))
    conv.register_unstructure_hook(FrozenDict, thaw)
    conv.register_structure_hook(Contract, lambda value, _: Contract(value))
    conv.register_unstructure_hook(Contract, lambda contract: thaw(contract.document))
    for cls in (Constraint, Layer, Target, Feature, Section, PromptTemplate):
        conv.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True))
    conv.register_unstructure_hook(
        Task,
        make_dict_unstructure_fn(Task, conv, _cattrs_omit_if_default=True, origin=override(omit=True)),
    )
    return conv


def _structure(build: Callable[[], _T], loader: _Loader, root: JSON) -> _T:
    """Build the model from validated data; a :class:`LoadError` it raises is placed in the files."""
    try:
        return build()
    except LoadError as exc:
        loader.report(root, exc.problems)
        loader.check()
        raise


def _without_schema_key(data: JSON) -> JSON:
    """Drop the editors' ``$schema`` key, which task and layer files may carry."""
    return {k: v for k, v in data.items() if k != "$schema"}


def _build_task(data: JSON, origin: str | None) -> Task:
    conv = _converter()
    fields = _without_schema_key(data)
    if isinstance(fields.get("layers"), list):
        fields["layers"] = [_without_schema_key(layer) for layer in fields["layers"]]
    structured = {a.name: conv.structure(fields[a.name], a.type) for a in attrs.fields(Task) if a.name in fields}
    return Task(**structured, origin=origin)


# --------------------------------------------------------------------------- public API


_OUTSIDE = (
    "reference {ref!r} points outside the document: only '#/...' pointers and relative paths "
    "to files inside the root are followed (cdspec never fetches a URL or reads a file: URI)"
)


def _leaves_document(ref: str) -> bool:
    """Whether a ``$ref`` names a URL, a ``file:`` URI or a host, not a relative path."""
    try:
        parts = urlsplit(ref)
    except ValueError:  # a malformed URL ('http://[x')
        return True
    return bool(parts.scheme or parts.netloc or ref.startswith("//"))


def _root_for(path: Path, root: str | os.PathLike[str] | None) -> Path:
    return Path(root) if root is not None else path.parent


def _safely(name: str, load: Callable[[], _T]) -> _T:
    """Run a load so that nothing but a :class:`CdspecError` escapes."""
    try:
        return load()
    except CdspecError:
        raise
    except _Refused as exc:
        raise LoadError([Problem(str(exc), file=name)]) from None
    except RecursionError:
        raise LoadError([Problem("references or extends nest too deeply", file=name)]) from None
    except Exception as exc:
        # The fuzz tests look for this message: reaching it is a bug in cdspec.
        message = (
            f"cdspec failed on this input ({type(exc).__name__}: {exc}); this is a bug in cdspec, please report it"
        )
        raise LoadError([Problem(message, file=name)]) from exc


def load_task(
    path: str | os.PathLike[str],
    *,
    kinds: KindRegistry = BUILTIN_KINDS,
    root: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Task:
    """Load, resolve and validate a task file (YAML or JSON).

    ``root`` bounds the files the task may refer to (``$ref``, ``extends``,
    ``contract``); it defaults to the task file's directory. ``kinds`` is
    the registry that gives constraint kinds their params schemas.
    ``limits`` bounds the work (:class:`~cdspec.Limits`: file size, values
    after aliases and references, nesting).

    Raises :class:`~cdspec.LoadError` (or its subclass
    :class:`~cdspec.ContractError` when only the contract is at fault)
    listing every problem found; nothing else escapes.
    """
    file = Path(path).absolute()

    def load() -> Task:
        loader = _Loader(_root_for(file, root), kinds, limits)
        return _finish_task(loader, loader.file(file), file)

    return _safely(_display(file), load)


def parse_task(
    text: str,
    *,
    format: Format = "yaml",
    name: str = "<string>",
    kinds: KindRegistry = BUILTIN_KINDS,
    root: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Task:
    """Load a task from a string (see :func:`load_task`).

    Relative references are resolved against ``root`` (default: the working
    directory), which also bounds them.
    """

    def load() -> Task:
        loader = _Loader(Path(root) if root is not None else Path.cwd(), kinds, limits)
        source = parse_text(text, name=name, format=format, limits=limits)
        loader.adopt(source)
        return _finish_task(loader, source, None)

    return _safely(name, load)


def _finish_task(loader: _Loader, source: Source, path: Path | None) -> Task:
    loader.main = source
    data = loader.expand_task(source, path, (path.resolve(),) if path else ())
    loader.within_limits(data, (source, ""))
    loader.check()
    shape = schema_problems(packaged_schema("task"), data)
    loader.report(data, shape)
    in_contract: list[Problem] = []
    if isinstance(data, dict) and isinstance(data.get("contract"), dict):
        in_contract = contract_problems(data["contract"])
        loader.report(data, in_contract, prefix="/contract")
    before = len(loader.problems)
    loader.validate_constraints(data)
    loader.report(data, _template_problems(data))
    if in_contract and not shape and len(loader.problems) == before:
        raise ContractError(dict.fromkeys(loader.problems))
    loader.check()
    task = _structure(lambda: _build_task(data, str(path) if path else None), loader, data)
    loader.report(data, unknown_names(task))
    if task.feature is not None and path is not None:
        loader.report(data, _baseline_problems(loader, path.parent / task.feature.baseline))
    loader.check()
    return task


def _template_problems(data: JSON) -> list[Problem]:
    """Malformed templates of a task file, at the field that holds them."""
    found = []
    templates = data.get("templates") if isinstance(data, dict) else None
    for i, template in enumerate(templates if isinstance(templates, list) else ()):
        for field in ("body", "system"):
            text = template.get(field) if isinstance(template, dict) else None
            if isinstance(text, str) and text:
                try:
                    compile_template(text, name=field)
                except TemplateError as exc:
                    where = f"line {exc.line} of the template: " if exc.line else ""
                    found.append(Problem(where + exc.message, pointer=f"/templates/{i}/{field}"))
    return found


def _baseline_problems(loader: _Loader, baseline: Path) -> list[Problem]:
    """A feature task's baseline must be a directory inside the root."""
    try:
        if loader.inside_root(baseline).is_dir():
            return []
        message = f"the baseline project {_display(baseline)} is not a directory"
    except _Refused as exc:
        message = str(exc)
    return [Problem(message, pointer="/feature/baseline")]


def load_layer(
    path: str | os.PathLike[str],
    *,
    kinds: KindRegistry = BUILTIN_KINDS,
    root: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Layer:
    """Load and validate one layer file (see ``schemas/layer.schema.json``)."""
    file = Path(path).absolute()

    def load() -> Layer:
        loader = _Loader(_root_for(file, root), kinds, limits)
        source = loader.main = loader.file(file)
        data = loader.expand(source.data, loader.resolver_for(source, file), (source, ""), ())
        loader.within_limits(data, (source, ""))
        loader.check()
        loader.report(data, schema_problems(packaged_schema("layer"), data))
        loader.check()
        loader.validate_layer(data, data, "")
        loader.check()
        layer: Layer = _structure(lambda: _converter().structure(_without_schema_key(data), Layer), loader, data)
        return layer

    return _safely(_display(file), load)


def load_contract(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Contract:
    """Load an OpenAPI 3.0/3.1 file, bundling the files its ``$ref``\\ s point to.

    Raises :class:`~cdspec.ContractError` (or :class:`~cdspec.LoadError` for
    files that cannot be read or parsed) listing every problem.
    """
    file = Path(path).absolute()

    def load() -> Contract:
        loader = _Loader(_root_for(file, root), BUILTIN_KINDS, limits)
        source = loader.main = loader.file(file)
        data = loader.expand(source.data, loader.resolver_for(source, file), (source, ""), (), keep_local=True)
        loader.within_limits(data, (source, ""))
        loader.check()
        loader.report(data, contract_problems(data))
        if loader.problems:
            raise ContractError(dict.fromkeys(loader.problems))
        return Contract(data)

    return _safely(_display(file), load)


def load_file(
    path: str | os.PathLike[str],
    *,
    kinds: KindRegistry = BUILTIN_KINDS,
    root: str | os.PathLike[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Task | Layer | Contract:
    """Load a task, layer or contract file, whichever it is.

    A document with an ``openapi`` key is a contract, one with
    ``constraints`` and no ``contract`` a layer, anything else a task.
    """
    file = Path(path).absolute()
    data = _safely(_display(file), lambda: _Loader(_root_for(file, root), kinds, limits).file(file).data)
    if isinstance(data, dict) and "openapi" in data:
        return load_contract(path, root=root, limits=limits)
    if isinstance(data, dict) and "constraints" in data and "contract" not in data:
        return load_layer(path, kinds=kinds, root=root, limits=limits)
    return load_task(path, kinds=kinds, root=root, limits=limits)


# --------------------------------------------------------------------------- dumping


def dump_task(task: Task, *, format: Format = "yaml") -> str:
    """The task as one self-contained YAML or JSON document.

    The contract and every layer are written inline, so the output loads on
    its own: ``parse_task(dump_task(t)) == t``. Fields at their defaults are
    left out. The output is deterministic.
    """
    data = _converter().unstructure(task)
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return dump_yaml(data)


# --------------------------------------------------------------------------- variants


# The line breaks of str.splitlines() that JSON leaves unescaped: escaping them
# keeps one variant per line for every reader, not only for those that split on "\n".
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _jsonl_line(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
    for char, escape in _LINE_BREAKS.items():
        if char in text:  # only ever inside a JSON string, where the escape stands for the same character
            text = text.replace(char, escape)
    return text


def dump_variants(variants: Iterable[Variant]) -> str:
    """Variants as JSONL: one :meth:`Variant.to_data` object per line, in order.

    Each line is valid against ``schemas/variant.schema.json`` and
    :func:`load_variants` reads the text back equal. The output is
    deterministic: the same variants give the same text in any process.
    Write it as UTF-8.
    """
    return "".join(_jsonl_line(variant.to_data()) + "\n" for variant in variants)


def dump_manifest(variants: Iterable[Variant], *, format: Literal["jsonl", "csv"] = "jsonl") -> str:
    """The rows of :meth:`Variants.manifest` (no prompt text) as JSONL or CSV.

    A JSONL line is valid against ``schemas/manifest.schema.json``. The CSV
    has the same columns, with ``layers`` joined by ``+``, ``constraint_ids``
    by ``;`` and ``choices`` written as JSON. The output is deterministic.
    """
    rows = (variants if isinstance(variants, Variants) else Variants(tuple(variants))).manifest()
    if format == "jsonl":
        return "".join(_jsonl_line(row) + "\n" for row in rows)
    if format != "csv":
        raise ValueError(f"format must be 'jsonl' or 'csv', got {format!r}")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(packaged_schema("manifest")["required"]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            row
            | {
                "layers": "+".join(row["layers"]),
                "constraint_ids": ";".join(row["constraint_ids"]),
                "choices": json.dumps(row["choices"], ensure_ascii=False, separators=(",", ":")),
            }
        )
    return buffer.getvalue()


def _numbered_lines(path: Path, name: str, most: int) -> Iterator[tuple[int, bytes | None]]:
    """The lines of a regular file, numbered from 1; ``None`` for a line longer than ``most`` bytes."""
    with open_regular(path, name) as file:
        number = 0
        while line := file.readline(most + 1):
            number += 1
            if len(line) <= most:
                yield number, line
                continue
            while line and not line.endswith(b"\n"):  # skip the rest of it, a bounded piece at a time
                line = file.readline(1024 * 1024)
            yield number, None


def _variant_problems(variant: Variant, data: Mapping[str, Any]) -> list[Problem]:
    """What a line of the right shape gets wrong: an id, a fingerprint, a field that disagrees."""
    problems = []
    made = variant.provenance
    expected = variant_id(
        variant.task_id, made.layers, made.target, template=made.template, format=made.format, contract=made.contract
    )
    if variant.id != expected:
        message = f"id {variant.id!r} is not the id of this variant ({expected!r}); was the line edited?"
        problems.append(Problem(message, pointer="/id"))
    if made.depth != len(made.layers):
        message = f"depth {made.depth} with {len(made.layers)} layers"
        problems.append(Problem(message, pointer="/provenance/depth"))
    provenance, prompt = data["provenance"], data["prompt"]
    pairs = [
        ("/task_id", data["task_id"], "/prompt/task_id", prompt["task_id"]),
        ("/provenance/layers", provenance["layers"], "/prompt/layers", prompt["layers"]),
        ("/provenance/depth", provenance["depth"], "/prompt/depth", prompt["depth"]),
        ("/provenance/target", provenance["target"], "/prompt/target", prompt["target"]),
        ("/provenance/template", provenance["template"], "/prompt/template", prompt["template"]),
        ("/provenance/format", provenance["format"], "/prompt/format", prompt["format"]),
        ("/provenance/contract", provenance["contract"], "/prompt/contract_style", prompt["contract_style"]),
    ]
    for left, left_value, right, right_value in pairs:
        if left_value != right_value:
            message = f"{json.dumps(right_value)} disagrees with {left} ({json.dumps(left_value)})"
            problems.append(Problem(message, pointer=right))
    if variant.prompt.fingerprint != prompt_fingerprint(prompt["format"], prompt["messages"]):
        message = "not the fingerprint of the prompt's format and messages; was the line edited?"
        problems.append(Problem(message, pointer="/prompt/fingerprint"))
    return problems


def _jsonl_records(
    file: Path,
    name: str,
    schema_name: str,
    limits: Limits = DEFAULT_LIMITS,
    check: Callable[[Any], Iterable[Problem]] | None = None,
    *,
    upgrade: Callable[[Any], Any] | None = None,
) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """The lines of a JSONL file that are valid against ``schema_name``, and the problems of the others.

    Each problem names the file and the line; its pointer is inside that
    line's object. Blank lines are ignored. ``upgrade`` turns a record of an
    older format into today's before it is checked; ``check`` finds further
    problems in a line of the right shape.
    """
    problems: list[Problem] = []
    records: list[tuple[int, Any]] = []

    def add(found: Iterable[Problem], number: int) -> None:
        problems.extend(attrs.evolve(p, file=name, line=number) for p in found)

    for number, raw in _numbered_lines(file, name, limits.max_line_bytes):
        if raw is None:
            what = f"the line is longer than {limits.max_line_bytes} bytes"
            add([Problem(limit_message(what, "max_line_bytes", limits))], number)
            continue
        if not raw.strip(b" \t\r\n"):
            continue
        if b"\x00" in raw:  # the rest is binary too: one problem says it
            add([Problem("binary data (contains NUL bytes), expected JSONL text")], number)
            break
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            add([Problem(f"not UTF-8 text (bad byte at column {exc.start + 1})")], number)
            continue
        try:
            data = parse_text(text, name=name, format="json", limits=limits).data
        except LoadError as exc:
            add(exc.problems, number)
            continue
        if upgrade is not None:
            data = upgrade(data)
        shape = schema_problems(packaged_schema(schema_name), data)
        if shape:
            add(shape, number)
            continue
        found = list(check(data)) if check is not None else []
        if found:
            add(found, number)
            continue
        records.append((number, data))
    return records, problems


def _repeated_ids(records: Iterable[tuple[int, Any]], name: str) -> list[Problem]:
    first_on: dict[str, int] = {}
    problems = []
    for number, data in records:
        if data["id"] in first_on:
            message = f"id {data['id']!r} is already on line {first_on[data['id']]}"
            problems.append(Problem(message, file=name, pointer="/id", line=number))
        first_on.setdefault(data["id"], number)
    return problems


def load_variants(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS) -> Variants:
    """Read a variants JSONL file (see :func:`dump_variants`) back as :class:`~cdspec.Variants`.

    Each line is checked against ``schemas/variant.schema.json`` before
    anything is built, then for consistency: its id and fingerprint must be
    those of its content, its provenance and prompt must agree, and no id
    may appear twice. Blank lines are ignored; an empty file gives no
    variants. ``skipped`` is empty: the export does not keep it.

    Raises :class:`~cdspec.LoadError` listing every problem, each with the
    file, the line and a JSON pointer inside that line's object; nothing
    else escapes.
    """
    file = Path(path).absolute()
    name = _display(file)

    def load() -> Variants:
        records, problems = _jsonl_records(file, name, "variant", limits)
        items = []
        for number, data in records:
            variant = Variant.from_data(data)
            problems.extend(attrs.evolve(p, file=name, line=number) for p in _variant_problems(variant, data))
            items.append(variant)
        problems.extend(_repeated_ids(records, name))
        if problems:
            raise LoadError(sorted(problems, key=lambda p: p.line or 0))
        return Variants(tuple(items))

    return _safely(name, load)


def dump_cases(cases: Iterable[Case]) -> str:
    """Cases as JSONL: one :meth:`Case.to_data` object per line, deterministic."""
    return "".join(_jsonl_line(case.to_data()) + "\n" for case in cases)


def _case_schema_problems(data: Any) -> Iterator[Problem]:
    """References in a case's response schemas that point outside the schema (never followed)."""
    for i, step in enumerate(data["steps"]):
        for j, expectation in enumerate(step.get("expect", ())):
            where = f"/steps/{i}/expect/{j}"
            if "schema" in expectation:
                yield from outside_references(expectation["schema"], prefix=f"{where}/schema")
            for status, response in expectation.get("responses", {}).items():
                if "schema" in response:
                    prefix = f"{where}/responses/{escape_pointer(status)}/schema"
                    yield from outside_references(response["schema"], prefix=prefix)


def load_cases(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS) -> tuple[Case, ...]:
    """Read a cases JSONL file (``schemas/case.schema.json`` per line).

    Raises :class:`~cdspec.LoadError` listing every problem with file, line
    and pointer; ids must be unique; a response schema may refer only to
    itself (``#/...``). Nothing else escapes.
    """
    file = Path(path).absolute()
    name = _display(file)

    def load() -> tuple[Case, ...]:
        records, problems = _jsonl_records(file, name, "case", limits, _case_schema_problems)
        problems.extend(_repeated_ids(records, name))
        if problems:
            raise LoadError(sorted(problems, key=lambda p: p.line or 0))
        return tuple(Case.from_data(data) for _, data in records)

    return _safely(name, load)
