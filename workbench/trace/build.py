"""The computational graph of an expression, built from the text as the student typed it.

SymPy canonicalises ``-log(1/(1 + exp(-a*x)))`` into ``log(1 + exp(-a*x))``, which would hide
the operations the course draws, so the graph comes from the Python syntax tree of the text
instead (under the whitelist of :mod:`workbench.expr.parser`, which checks the text first; the
tree is walked, never run). One node per operation (``-``, ``log``, ``/``, ``+``, ``exp``,
``*`` ...), inputs first and the output last, in the order a framework would run them. A
subexpression written twice is one node, so fan-out and summed adjoints show.

Two readings keep the picture close to the course's: ``-a*x`` is ``-(a*x)`` (as in mathematics;
Python reads ``(-a)*x``, the same number), and operations on constants alone are folded into
one constant (``3/10``, ``log(2)``). Numbers and constants are not nodes: they sit inside the
operation that uses them (``1 + v2``).

Shapes are concrete: matrix dimensions come from ``sizes`` (``{"n": 3, "p": 2}``).
"""

from __future__ import annotations

import ast
from typing import Mapping, Sequence

import sympy

from workbench.errors import ParseError, ShapeError, UnsupportedExpression
from workbench.expr.parser import CONSTANTS, parse
from workbench.expr.spaces import Variable, dimension_names
from workbench.expr.syntax import read_tree
from workbench.trace.graph import Const, Graph, Node, Step, fresh_prefix, label, tex_name
from workbench.trace.matrix import MATRIX_FUNCTIONS, MATRIX_OPS
from workbench.trace.numbers import EXACT, ExactUnavailable, Shape, broadcast_shape, exact_number
from workbench.trace.ops import FUNCTION_OPS, OPS


def build_graph(text: str, variables: Sequence[Variable],
                sizes: Mapping[str, int] | None = None) -> Graph:
    """The elementary graph of ``text`` over ``variables`` (matrix dimensions from ``sizes``).

    Raises what :func:`workbench.expr.parse` raises for bad text, :class:`ShapeError` for a
    missing size, and :class:`UnsupportedExpression` where no rule exists.
    """
    parse(text, variables)
    matrices = {v.name for v in variables if v.is_matrix}
    tree = _LiftMinus().visit(read_tree(text, {v.name for v in variables} |
                                        set(dimension_names(variables)), matrices)[0])
    builder = _Builder(variables, dict(sizes or {}))
    root = builder.build(tree.body)
    if isinstance(root, Const):
        raise UnsupportedExpression(f"{text.strip()!r} uses no variable: there is nothing to "
                                    f"trace")
    if builder.protos[root][2] not in (None, (1, 1)):
        raise ShapeError(f"the function must be scalar (or 1x1); its shape is "
                         f"{builder.protos[root][2]}")
    return builder.graph(text.strip(), root)


class _LiftMinus(ast.NodeTransformer):
    """``-a*x`` -> ``-(a*x)``: unary minus binds looser than ``*``, ``/`` and ``@``, as in
    mathematics (a negative number literal stays a number)."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        left = node.left
        if isinstance(node.op, (ast.Mult, ast.Div, ast.MatMult)) and \
                isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub) and \
                not isinstance(left.operand, ast.Constant):
            inner = ast.copy_location(ast.BinOp(left.operand, node.op, node.right), node)
            return ast.copy_location(ast.UnaryOp(ast.USub(), inner), left)
        return node


class _Builder:
    def __init__(self, variables: Sequence[Variable], sizes: dict[str, int]):
        self.variables = {v.name: v for v in variables}
        self.sizes = sizes
        self.protos: list[tuple[str, str | None, Shape, tuple]] = []   # name, op, shape, args
        self.keys: dict[tuple, int] = {}

    def node(self, key: tuple, name: str, op: str | None, shape: Shape, args: tuple) -> int:
        if key not in self.keys:
            self.keys[key] = len(self.protos)
            self.protos.append((name, op, shape, args))
        return self.keys[key]

    def shape(self, a) -> Shape:
        return None if isinstance(a, Const) else self.protos[a][2]

    def apply(self, op: str, args: list):
        if all(isinstance(a, Const) for a in args):
            return _fold(op, args)
        if op in OPS:
            shape = broadcast_shape([self.shape(a) for a in args])
        else:
            shape = MATRIX_OPS[op].shape(*[self.shape(a) for a in args])
        return self.node(("op", op, tuple(args)), "", op, shape, tuple(args))

    def build(self, node: ast.AST):
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise UnsupportedExpression(f"cannot trace {type(node).__name__} nodes")
        return method(node)

    def _Constant(self, node: ast.Constant):
        text = repr(node.value)
        value = exact_number(node.value)
        return Const(value, text, sympy.latex(value) if isinstance(node.value, int) else text)

    def _Name(self, node: ast.Name):
        name = node.id
        if name in self.variables:
            v = self.variables[name]
            shape = v.concrete_shape(self.sizes) if v.is_matrix else None
            return self.node(("input", name), name, None, shape, ())
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return Const(value, name, sympy.latex(value))
        if name in self.sizes:
            return Const(sympy.Integer(self.sizes[name]), name, tex_name(name))
        raise ShapeError(f"no size given for dimension {name}")

    def _UnaryOp(self, node: ast.UnaryOp):
        operand = self.build(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        return self.apply("neg", [operand])

    def _BinOp(self, node: ast.BinOp):
        a, b = self.build(node.left), self.build(node.right)
        op = type(node.op)
        if op in (ast.Add, ast.Sub, ast.Div):
            return self.apply({ast.Add: "add", ast.Sub: "sub", ast.Div: "div"}[op], [a, b])
        if op in (ast.Mult, ast.MatMult):
            sa, sb = self.shape(a), self.shape(b)
            both = sa is not None and sb is not None
            return self.apply("matmul" if both and sa[1] == sb[0] else "mul", [a, b])
        if op is ast.Pow and getattr(node, "inverse", False) and self.shape(a) is not None:
            return self.apply("inv", [a])                # LaTeX's A^{-1}
        if op is ast.Pow:
            kind = "power" if isinstance(b, Const) else \
                "exponential" if isinstance(a, Const) else "pow"
            return self.apply(kind, [a, b])
        raise UnsupportedExpression(f"cannot trace the operator {type(node.op).__name__}")

    def _Attribute(self, node: ast.Attribute):
        return self.apply("transpose", [self.build(node.value)])

    def _Subscript(self, node: ast.Subscript):
        idx = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        ij = [Const(sympy.Integer(k.value), str(k.value), str(k.value)) for k in idx]
        return self.apply("entry", [self.build(node.value), *ij])

    def _Call(self, node: ast.Call):
        name = node.func.id
        if name == "softmax" and len(node.args) == 1:     # exp(z) / sum(exp(z)), traced so
            exp = ast.Call(ast.Name("exp", ast.Load()), node.args, [])
            total = ast.Call(ast.Name("sum", ast.Load()), [exp], [])
            return self.build(ast.copy_location(ast.BinOp(exp, ast.Div(), total), node))
        if name in HAND_ONLY:
            raise UnsupportedExpression(f"no trace rule for {name}: it is for writing Jacobians "
                                        f"and Hessians by hand, not functions to trace")
        args = [self.build(a) for a in node.args]
        shapes = [self.shape(a) for a in args]
        if name in ("log", "ln") and len(args) == 2:
            return self.apply("log_base", args)
        if name == "hadamard" and None in shapes:
            return self.apply("mul", args)
        if name in FUNCTION_OPS:
            return self.apply(FUNCTION_OPS[name], args)
        if name in MATRIX_FUNCTIONS:
            if shapes[0] is None:       # sum, mean of a scalar: itself; norm: its absolute value
                return self.apply("abs", args) if name == "norm" else args[0]
            return self.apply(MATRIX_FUNCTIONS[name], args)
        raise UnsupportedExpression(f"no trace rule for the function {name}")

    def graph(self, text: str, root: int) -> Graph:
        order = _reachable(self.protos, root)
        renumber = {old: new for new, old in enumerate(order)}
        ops = [i for i in order if self.protos[i][1] is not None]
        prefix = fresh_prefix(len(ops), set(self.variables))
        nodes: dict[int, Node] = {}
        for old in order:
            name, op, shape, args = self.protos[old]
            index = renumber[old]
            if op is None:
                nodes[index] = Node(index, name, shape)
                continue
            step = Step(op, tuple(renumber[a] if isinstance(a, int) else a for a in args))
            t, tex, _ = label([step], nodes)
            nodes[index] = Node(index, f"{prefix}{ops.index(old) + 1}", shape, (step,), t, tex)
        return Graph(text, tuple(nodes[i] for i in range(len(order))))


HAND_ONLY = ("diag", "eye", "ones", "zeros")
"""Functions of the language for writing hand Jacobians and Hessians, not traced."""


def _reachable(protos: list, root: int) -> list[int]:
    """Indices of the nodes the root depends on: inputs first, then operations in the order
    they were met (already topological)."""
    need = {root}
    for i in range(root, -1, -1):
        if i in need:
            need.update(a for a in protos[i][3] if isinstance(a, int))
    inputs = [i for i in sorted(need) if protos[i][1] is None]
    return inputs + [i for i in sorted(need) if protos[i][1] is not None]


def _fold(op: str, args: list[Const]) -> Const:
    """Operations on constants alone become one constant, computed exactly."""
    rule = OPS.get(op) or MATRIX_OPS[op]
    text = rule.text.apply([(a.text, a.prec) for a in args])
    try:
        value = EXACT.check(rule.value(EXACT, *[a.value for a in args]))
    except (ExactUnavailable, ZeroDivisionError, TypeError, ValueError):
        raise ParseError(f"the constant {text} is not a small real number") from None
    tex = rule.tex.apply([(a.tex, a.prec) for a in args], (r"\left(", r"\right)"))
    return Const(value, text, tex, rule.text.prec)
