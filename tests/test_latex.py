"""Answers as students write them (issue 23, item 1): LaTeX and ``^`` read by our own parser into
the same expression as the ASCII language, refused with a column and what was expected, and
hostile text refused without being run."""

import ast
import re
from pathlib import Path

import pytest
import sympy

from workbench.cli import main
from workbench.derivation_file import load
from workbench.errors import ParseError
from workbench.expr import Variable, free_names, parse
from workbench.expr.latex import FUNCTION_WORDS, GREEK
from workbench.expr.functions import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
V = [Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1), Variable.matrix("beta", "p", 1),
     Variable.scalar("x"), Variable.scalar("a"), Variable.matrix("A", 3, 3),
     Variable.scalar("lam"), Variable.matrix("w", 2, 1)]


@pytest.mark.parametrize("latex, ascii_", [
    (r"\frac{a}{x}", "a/x"),
    (r"x^{2}", "x**2"), (r"x^2", "x**2"), ("x^2 + a^x", "x**2 + a**x"),
    (r"\sqrt{x}", "sqrt(x)"), (r"\sqrt[3]{x}", "x**(1/3)"),
    (r"\exp(x)", "exp(x)"), (r"e^{x}", "exp(x)"), (r"e^{-ax}", "exp(-a*x)"),
    (r"\ln x", "log(x)"), (r"\log(x)", "log(x)"), (r"\log_2 x", "log(x, 2)"),
    (r"\sigma(x)", "sigmoid(x)"), (r"\tanh(x)", "tanh(x)"), (r"\sin^2 x", "sin(x)**2"),
    (r"\sin 2x", "sin(2*x)"), (r"\sin x \cos x", "sin(x)*cos(x)"),
    (r"\operatorname{tr}(A)", "tr(A)"), (r"\mathrm{tr}(A^\top A)", "tr(A.T@A)"),
    (r"\det A", "det(A)"), (r"\det(A)", "det(A)"),
    (r"X^\top", "X.T"), (r"X^T", "X.T"), (r"X^{\top}", "X.T"), (r"X^{T}", "X.T"),
    (r"X'", "X.T"), (r"X^{\mathsf{T}}", "X.T"),
    (r"\mathbf{X}\boldsymbol{\beta}", "X@beta"), (r"\lambda x", "lam*x"),
    (r"a \cdot x", "a*x"), (r"a \times x", "a*x"), (r"\left( x + 1 \right)^2", "(x + 1)**2"),
    ("2x", "2*x"), (r"X\beta", "X@beta"), (r"2X^\top(y - X\beta)", "2*X.T@(y - X@beta)"),
    (r"-\frac{2}{n} X^\top (y - X \beta)", "-2/n*X.T@(y - X@beta)"),
    (r"\nabla_\beta f = 2X^\top(X\beta - y)", "2*X.T@(X@beta - y)"),
    (r"\nabla_{\boldsymbol\beta} f(\beta) = 2X^\top(X\beta - y)", "2*X.T@(X@beta - y)"),
    (r"\frac{\partial f}{\partial x} = 2ax", "2*a*x"),
    (r"\frac{1}{2}x^2", "x**2/2"), (r"\frac12 x", "x/2"), ("ax", "a*x"),
    (r"|x| + \|w\|", "abs(x) + norm(w)"), (r"(A^\top A)^{-1}", "inv(A.T@A)"),
    (r"A^{2}", "A**2"), (r"w \odot w", "hadamard(w, w)"), (r"w_{1,0}", "w[1, 0]"),
    (r"\begin{pmatrix} x & 1 \\ 2 & x^2 \end{pmatrix}", "[[x, 1], [2, x**2]]"),
    (r"\max(x, a)", "max(x, a)"), (r"0.5x", "0.5*x"), (r"\pi x", "pi*x"),
])
def test_latex_reads_to_the_ascii_expression(latex, ascii_):
    assert same(parse(latex, V, latex=True), parse(ascii_, V))
    if "\\" in latex or "{" in latex:
        assert same(parse(latex, V), parse(ascii_, V))          # told apart by its marks


def same(a, b) -> bool:
    """The same SymPy tree, whatever the names of the dummies of entrywise functions."""
    return re.sub(r"dummy_index=\d+", "", sympy.srepr(a)) == \
        re.sub(r"dummy_index=\d+", "", sympy.srepr(b))


def test_caret_in_ascii_is_a_power_and_keeps_columns():
    assert parse("x^2 + 2*x^3", V) == parse("x**2 + 2*x**3", V)
    assert parse("X^T@(X@beta - y)", V) == parse("X.T@(X@beta - y)", V)
    with pytest.raises(ParseError) as info:
        parse("x^2 + zz^2", V)
    assert info.value.where == "col 7" and "zz" in info.value.message
    with pytest.raises(ParseError) as info:
        parse("x^2 + 0.1^2 + 3x", V)
    assert info.value.where == "col 15"          # the column of the text written, not of x**2


def test_a_declared_sigma_is_the_variable_not_the_sigmoid():
    s = [Variable.scalar("x"), Variable.scalar("mu"), Variable.scalar("sigma", "positive")]
    assert parse(r"-\frac{x - \mu}{\sigma^2}", s) == parse("-((x - mu)/sigma**2)", s)
    assert parse(r"\sigma(x)", V) == parse("sigmoid(x)", V)


def test_letters_split_into_declared_names_only_when_latex():
    two = [Variable.scalar("x"), Variable.scalar("y"), Variable.scalar("xy")]
    assert parse(r"\frac{xy}{2}", two) == parse("xy/2", two)     # longest declared name
    assert parse(r"\frac{yx}{2}", two) == parse("y*x/2", two)
    assert sorted(free_names(r"\frac{1}{2} ab + x^2")) == ["a", "b", "x"]


@pytest.mark.parametrize("text, col, words", [
    (r"\frac{1}{", 10, "expected an expression"),
    (r"x^{2", 5, "expected } to close the { at col 3"),
    (r"\foo x", 1, "not a command this reader knows"),
    (r"\left( x + 1", 13, "expected ) to close the ( at col 6"),
    (r"x^{2}^3", 6, "double superscript"),
    (r"2 \cdot", 8, "expected an expression"),
    (r"\begin{align} x \end{align}", 8, "environment 'align'"),
    (r"\frac{1}{2} x = ", 15, "expected an expression after ="),
    (r"x = 2x = 2x", 5, "a chain of steps"),
    (r"\partial x", 1, "left side"),
    (r"\exp", 5, "the argument of \\exp"),
    (r"\input{/etc/passwd}", 1, "not a command"),
    (r"\operatorname{system}(x)", 15, "unknown function"),
    (r"\mathrm{__import__}", 9, "expected"),
])
def test_a_malformed_answer_points_at_the_column(text, col, words):
    with pytest.raises(ParseError) as info:
        parse(text, V)
    assert words in info.value.message and info.value.where == f"col {col}", str(info.value)


@pytest.mark.parametrize("text", [
    "-" * 60 + "x", "{" * 60 + "x" + "}" * 60, r"\sqrt{" * 60 + "x" + "}" * 60,
    r"x^{" * 60 + "2" + "}" * 60, r"\frac{1}{" * 60 + "x" + "}" * 60])
def test_deep_latex_is_refused_not_recursed(text):
    with pytest.raises(ParseError) as info:
        parse(text, V)
    assert "nest" in info.value.message


def test_long_latex_chains_and_huge_powers_are_refused():
    with pytest.raises(ParseError):
        parse(r"x \cdot " * 300 + "x", V)
    with pytest.raises(ParseError, match="exponent"):
        parse(r"x^{10000}", V)
    with pytest.raises(ParseError, match="exponent"):
        parse(r"9^{9^{9^{9}}}", V)


def test_the_word_tables_are_the_whitelist():
    assert FUNCTION_WORDS <= set(FUNCTIONS)
    assert all(name.isidentifier() for names in GREEK.values() for name in names)


def test_the_command_line_reads_latex(capsys):
    assert main(["verify", "x^2", "--wrt", "x", "--hand", r"\frac{d}{dx} = 2x",
                 "--examples", "20"]) == 0
    assert main(["verify", r"\frac{1}{2}x^{2}", "--wrt", "x", "--hand", "2x",
                 "--examples", "20"]) == 2
    assert "col 1: 2x: write 2*x" in capsys.readouterr().err


# ------------------------------------------------------------ every bundled hand, in LaTeX

def _latex(node: ast.AST, names: dict) -> str:
    """The LaTeX a student might write for an expression of our language (``names``: name ->
    is a matrix). Products side by side where a reader can tell them apart, \\cdot else."""
    def atom(n):
        text = _latex(n, names)
        simple = isinstance(n, (ast.Name, ast.Constant, ast.Call, ast.Subscript, ast.List))
        return text if simple and not (isinstance(n, ast.Constant) and n.value < 0) \
            else rf"\left({text}\right)"

    def operand(n, op):       # a factor of a product or quotient
        return atom(n) if isinstance(n, ast.BinOp) and type(n.op) in (ast.Add, ast.Sub) or \
            isinstance(n, ast.UnaryOp) else _latex(n, names)

    if isinstance(node, ast.Expression):
        return _latex(node.body, names)
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.Name):
        if node.id in ("pi", "e"):
            return {"pi": r"\pi", "e": "e"}[node.id]
        base = node.id.rstrip("0123456789")
        digits = node.id[len(base):]
        greek = next((g for g, n in GREEK.items() if n[0] == base), None)
        text = rf"\{greek}" if greek else base if len(base) == 1 else rf"\mathrm{{{base}}}"
        if names.get(node.id):
            text = rf"\mathbf{{{text}}}" if not greek else rf"\boldsymbol{{{text}}}"
        return text + (f"_{{{digits}}}" if digits else "")
    if isinstance(node, ast.UnaryOp):
        return "-" + operand(node.operand, None)
    if isinstance(node, ast.Attribute):
        return atom(node.value) + r"^\top"
    if isinstance(node, ast.Subscript):
        i, j = (e.value for e in node.slice.elts)
        return f"{_latex(node.value, names)}_{{{i},{j}}}"
    if isinstance(node, ast.List):
        rows = [" & ".join(_latex(e, names) for e in r.elts) for r in node.elts]
        return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            right = _latex(node.right, names)
            if op is ast.Sub and isinstance(node.right, ast.BinOp) and \
                    type(node.right.op) in (ast.Add, ast.Sub) or right.startswith("-"):
                right = rf"\left({right}\right)"
            return f"{_latex(node.left, names)} {'+' if op is ast.Add else '-'} {right}"
        if op is ast.Div:
            return rf"\frac{{{_latex(node.left, names)}}}{{{_latex(node.right, names)}}}"
        if op is ast.Pow:
            return f"{atom(node.left)}^{{{_latex(node.right, names)}}}"
        left, right = operand(node.left, op), operand(node.right, op)
        joint = " " if right[0].isalpha() or right.startswith((r"\left", r"\mathbf",
                                                                 r"\boldsymbol")) \
            else r" \cdot "
        return left + joint + right
    if isinstance(node, ast.Call):
        name = node.func.id
        args = ", ".join(_latex(a, names) for a in node.args)
        if name == "inv":
            return atom(node.args[0]) + "^{-1}"
        if name == "sqrt":
            return rf"\sqrt{{{args}}}"
        if name in ("Abs", "abs"):
            return rf"\left|{args}\right|"
        if name == "sigmoid" and "sigma" not in names:
            return rf"\sigma\left({args}\right)"
        if name in ("exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "det"):
            return rf"\{name}\left({args}\right)"
        if name in ("Max", "Min"):
            return rf"\{name.lower()}\left({args}\right)"
        return rf"\operatorname{{{name}}}\left({args}\right)"
    raise AssertionError(f"no LaTeX for {ast.dump(node)}")


HANDS = [(path.name, name, text) for path in sorted((ROOT / "derivations").glob("*.toml"))
         for name, text in (load(path).hand_text or {}).items()]


def test_every_bundled_file_has_a_hand_to_write():
    assert len(HANDS) >= 50


@pytest.mark.parametrize("file, name, text", HANDS, ids=[f"{f}:{n}" for f, n, _ in HANDS])
def test_every_bundled_hand_written_in_latex_reads_the_same(file, name, text):
    d = load(ROOT / "derivations" / file)
    variables = d.problem.variables
    names = {v.name: v.is_matrix for v in variables}
    latex = _latex(ast.parse(text.strip(), mode="eval"), names)
    assert same(parse(latex, variables, latex=True), d.hand[name]), latex


def test_a_latex_hand_in_a_file_is_checked(tmp_path):
    text = (ROOT / "derivations" / "course_04_least_squares_mean.toml").read_text()
    text = text.replace('beta = "-2*X.T@(y - X@beta)/n"',
                        r'beta = "\\nabla_\\beta f = -\\frac{2}{n}X^\\top(y - X\\beta)"')
    (tmp_path / "latex.toml").write_text(text)
    assert main(["check", str(tmp_path / "latex.toml")]) == 0
    wrong = text.replace(r"-\\frac{2}{n}", r"-2")
    (tmp_path / "wrong.toml").write_text(wrong.replace('expect = { beta = "-2*X.T@y/n" }', ""))
    assert main(["check", str(tmp_path / "wrong.toml")]) == 1
