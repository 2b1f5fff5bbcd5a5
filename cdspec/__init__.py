"""cdspec: layered, executable task specifications for backend code generation.

A task is an OpenAPI 3.x contract plus an ordered stack of constraint layers.
The public API is what this module exports; everything else is internal.
"""

from ._version import __version__
from .contract import Contract, MediaType, Operation, Parameter, RequestBody, Response
from .errors import (
    CdspecError,
    CompositionError,
    ContractError,
    DuplicateKindError,
    LoadError,
    PlanError,
    Problem,
    SelectionError,
    TemplateError,
    UnknownKindError,
    UnknownLayerError,
    UnsatisfiableSchemaError,
)
from .kinds import BUILTIN_KINDS, Kind, KindRegistry
from .load import (
    dump_manifest,
    dump_task,
    dump_variants,
    load_contract,
    load_file,
    load_layer,
    load_task,
    load_variants,
    parse_task,
)
from .merge import merge
from .model import Constraint, Feature, Layer, PromptTemplate, Section, Target, Task
from .plans import Plan, Provenance, Skipped, Variant, Variants, variants
from .prompts import BUILTIN_TEMPLATES, Prompt, render

__all__ = [
    "BUILTIN_KINDS",
    "BUILTIN_TEMPLATES",
    "CdspecError",
    "CompositionError",
    "Constraint",
    "Contract",
    "ContractError",
    "DuplicateKindError",
    "Feature",
    "Kind",
    "KindRegistry",
    "Layer",
    "LoadError",
    "MediaType",
    "Operation",
    "Parameter",
    "Plan",
    "PlanError",
    "Problem",
    "Prompt",
    "PromptTemplate",
    "Provenance",
    "RequestBody",
    "Response",
    "Section",
    "SelectionError",
    "Skipped",
    "Target",
    "Task",
    "TemplateError",
    "UnknownKindError",
    "UnknownLayerError",
    "UnsatisfiableSchemaError",
    "Variant",
    "Variants",
    "__version__",
    "dump_manifest",
    "dump_task",
    "dump_variants",
    "load_contract",
    "load_file",
    "load_layer",
    "load_task",
    "load_variants",
    "merge",
    "parse_task",
    "render",
    "variants",
]
