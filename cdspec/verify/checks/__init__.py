"""The built-in checks, one module per constraint kind (each module exposes ``CHECK``).

Add a module's ``CHECK`` to the list below to register it in :data:`BUILTIN_CHECKS`.
"""

from __future__ import annotations

from cdspec.verify.checks import (
    data_model,
    database_engine,
    folder_layout,
    forbidden_imports,
    import_layering,
    migrations_preserved,
    no_raw_sql,
    orm,
    routes_cover_contract,
    single_data_path,
    tests_location,
    validation_pattern,
)
from cdspec.verify.registry import CheckRegistry

__all__ = ["BUILTIN_CHECKS"]

BUILTIN_CHECKS = CheckRegistry.of(
    [
        folder_layout.CHECK,
        import_layering.CHECK,
        forbidden_imports.CHECK,
        orm.CHECK,
        single_data_path.CHECK,
        no_raw_sql.CHECK,
        database_engine.CHECK,
        data_model.CHECK,
        validation_pattern.CHECK,
        migrations_preserved.CHECK,
        tests_location.CHECK,
        routes_cover_contract.CHECK,
    ]
)
"""cdspec's checks of its built-in constraint kinds."""
