"""Derivative facts: each elementary operation beside its partial derivatives, one line each.

A fact is written once against a small number system ``m`` and runs in several: :data:`SYMPY`
here (the step-by-step derivations of :mod:`workbench.explain.steps` show its formulas), and
float64 and exact numbers in a trace (:mod:`workbench.trace.numbers`). ``m`` gives ``const(c)``,
``exp log sqrt sin cos tan asin acos atan sinh cosh tanh abs sign max min`` and ``positive(x)``;
values support ``+ - * / **``.

``value(m, *u)`` is the operation; ``partials(m, y, *u)`` its partial derivative with respect
to each operand, given the value ``y`` (which some derivatives reuse: ``exp' = y``). Conventions
at kinks follow torch: ``relu'(0) = 0``, ``|x|'(0) = 0``, ties of max/min share the derivative
equally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy


@dataclass(frozen=True)
class Fact:
    """An operation and its partial derivatives. ``rule`` names the fact in step-by-step
    derivations (a ``rule.`` key of :mod:`workbench.words`); ``sympy`` is the SymPy function
    those steps recognise it by."""

    value: Callable
    partials: Callable
    rule: str = ""
    sympy: type | None = None


def _ties(m, y, *xs):
    n = sum(1 for x in xs if x == y)
    return tuple((m.const(1) if x == y else m.const(0)) / m.const(n) for x in xs)


def _sigmoid(m, x):
    return m.const(1) / (m.const(1) + m.exp(-x))


FACTS: dict[str, Fact] = {
    "add": Fact(lambda m, a, b: a + b, lambda m, y, a, b: (m.const(1), m.const(1))),
    "sub": Fact(lambda m, a, b: a - b, lambda m, y, a, b: (m.const(1), m.const(-1))),
    "mul": Fact(lambda m, a, b: a * b, lambda m, y, a, b: (b, a)),
    "div": Fact(lambda m, a, b: a / b, lambda m, y, a, b: (m.const(1) / b, -y / b)),
    "neg": Fact(lambda m, a: -a, lambda m, y, a: (m.const(-1),)),
    # x**c with a constant c; c**x with a constant c; x**z with both variable (x > 0).
    "power": Fact(lambda m, x, c: x ** c,
                  lambda m, y, x, c: (c * x ** (c - m.const(1)), m.const(0)), "power"),
    "exponential": Fact(lambda m, c, x: c ** x,
                        lambda m, y, c, x: (m.const(0), y * m.log(c)), "exp-base"),
    "pow": Fact(lambda m, x, z: x ** z,
                lambda m, y, x, z: (z * x ** (z - m.const(1)), y * m.log(x))),
    "log_base": Fact(lambda m, x, b: m.log(x) / m.log(b),
                     lambda m, y, x, b: (m.const(1) / (x * m.log(b)), -y / (b * m.log(b)))),
    "exp": Fact(lambda m, x: m.exp(x), lambda m, y, x: (y,), "exp", sympy.exp),
    "log": Fact(lambda m, x: m.log(x), lambda m, y, x: (m.const(1) / x,), "log", sympy.log),
    "sqrt": Fact(lambda m, x: m.sqrt(x), lambda m, y, x: (m.const(1) / (2 * y),)),
    "sin": Fact(lambda m, x: m.sin(x), lambda m, y, x: (m.cos(x),), "trig", sympy.sin),
    "cos": Fact(lambda m, x: m.cos(x), lambda m, y, x: (-m.sin(x),), "trig", sympy.cos),
    "tan": Fact(lambda m, x: m.tan(x), lambda m, y, x: (m.const(1) + y * y,), "trig",
                sympy.tan),
    "asin": Fact(lambda m, x: m.asin(x),
                 lambda m, y, x: (m.const(1) / m.sqrt(m.const(1) - x * x),), "inverse-trig",
                 sympy.asin),
    "acos": Fact(lambda m, x: m.acos(x),
                 lambda m, y, x: (m.const(-1) / m.sqrt(m.const(1) - x * x),), "inverse-trig",
                 sympy.acos),
    "atan": Fact(lambda m, x: m.atan(x), lambda m, y, x: (m.const(1) / (m.const(1) + x * x),),
                 "inverse-trig", sympy.atan),
    "sinh": Fact(lambda m, x: m.sinh(x), lambda m, y, x: (m.cosh(x),), "hyperbolic",
                 sympy.sinh),
    "cosh": Fact(lambda m, x: m.cosh(x), lambda m, y, x: (m.sinh(x),), "hyperbolic",
                 sympy.cosh),
    "tanh": Fact(lambda m, x: m.tanh(x), lambda m, y, x: (m.const(1) - y * y,), "hyperbolic",
                 sympy.tanh),
    "sigmoid": Fact(_sigmoid, lambda m, y, x: (y * (m.const(1) - y),)),
    "softplus": Fact(lambda m, x: m.log(m.const(1) + m.exp(x)),
                     lambda m, y, x: (_sigmoid(m, x),)),
    "relu": Fact(lambda m, x: m.max(m.const(0), x),
                 lambda m, y, x: (m.const(1) if m.positive(x) else m.const(0),)),
    "abs": Fact(lambda m, x: m.abs(x), lambda m, y, x: (m.sign(x),), "abs", sympy.Abs),
    # steps leave sign(u) to SymPy's own derivative (no ``sympy`` here)
    "sign": Fact(lambda m, x: m.sign(x), lambda m, y, x: (m.const(0),)),
    "max": Fact(lambda m, *xs: m.max(*xs), _ties),
    "min": Fact(lambda m, *xs: m.min(*xs), _ties),
}

SYMPY_FACTS: dict[type, Fact] = {f.sympy: f for f in FACTS.values() if f.sympy is not None}
"""The facts of SymPy's functions of one argument, by function (``sympy.sin`` ...)."""


class SymPyNumbers:
    """The number system of the facts in SymPy: symbols and exact numbers alike."""

    exp, log, sqrt = staticmethod(sympy.exp), staticmethod(sympy.log), staticmethod(sympy.sqrt)
    sin, cos, tan = staticmethod(sympy.sin), staticmethod(sympy.cos), staticmethod(sympy.tan)
    asin, acos, atan = staticmethod(sympy.asin), staticmethod(sympy.acos), staticmethod(sympy.atan)
    sinh, cosh, tanh = staticmethod(sympy.sinh), staticmethod(sympy.cosh), staticmethod(sympy.tanh)
    abs, sign = staticmethod(sympy.Abs), staticmethod(sympy.sign)
    max, min = staticmethod(sympy.Max), staticmethod(sympy.Min)

    @staticmethod
    def const(c):
        """``c`` exactly: ``0.1`` as ``1/10``, not the nearest float."""
        return sympy.sympify(c) if isinstance(c, (int, sympy.Basic)) else sympy.Rational(repr(c))

    @staticmethod
    def positive(x) -> bool:
        return bool(x > 0)


SYMPY = SymPyNumbers()
