"""Is a function, and its derivative, defined at an exact point? Poles, values outside the
domain and kinks, found by evaluating the expression exactly from its leaves up, so that the
innermost part that fails names the cause (``log(x)`` at ``x = -1``: log of -1 is not real;
``1/x`` at ``x = 0``: a pole)."""

from __future__ import annotations

from typing import Mapping, Sequence

import sympy

from workbench.derive.explicit import element_values, make_explicit
from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit, ShapeError, UserError
from workbench.expr.printing import plain
from workbench.expr.spaces import Variable

SECONDS = 2.0
_KINKS = (sympy.Abs, sympy.sign, sympy.Heaviside)


def point_text(values: Mapping[str, object]) -> str:
    """``x = 0, a = 3``."""
    return ", ".join(f"{k} = {plain(v)}" for k, v in values.items())


def sizes_of(variables: Sequence[Variable], values: Mapping[str, object]) -> dict[str, int]:
    """The dimensions a point's matrices give; a :class:`ShapeError` (``--at``) for a value
    whose shape is not its variable's."""
    sizes: dict[str, int] = {}
    for v in variables:
        value = values[v.name]
        got = tuple(value.shape) if isinstance(value, sympy.MatrixBase) else None
        if (v.shape is None) != (got is None):
            want = "a number" if v.shape is None else f"a matrix of shape {v.shape}"
            raise ShapeError(f"{v.name} is {want}", "--at")
        for want, n in zip(v.shape or (), got or ()):
            if (isinstance(want, int) and want != n) or \
                    (isinstance(want, str) and sizes.setdefault(want, n) != n):
                raise ShapeError(f"{v.name} has shape {got}, which does not fit {v.shape}"
                                 + (f" ({want} is {sizes[want]} elsewhere)"
                                    if isinstance(want, str) else ""), "--at")
    return sizes


def check_point(function, gradients: Mapping[str, object], variables: Sequence[Variable],
                values: Mapping[str, object]) -> list[str]:
    """Notes about the point (kinks, where the value shown is a convention); a
    :class:`UserError` (``--at``) where the function or a derivative is not defined there: a
    pole, a value outside the domain (``sqrt`` or ``log`` of a negative number). Within
    :data:`SECONDS`; past it, nothing is said."""
    where = point_text(values)
    notes: list[str] = []
    try:
        with time_limit(SECONDS, "checking the point"):
            sizes = sizes_of(variables, values)
            subs = element_values(variables, values)
            f = make_explicit(function, variables, sizes)
            why = _undefined(f, subs)
            if why is not None:
                raise UserError(f"{why[0]} at {where}: {why[1]}", "--at")
            for name, g in gradients.items():
                if g is None:
                    continue
                why = _undefined(make_explicit(g, variables, sizes), subs)
                if why is not None:
                    raise UserError(f"the function is defined at {where} but d/d{name} is not "
                                    f"({why[1]})", "--at")
            notes += _kinks(f, subs, where)
    except (ResourceLimit, RecursionError):
        return notes
    return notes


def _value(node, subs: dict, memo: dict):
    """``node`` at the point, evaluated from its leaves up (memo by node)."""
    if node in memo:
        return memo[node]
    if not node.args or not node.free_symbols:
        out = node.xreplace(subs)
    else:
        out = node.func(*[_value(a, subs, memo) for a in node.args])
    memo[node] = out
    return out


def _bad(value) -> bool:
    if isinstance(value, sympy.MatrixBase):
        return any(_bad(e) for e in value)
    if not isinstance(value, sympy.Expr):
        return False
    return value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or value.is_extended_real is False


def _undefined(expr, subs: dict) -> tuple[str, str] | None:
    """``(headline, cause)`` for the innermost part of ``expr`` that has no real finite value
    at ``subs``, or None."""
    memo: dict = {}
    nodes = list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]
    for root in nodes:
        for node in sympy.postorder_traversal(root):
            if not isinstance(node, sympy.Expr) or not node.free_symbols:
                continue
            value = _value(node, subs, memo)
            if not _bad(value):
                continue
            if isinstance(node, sympy.Pow) and node.exp.is_negative and \
                    _value(node.base, subs, memo) == 0:
                return "pole", f"{plain(node)} divides by {plain(node.base)} = 0"
            args = ", ".join(plain(_value(a, subs, memo)) for a in node.args)
            if isinstance(node, sympy.Pow) and node.exp.is_Rational:
                return "not defined", f"{plain(node)}: a root of " \
                                      f"{plain(_value(node.base, subs, memo))} < 0 is not real"
            if isinstance(node, sympy.Function):
                return "not defined", f"{plain(node)}: {type(node).__name__} of {args} is not " \
                                      f"a finite real number"
            return "not defined", f"{plain(node)} has no finite real value there"
    return None


def _kinks(expr, subs: dict, where: str) -> list[str]:
    memo: dict = {}
    found = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _KINKS) and node.free_symbols and \
                _value(node.args[0], subs, memo) == 0:
            found.append(plain(node))
        elif isinstance(node, (sympy.Max, sympy.Min)) and node.free_symbols:
            args = [_value(a, subs, memo) for a in node.args]
            if len(set(args)) < len(args):
                found.append(plain(node))
    if not found:
        return []
    return [f"{where} is a kink of {', '.join(dict.fromkeys(found))}: the function has no "
            f"derivative there; the exact value shown is the convention of the derived form "
            f"(sign(0) = 0), and autograd's convention may differ"]


__all__ = ["check_point", "point_text", "sizes_of"]
