"""SymPy → torch compiler: :func:`compile_expr` turns a scalar or matrix SymPy expression into a
:class:`CompiledFunction` of a point (or a batch of points); the rules are one table,
:data:`RULES`."""

from workbench.compile.compiler import CompiledFunction, compile_expr
from workbench.compile.rules import RULES

__all__ = ["CompiledFunction", "RULES", "compile_expr"]
