"""Compile a SymPy expression into a tree of torch closures, once; call it on many points.

No ``eval``, ``exec``, ``lambdify`` or generated code: each node becomes a closure built by its
rule in :data:`~workbench.compile.rules.RULES`. Equal subtrees share one closure, and each
closure runs at most once per call (a memo in the call's :class:`Env`), so shared
subexpressions are evaluated once.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

import sympy
import torch

from workbench.compile.rules import RULES, Closure, Rule, on_args
from workbench.errors import ShapeError, UnsupportedExpression, UserError
from workbench.expr.functions import is_matrix
from workbench.expr.spaces import Variable, dimension_names, sizes_from_point

_ELEMENT = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\[(\d+),(\d+)\]$")  # X[0,1], explicit sizes


class Env:
    """One call: inputs in the value layout of :mod:`~workbench.compile.rules`, dimension sizes,
    the dtype and device of constants, values of bound Lambda variables, and the memo."""

    def __init__(self, values: dict[str, torch.Tensor], sizes: dict[str, int],
                 dtype: torch.dtype, device: torch.device, bound: dict | None = None):
        self.values, self.sizes, self.dtype, self.device = values, sizes, dtype, device
        self.bound = bound or {}
        self.memo: dict[object, torch.Tensor] = {}

    def const(self, value: float | bool) -> torch.Tensor:
        """A 0-d constant in this call's dtype and device (bool for a truth value)."""
        dtype = torch.bool if isinstance(value, bool) else self.dtype
        return torch.tensor(value, dtype=dtype, device=self.device)

    def size(self, dim: int | sympy.Expr) -> int:
        """A matrix dimension (``3``, ``n``, ``n + 1``) as an int, sizes read off the point."""
        if isinstance(dim, int) or dim.is_Integer:  # explicit matrices have int shapes
            return int(dim)
        missing = sorted(s.name for s in dim.free_symbols if s.name not in self.sizes)
        if missing:
            raise ShapeError(f"no size for dimension {', '.join(missing)}: the point must hold "
                             f"a matrix variable that has it")
        return int(dim.xreplace({s: sympy.Integer(self.sizes[s.name]) for s in dim.free_symbols}))

    def bind(self, symbol: sympy.Symbol, value: torch.Tensor) -> "Env":
        """The same call with ``symbol`` bound to ``value`` and a fresh memo (a Lambda body)."""
        return Env(self.values, self.sizes, self.dtype, self.device, {**self.bound, symbol: value})


def _memo(fn: Closure) -> Closure:
    key = object()

    def run(env: Env) -> torch.Tensor:
        if key not in env.memo:
            env.memo[key] = fn(env)
        return env.memo[key]
    return run


class Compiler:
    """Turns nodes into closures with the rules; the rules call back :meth:`compile`,
    :meth:`scalar` and the leaf methods. ``used`` collects the variables the expression reads."""

    def __init__(self, variables: Sequence[Variable], rules: dict[type, Rule],
                 named: dict[str, Rule], bound: frozenset = frozenset(), used: set | None = None):
        self.variables = {v.name: v for v in variables}
        self.dims = set(dimension_names(variables))
        self.rules, self.named, self.bound = rules, named, bound
        self.used = set() if used is None else used
        self._cache: dict[sympy.Basic, Closure] = {}

    def compile(self, node: sympy.Basic) -> Closure:
        if node not in self._cache:
            self._cache[node] = _memo(self._rule(node)(node, self))
        return self._cache[node]

    def scalar(self, node: sympy.Basic) -> Closure:
        """Compile a node that must be a scalar (a 1x1 matrix is one)."""
        if is_matrix(node) and tuple(node.shape) != (1, 1):
            raise UnsupportedExpression(f"a scalar is needed where {node} (shape {node.shape}) "
                                        f"is used; apply a function elementwise with applyfunc")
        return self.compile(node)

    def binding(self, symbol: sympy.Symbol) -> "Compiler":
        """A compiler for a Lambda body: ``symbol`` is bound, and the cache is its own (the same
        node means something else inside)."""
        return Compiler(self.variables.values(), self.rules, self.named,
                        self.bound | {symbol}, self.used)

    def _rule(self, node: sympy.Basic) -> Rule:
        if type(node).__name__ in self.named:
            return self.named[type(node).__name__]
        for cls in type(node).__mro__:
            if cls in self.rules:
                return self.rules[cls]
        raise UnsupportedExpression(f"no torch rule for {type(node).__name__}: {node}")

    def symbol(self, node: sympy.Symbol) -> Closure:
        """A bound Lambda variable, a scalar variable, a dimension, or an element ``X[i,j]``."""
        name = node.name
        if node in self.bound:
            return lambda env: env.bound[node]
        v = self.variables.get(name)
        if v is not None and not v.is_matrix:
            self.used.add(name)
            return lambda env: env.values[name]
        if name in self.dims:
            size = sympy.Symbol(name)
            return lambda env: env.const(float(env.size(size)))
        element = _ELEMENT.match(name)
        if v is None and element and element.group(1) in self.variables:
            matrix = self.variables[element.group(1)].symbol()
            return self.compile(matrix[int(element.group(2)), int(element.group(3))])
        known = ", ".join(sorted(self.variables)) or "none"
        raise UnsupportedExpression(f"symbol {name} is neither a scalar variable nor a dimension "
                                    f"(variables: {known})")

    def matrix_symbol(self, node: sympy.MatrixSymbol) -> Closure:
        """A matrix variable; integer dimensions of ``node`` are checked against the tensor."""
        name = node.name
        v = self.variables.get(name)
        if v is None or not v.is_matrix:
            raise ShapeError(f"{name} is used as a matrix but is not a declared matrix variable")
        for got, want in zip(node.shape, v.shape):
            if (got.is_Symbol and got.name != want) or \
                    (isinstance(want, int) and not (got.is_Integer and int(got) == want)):
                raise ShapeError(f"{name} has shape {node.shape} in the expression but is "
                                 f"declared {v.shape}")
        fixed = [(axis, int(d)) for axis, d in zip((-2, -1), node.shape) if d.is_Integer]
        self.used.add(name)

        def run(env: Env) -> torch.Tensor:
            value = env.values[name]
            if any(value.shape[axis] != d for axis, d in fixed):
                raise ShapeError(f"{name} must have shape {node.shape}, got "
                                 f"{tuple(value.shape[-2:])}")
            return value
        return run


class CompiledFunction:
    """A SymPy expression compiled to torch (see :func:`compile_expr`). ``variables``: those it
    was compiled against; ``is_matrix``: True for a matrix expression (a 1x1 one included),
    whose values keep their two trailing dimensions."""

    def __init__(self, expr: sympy.Basic, variables: Sequence[Variable], root: Closure,
                 used: set[str]):
        self.expr = expr
        self.variables = tuple(variables)
        self.is_matrix = bool(is_matrix(expr))
        self._root = root
        self._used = tuple(v for v in self.variables if v.name in used)

    def __call__(self, point: Mapping[str, torch.Tensor], *, batched: bool = False) -> torch.Tensor:
        """Value at ``point`` (name -> tensor): a scalar expression gives ``()``, or ``(B,)``
        when ``batched``; a matrix one ``(r, c)`` or ``(B, r, c)``. Inputs: a scalar variable
        ``()`` or ``(B,)``, a matrix one ``(r, c)`` or ``(B, r, c)``; dimension sizes (``n``) are
        read off the matrices' shapes. The result has the inputs' dtype and device."""
        inputs = {v.name: _input(v, point, batched) for v in self._used}
        given = [point[v.name] for v in self.variables
                 if v.name in point and isinstance(point[v.name], torch.Tensor)]
        reference = list(inputs.values()) or given
        batch = _batch(inputs, reference, batched)
        dtype = _dtype(reference)
        device = reference[0].device if reference else torch.device("cpu")
        sizes = sizes_from_point(self._used, point, batched)
        if len(sizes) < len(dimension_names(self.variables)):
            # ``2*beta/n`` reads n although it uses no matrix of n rows: look at every input
            sizes = {**sizes_from_point(self.variables, point, batched), **sizes}
        values = {}
        for v in self._used:
            t = inputs[v.name].to(dtype)
            values[v.name] = t if v.is_matrix else t.reshape(t.shape + (1, 1))
        env = Env(values, sizes, dtype, device)
        out = self._root(env)
        rows, cols = (env.size(d) for d in self.expr.shape) if self.is_matrix else (1, 1)
        if out.shape != batch + (rows, cols):
            out = out.expand(batch + (rows, cols)).contiguous()
        return out if self.is_matrix else out.reshape(batch)


def _input(v: Variable, point: Mapping[str, torch.Tensor], batched: bool) -> torch.Tensor:
    if v.name not in point:
        raise ShapeError(f"the point has no value for {v.name}, which the expression uses "
                         f"(given: {', '.join(sorted(point)) or 'nothing'})")
    t = point[v.name]
    ndim = (1 if batched else 0) + (2 if v.is_matrix else 0)
    if not isinstance(t, torch.Tensor) or t.dim() != ndim:
        want = ("(B, r, c)" if batched else "(r, c)") if v.is_matrix else \
            ("(B,)" if batched else "()")
        shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ShapeError(f"{v.name} must be a tensor of shape {want}, got {shape}")
    return t


def _batch(inputs: dict[str, torch.Tensor], reference: list[torch.Tensor],
           batched: bool) -> tuple[int, ...]:
    """``(B,)`` when batched (the same B for every input), else ``()``."""
    if not batched:
        return ()
    if not reference:
        raise ShapeError("a batched call needs at least one input tensor to know the batch size")
    sizes = {name: t.shape[0] for name, t in inputs.items()}
    if len(set(sizes.values())) > 1:
        raise ShapeError(f"inputs disagree on the batch size: {sizes}")
    return (reference[0].shape[0],)


def _dtype(reference: list[torch.Tensor]) -> torch.dtype:
    """The inputs' common dtype; integer inputs compute in the default float dtype."""
    if not reference:
        return torch.get_default_dtype()
    dtype = reference[0].dtype
    for t in reference[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return dtype if dtype.is_floating_point else torch.get_default_dtype()


def compile_expr(expr: sympy.Basic, variables: Sequence[Variable],
                 extra_funcs: Mapping[type | str, Callable] | None = None) -> CompiledFunction:
    """Compile ``expr`` (scalar, 1x1 or matrix SymPy expression in ``variables``) to torch.

    ``extra_funcs`` adds or overrides rules: a SymPy function class, or its name, mapped to a
    torch callable taking the evaluated argument tensors (scalars arrive as ``(..., 1, 1)``).
    Raises :class:`UnsupportedExpression` naming the first node with no rule, at compile time.
    """
    if not isinstance(expr, sympy.Basic):
        raise UnsupportedExpression(f"expected a SymPy expression, got {type(expr).__name__}")
    rules, named = dict(RULES), {}
    for key, f in (extra_funcs or {}).items():
        if not callable(f):
            raise UserError(f"extra_funcs[{key!r}] must be a torch callable, got "
                            f"{type(f).__name__}")
        (named if isinstance(key, str) else rules)[key] = on_args(f)
    compiler = Compiler(variables, rules, named)
    root = compiler.compile(expr)
    return CompiledFunction(expr, variables, root, compiler.used)
