"""Elementwise operations of the graph: how each reads (text and LaTeX) beside what it
computes, its value and local partial derivatives (a fact of :mod:`workbench.derive.facts`,
run in the number systems of :mod:`workbench.trace.numbers`).

They act on scalars; on a matrix they act entry by entry, a scalar or 1x1 operand broadcasting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from workbench.derive.facts import FACTS, Fact

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
    """How an operation reads (``text``, ``tex``) and what it computes (``fact``)."""

    text: Form
    tex: Form
    fact: Fact

    @property
    def value(self) -> Callable:
        return self.fact.value

    @property
    def partials(self) -> Callable:
        return self.fact.partials


def _infix(pattern: str, prec: int, tex: str | None = None) -> tuple[Form, Form]:
    """Text and LaTeX forms of a left-associative infix operator."""
    needs = (prec, prec + 1)
    return Form(pattern, prec, needs), Form(pattern if tex is None else tex, prec, needs)


_POWER = (Form("{0}**{1}", POWER, (POWER + 1, POWER)), Form("{0}^{{{1}}}", POWER, (POWER + 1, 0)))

OPS: dict[str, Elementwise] = {
    "add": Elementwise(*_infix("{0} + {1}", SUM), FACTS["add"]),
    "sub": Elementwise(*_infix("{0} - {1}", SUM), FACTS["sub"]),
    "mul": Elementwise(*_infix("{0}*{1}", PRODUCT, r"{0}\,{1}"), FACTS["mul"]),
    "hadamard": Elementwise(*call("hadamard", r"\operatorname{hadamard}"), FACTS["mul"]),
    "div": Elementwise(Form("{0}/{1}", PRODUCT, (PRODUCT, PRODUCT + 1)),
                       Form(r"\frac{{{0}}}{{{1}}}", PRODUCT, (0, 0)), FACTS["div"]),
    "neg": Elementwise(Form("-{0}", UNARY, (PRODUCT,)), Form("-{0}", UNARY, (PRODUCT,)),
                       FACTS["neg"]),
    "power": Elementwise(*_POWER, FACTS["power"]),
    "exponential": Elementwise(*_POWER, FACTS["exponential"]),
    "pow": Elementwise(*_POWER, FACTS["pow"]),
    "exp": Elementwise(Form("exp({0})"), Form("e^{{{0}}}", POWER, (0,)), FACTS["exp"]),
    "log": Elementwise(*call("log", r"\ln"), FACTS["log"]),
    "log_base": Elementwise(Form("log({0}, {1})"), Form(r"\log_{{{1}}}\left({0}\right)"),
                            FACTS["log_base"]),
    "sqrt": Elementwise(Form("sqrt({0})"), Form(r"\sqrt{{{0}}}", ATOM, (0,)), FACTS["sqrt"]),
    "sin": Elementwise(*call("sin", r"\sin"), FACTS["sin"]),
    "cos": Elementwise(*call("cos", r"\cos"), FACTS["cos"]),
    "tan": Elementwise(*call("tan", r"\tan"), FACTS["tan"]),
    "asin": Elementwise(*call("asin", r"\arcsin"), FACTS["asin"]),
    "acos": Elementwise(*call("acos", r"\arccos"), FACTS["acos"]),
    "atan": Elementwise(*call("atan", r"\arctan"), FACTS["atan"]),
    "sinh": Elementwise(*call("sinh", r"\sinh"), FACTS["sinh"]),
    "cosh": Elementwise(*call("cosh", r"\cosh"), FACTS["cosh"]),
    "tanh": Elementwise(*call("tanh", r"\tanh"), FACTS["tanh"]),
    "sigmoid": Elementwise(*call("sigmoid", r"\sigma"), FACTS["sigmoid"]),
    "softplus": Elementwise(*call("softplus"), FACTS["softplus"]),
    "relu": Elementwise(*call("relu"), FACTS["relu"]),
    "abs": Elementwise(Form("abs({0})"), Form(r"\lvert {0}\rvert", ATOM, (0,)), FACTS["abs"]),
    "sign": Elementwise(*call("sign"), FACTS["sign"]),
    "max": Elementwise(*call("max", r"\max"), FACTS["max"]),
    "min": Elementwise(*call("min", r"\min"), FACTS["min"]),
}

# The functions of workbench.expr.functions that are elementwise, under the name of their rule.
FUNCTION_OPS = {"exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "sin": "sin",
                "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
                "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sigmoid": "sigmoid",
                "softplus": "softplus", "relu": "relu", "Abs": "abs", "abs": "abs",
                "sign": "sign", "Max": "max", "max": "max", "Min": "min", "min": "min",
                "hadamard": "hadamard"}
