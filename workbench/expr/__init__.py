"""Safe expression language: the parser, and the domains and shapes of variables.

The names below load their module on first use, so that :mod:`workbench.expr.syntax` (the
parser's first stage, without SymPy) can be imported alone."""

from workbench.lazy import lazy_exports

_EXPORTS = {"FUNCTIONS": "functions", "is_matrix": "functions", "free_names": "parser",
            "parse": "parser", "Domain": "spaces", "Variable": "spaces", "dim_symbol": "spaces",
            "dimension_names": "spaces", "sizes_from_point": "spaces"}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
