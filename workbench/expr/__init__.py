"""Safe expression language: the parser, and the domains and shapes of variables."""

from workbench.expr.functions import FUNCTIONS, is_matrix
from workbench.expr.parser import free_names, parse
from workbench.expr.spaces import (Domain, Variable, dim_symbol, dimension_names,
                                   sizes_from_point)

__all__ = ["FUNCTIONS", "Domain", "Variable", "dim_symbol", "dimension_names", "free_names", "is_matrix",
           "parse", "sizes_from_point"]
