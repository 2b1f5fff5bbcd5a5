"""cdspec: layered, executable task specifications for backend code generation.

A task is an OpenAPI 3.x contract plus an ordered stack of constraint layers.
The public API is what this module exports; everything else is internal.
"""

from ._source import Limits
from ._version import __version__
from .contract import Contract, MediaType, Operation, Parameter, RequestBody, Response
from .errors import (
    CdspecError,
    CompositionError,
    ContractError,
    DiffError,
    DuplicateKindError,
    LoadError,
    PlanError,
    Problem,
    ProjectError,
    SelectionError,
    TemplateError,
    UnknownKindError,
    UnknownLayerError,
    UnsatisfiableSchemaError,
)
from .evaluate import Evaluation, evaluate
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
from .report import DecayReport, ReportError, decay_report
from .verify import Check, CheckRegistry, Evidence, Finding, Project, Status, VerifyReport, verify

__all__ = [
    "BUILTIN_KINDS",
    "BUILTIN_TEMPLATES",
    "CdspecError",
    "Check",
    "CheckRegistry",
    "CompositionError",
    "Constraint",
    "Contract",
    "ContractError",
    "DecayReport",
    "DiffError",
    "DuplicateKindError",
    "Evaluation",
    "Evidence",
    "Feature",
    "Finding",
    "Kind",
    "KindRegistry",
    "Layer",
    "Limits",
    "LoadError",
    "MediaType",
    "Operation",
    "Parameter",
    "Plan",
    "PlanError",
    "Problem",
    "Project",
    "ProjectError",
    "Prompt",
    "PromptTemplate",
    "Provenance",
    "ReportError",
    "RequestBody",
    "Response",
    "Section",
    "SelectionError",
    "Skipped",
    "Status",
    "Target",
    "Task",
    "TemplateError",
    "UnknownKindError",
    "UnknownLayerError",
    "UnsatisfiableSchemaError",
    "Variant",
    "Variants",
    "VerifyReport",
    "__version__",
    "decay_report",
    "dump_manifest",
    "dump_task",
    "dump_variants",
    "evaluate",
    "load_contract",
    "load_file",
    "load_layer",
    "load_task",
    "load_variants",
    "merge",
    "parse_task",
    "render",
    "variants",
    "verify",
]
