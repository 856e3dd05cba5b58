"""Safe expression language: the parser, and the domains and shapes of variables.

The names below load their module on first use, so that :mod:`workbench.expr.syntax` (the
parser's first stage, without SymPy) can be imported alone."""

import importlib

_EXPORTS = {"FUNCTIONS": "functions", "is_matrix": "functions", "free_names": "parser",
            "parse": "parser", "Domain": "spaces", "Variable": "spaces", "dim_symbol": "spaces",
            "dimension_names": "spaces", "sizes_from_point": "spaces"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
