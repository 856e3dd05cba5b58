"""Elementwise operations of the graph, each beside its local partial derivatives.

One row per operation: how it reads (text and LaTeX), its value, and its partial derivative
with respect to each operand, as functions of a number system ``m`` (see
:mod:`workbench.trace.numbers`), the result ``y`` and the operands. They act on scalars; on a
matrix they act entry by entry, a scalar or 1x1 operand broadcasting. Conventions at kinks
follow torch: ``relu'(0) = 0``, ``|x|'(0) = 0``, ties of max/min share the derivative equally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ATOM, POWER, UNARY, PRODUCT, SUM = 40, 30, 25, 20, 10


@dataclass(frozen=True)
class Form:
    """How an operation reads: ``pattern`` with ``{0}, {1}...`` (``{*}``: all operands joined
    by commas), the precedence of the result and the least precedence each operand may have
    without parentheses."""

    pattern: str
    prec: int = ATOM
    needs: tuple[int, ...] = (0, 0)

    def apply(self, operands: list[tuple[str, int]], paren: tuple[str, str] = ("(", ")")) -> str:
        texts = []
        for k, (text, prec) in enumerate(operands):
            need = self.needs[min(k, len(self.needs) - 1)]
            at = self.pattern.find(f"{{{k}}}")
            after_operator = at > 0 and self.pattern[at - 1] in "-+*/ ,"
            if prec < need or (after_operator and text.startswith("-")):
                text = f"{paren[0]}{text}{paren[1]}"
            texts.append(text)
        if "{*}" in self.pattern:
            return self.pattern.replace("{*}", ", ".join(texts))
        return self.pattern.format(*texts)


def call(name: str, tex: str | None = None) -> tuple[Form, Form]:
    """Text and LaTeX forms of a function call ``name(...)``."""
    return Form(f"{name}({{*}})"), Form((tex or rf"\operatorname{{{name}}}") + r"\left({*}\right)")


@dataclass(frozen=True)
class Elementwise:
    text: Form
    tex: Form
    value: Callable
    partials: Callable


def _ties(m, y, *xs):
    hits = [m.const(1) if x == y else m.const(0) for x in xs]
    n = sum(1 for x in xs if x == y)
    return tuple(h / m.const(n) for h in hits)


def _power(m, y, x, c):
    return (c * x ** (c - m.const(1)), m.const(0))


def _step(m, x):
    return m.const(1) if m.positive(x) else m.const(0)


def _sigmoid(m, x):
    return m.const(1) / (m.const(1) + m.exp(-x))


OPS: dict[str, Elementwise] = {
    "add": Elementwise(Form("{0} + {1}", SUM, (SUM, SUM + 1)), Form("{0} + {1}", SUM, (SUM, SUM + 1)),
                       lambda m, a, b: a + b, lambda m, y, a, b: (m.const(1), m.const(1))),
    "sub": Elementwise(Form("{0} - {1}", SUM, (SUM, SUM + 1)), Form("{0} - {1}", SUM, (SUM, SUM + 1)),
                       lambda m, a, b: a - b, lambda m, y, a, b: (m.const(1), m.const(-1))),
    "mul": Elementwise(Form("{0}*{1}", PRODUCT, (PRODUCT, PRODUCT + 1)),
                       Form(r"{0}\,{1}", PRODUCT, (PRODUCT, PRODUCT + 1)),
                       lambda m, a, b: a * b, lambda m, y, a, b: (b, a)),
    "hadamard": Elementwise(*call("hadamard", r"\operatorname{hadamard}"),
                            lambda m, a, b: a * b, lambda m, y, a, b: (b, a)),
    "div": Elementwise(Form("{0}/{1}", PRODUCT, (PRODUCT, PRODUCT + 1)),
                       Form(r"\frac{{{0}}}{{{1}}}", PRODUCT, (0, 0)),
                       lambda m, a, b: a / b, lambda m, y, a, b: (m.const(1) / b, -y / b)),
    "neg": Elementwise(Form("-{0}", UNARY, (PRODUCT,)), Form("-{0}", UNARY, (PRODUCT,)),
                       lambda m, a: -a, lambda m, y, a: (m.const(-1),)),
    # x**c with a constant c; c**x with a constant c; x**z with both in the graph (x > 0).
    "power": Elementwise(Form("{0}**{1}", POWER, (POWER + 1, POWER)),
                         Form("{0}^{{{1}}}", POWER, (POWER + 1, 0)),
                         lambda m, x, c: x ** c, _power),
    "exponential": Elementwise(Form("{0}**{1}", POWER, (POWER + 1, POWER)),
                               Form("{0}^{{{1}}}", POWER, (POWER + 1, 0)),
                               lambda m, c, x: c ** x,
                               lambda m, y, c, x: (m.const(0), y * m.log(c))),
    "pow": Elementwise(Form("{0}**{1}", POWER, (POWER + 1, POWER)),
                       Form("{0}^{{{1}}}", POWER, (POWER + 1, 0)),
                       lambda m, x, z: x ** z,
                       lambda m, y, x, z: (z * x ** (z - m.const(1)), y * m.log(x))),
    "exp": Elementwise(Form("exp({0})"), Form("e^{{{0}}}", POWER, (0,)),
                       lambda m, x: m.exp(x), lambda m, y, x: (y,)),
    "log": Elementwise(*call("log", r"\ln"), lambda m, x: m.log(x),
                       lambda m, y, x: (m.const(1) / x,)),
    "log_base": Elementwise(Form("log({0}, {1})"), Form(r"\log_{{{1}}}\left({0}\right)"),
                            lambda m, x, b: m.log(x) / m.log(b),
                            lambda m, y, x, b: (m.const(1) / (x * m.log(b)),
                                                -y / (b * m.log(b)))),
    "sqrt": Elementwise(Form("sqrt({0})"), Form(r"\sqrt{{{0}}}", ATOM, (0,)),
                        lambda m, x: m.sqrt(x), lambda m, y, x: (m.const(1) / (2 * y),)),
    "sin": Elementwise(*call("sin", r"\sin"), lambda m, x: m.sin(x),
                       lambda m, y, x: (m.cos(x),)),
    "cos": Elementwise(*call("cos", r"\cos"), lambda m, x: m.cos(x),
                       lambda m, y, x: (-m.sin(x),)),
    "tan": Elementwise(*call("tan", r"\tan"), lambda m, x: m.tan(x),
                       lambda m, y, x: (m.const(1) + y * y,)),
    "asin": Elementwise(*call("asin", r"\arcsin"), lambda m, x: m.asin(x),
                        lambda m, y, x: (m.const(1) / m.sqrt(m.const(1) - x * x),)),
    "acos": Elementwise(*call("acos", r"\arccos"), lambda m, x: m.acos(x),
                        lambda m, y, x: (m.const(-1) / m.sqrt(m.const(1) - x * x),)),
    "atan": Elementwise(*call("atan", r"\arctan"), lambda m, x: m.atan(x),
                        lambda m, y, x: (m.const(1) / (m.const(1) + x * x),)),
    "sinh": Elementwise(*call("sinh", r"\sinh"), lambda m, x: m.sinh(x),
                        lambda m, y, x: (m.cosh(x),)),
    "cosh": Elementwise(*call("cosh", r"\cosh"), lambda m, x: m.cosh(x),
                        lambda m, y, x: (m.sinh(x),)),
    "tanh": Elementwise(*call("tanh", r"\tanh"), lambda m, x: m.tanh(x),
                        lambda m, y, x: (m.const(1) - y * y,)),
    "sigmoid": Elementwise(*call("sigmoid", r"\sigma"), _sigmoid,
                           lambda m, y, x: (y * (m.const(1) - y),)),
    "softplus": Elementwise(*call("softplus"), lambda m, x: m.log(m.const(1) + m.exp(x)),
                            lambda m, y, x: (_sigmoid(m, x),)),
    "relu": Elementwise(*call("relu"), lambda m, x: m.max(m.const(0), x),
                        lambda m, y, x: (_step(m, x),)),
    "abs": Elementwise(Form("abs({0})"), Form(r"\lvert {0}\rvert", ATOM, (0,)),
                       lambda m, x: m.abs(x), lambda m, y, x: (m.sign(x),)),
    "sign": Elementwise(*call("sign"), lambda m, x: m.sign(x), lambda m, y, x: (m.const(0),)),
    "max": Elementwise(*call("max", r"\max"), lambda m, *xs: m.max(*xs), _ties),
    "min": Elementwise(*call("min", r"\min"), lambda m, *xs: m.min(*xs), _ties),
}

# The functions of workbench.expr.functions that are elementwise, under the name of their rule.
FUNCTION_OPS = {"exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "sin": "sin",
                "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
                "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sigmoid": "sigmoid",
                "softplus": "softplus", "relu": "relu", "Abs": "abs", "abs": "abs",
                "sign": "sign", "Max": "max", "max": "max", "Min": "min", "min": "min",
                "hadamard": "hadamard"}
