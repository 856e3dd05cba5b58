"""The safe parser: the language it accepts, and hostile text it refuses without running it."""

import pytest
import sympy
from hypothesis import given, strategies as st

from workbench.errors import ParseError, ShapeError, UserError
from workbench.expr import Variable, free_names, parse

V = [Variable.scalar("x"), Variable.scalar("a", "positive"), Variable.matrix("X", "n", "p"),
     Variable.matrix("y", "n", 1), Variable.matrix("beta", "p", 1), Variable.matrix("A", 3, 3)]
x, a = sympy.Symbol("x", real=True), sympy.Symbol("a", real=True, positive=True,
                                                  nonnegative=True)


@pytest.mark.parametrize("text, expected", [
    ("3*x + 5", 3 * x + 5),
    ("2**x", 2 ** x),
    ("-log(1/(1 + exp(-a*x)))", -sympy.log(1 / (1 + sympy.exp(-a * x)))),
    ("x/10**7", x / 10**7),
    ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
    ("Max(1.0, x)", sympy.Max(1, x)),
    ("0.044715*x + 1e-5 + 2.5E+3", sympy.Rational(8943, 200000) * x + sympy.Rational(1, 10**5)
     + 2500),
    ("e**x + pi", sympy.exp(x) + sympy.pi),
    ("log(x, 2)", sympy.log(x) / sympy.log(2)),
])
def test_scalar_language(text, expected):
    assert sympy.simplify(parse(text, V) - expected) == 0


def test_matrix_language():
    X, y, beta = (sympy.MatrixSymbol(n, *s) for n, s in
                  [("X", (sympy.Symbol("n", integer=True, positive=True),
                          sympy.Symbol("p", integer=True, positive=True))),
                   ("y", (sympy.Symbol("n", integer=True, positive=True), 1)),
                   ("beta", (sympy.Symbol("p", integer=True, positive=True), 1))])
    assert parse("2*X.T*(X*beta - y)", V) == 2 * X.T * (X * beta - y)
    assert parse("X@beta", V) == X * beta
    assert parse("(X@beta - y).T@(X@beta - y)", V).shape == (1, 1)
    assert parse("A[0, 2]", V) == sympy.MatrixSymbol("A", 3, 3)[0, 2]


@pytest.mark.parametrize("text, where, words", [
    ("().__class__", "col 1", "attribute"),
    ("x.__class__.__bases__", "col 1", "attribute"),
    ("__import__('os').system('echo hacked')", "col 1", "only calls"),
    ("lambda: 1", "col 1", "lambda"),
    ("9**9**9**9", "col 4", "exponent"),
    ("((((9**9)**9)**9)**9)**9", None, "too large"),
    ("x**1000000", "col 1", "exponent"),
    ("x if x else 1", "col 1", "conditional"),
    ("'text'", "col 1", "not a number"),
    ("f'{x}'", "col 1", "f-string"),
    ("[x for x in ()]", "col 1", "comprehension"),
    ("(y := 1)", "col 2", "assignment"),
    ("x & 2", "col 1", "operator &"),
    ("exp(x=1)", "col 1", "keyword"),
    ("exp(*x)", "col 1", "argument"),
    ("open('f')", "col 1", "unknown function"),
    ("z + 1", "col 1", "unknown name"),
    ("1" * 60, "col 1", "digits"),
    ("x +", "col 4", "end of expression"),
    ("x +* 2", "col 4", "syntax"),
    ("x\u00e9", "col 2", "character"),
    ("", None, "empty"),
    ("1/0", "col 1", "division by zero"),
])
def test_hostile_or_bad_text_is_refused(text, where, words):
    with pytest.raises(ParseError) as info:
        parse(text, V)
    assert words in info.value.message
    if where:
        assert info.value.where.startswith(where)


LIMIT_TEXTS = {"parens-4001-chars": ("(" * 2000 + "x" + ")" * 2000, "characters long"),
               "parens-900-deep": ("(" * 900 + "x" + ")" * 900, "nesting deeper"),
               "minus-1990": ("-" * 1990 + "x", "nested deeper"),
               "sum-1000-terms": ("x" + "+x" * 999, "nested deeper"),
               "exp-500-chars": ("exp(" * 500 + "x" + ")" * 500, "characters long"),
               "exp-300-deep": ("exp(" * 300 + "x" + ")" * 300, "nesting deeper"),
               "digits-2001": ("9" * 2001, "characters long")}


@pytest.mark.parametrize("text, words", LIMIT_TEXTS.values(), ids=LIMIT_TEXTS)
def test_text_over_the_limits_is_refused(text, words):
    """Refused by the limit named; how fast is measured by benchmarks/bench_parser.py."""
    with pytest.raises(ParseError) as info:
        parse(text, V)
    assert words in info.value.message


@pytest.mark.parametrize("text, expected", [
    ("+".join(["x"] * 50), 50 * x),
    ("*".join(["x"] * 60), x ** 60),
    (" - ".join(["x"] * 80), -78 * x),
    (" + ".join(["a*x"] * 40 + ["x/a"] * 40), 40 * a * x + 40 * x / a),
    ("+".join(["x"] * 200), 200 * x),
    ("(" * 48 + "+".join(["x"] * 100) + ")" * 48, 100 * x),
], ids=["sum-50", "product-60", "difference-80", "mixed-80", "sum-200", "sum-100-in-48-parens"])
def test_long_flat_chains_are_not_nesting(text, expected):
    """Python's tree leans left on x + x + ... + x, as deep as the chain is long; a reader sees
    no nesting there, and neither does the limit of 48."""
    assert sympy.expand(parse(text, V) - expected) == 0


@pytest.mark.parametrize("text, words", [
    ("+".join(["x"] * 201), "group long sums"),
    ("exp(" * 49 + "x" + ")" * 49, "nesting deeper than 48"),
    ("**".join(["x"] * 50), "nested deeper than 48"),
    ("-" * 49 + "x", "nested deeper than 48"),
    ("exp(" * 30 + "**".join(["x"] * 20) + ")" * 30, "nested deeper than 48"),
], ids=["sum-201", "exp-49", "powers-50", "minus-49", "exp-30-powers-20"])
def test_real_nesting_and_very_long_chains_are_still_refused(text, words):
    with pytest.raises(ParseError) as info:
        parse(text, V)
    assert words in info.value.message


@pytest.mark.parametrize("text", [
    "(9**40)**50*(9**40)**50*(9**40)**50*x",        # 5,850 digits: past Python's str() limit
    "x*(9**40)**50*(9**40)**50",
    "(9**40)**50*((9**40)**50*x + 1)",               # distributed: A**2*x + A
])
def test_constants_that_arithmetic_grows_past_the_digit_limit_are_refused(text):
    with pytest.raises(ParseError) as info:
        parse(text, V)
    assert "more than 2,000 digits" in info.value.message


def test_nothing_is_executed(tmp_path, monkeypatch):
    target = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    for text in ["open('pwned', 'w')", "__import__('pathlib').Path('pwned').touch()",
                 "exec('open(1)')", "eval('1')", "x.__init__.__globals__"]:
        with pytest.raises(ParseError):
            parse(text, V)
    assert not target.exists()


@pytest.mark.parametrize("text", ["X + x", "X@X", "X + y", "x.T", "Trace(X)", "x[0, 0]",
                                  "A[3, 0]", "X/X"])
def test_shape_errors(text):
    with pytest.raises(ShapeError):
        parse(text, V)


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text):
    try:
        parse(text, V)
    except UserError:
        pass


def test_free_names_finds_variables_not_functions():
    assert sorted(free_names("-log(1/(1 + exp(-a*x)))")) == ["a", "x"]
    assert free_names("sin(pi*t)") == ["t"]


@pytest.mark.parametrize("text, exact", [
    ("0.044715", sympy.Rational(8943, 200000)),
    ("1e-5", sympy.Rational(1, 100000)),
    ("0.5", sympy.Rational(1, 2)),
    ("1_000.25", sympy.Rational(4001, 4)),
    ("0.10000000000000000000001", sympy.Rational(10**22 + 1, 10**23)),   # past float64's digits
    ("1e-400", sympy.Rational(1, 10**400)),                               # below float64's range
])
def test_a_decimal_literal_is_the_exact_decimal_written(text, exact):
    """Not the binary float nearest to it: every route (SymPy, 30-digit arithmetic, torch) then
    means one number, and 3*0.044715 is 0.134145 exactly (the GELU constant's derivative)."""
    got = parse(f"{text}*x", V)
    assert got == exact * x and not got.has(sympy.Float)


@pytest.mark.parametrize("text, words", [
    ("0." + "1" * 41 + "*x", "more than 40 digits"),
    ("1e-3000*x", r"beyond 10\*\*2000"),
])
def test_decimal_literals_have_limits(text, words):
    with pytest.raises(ParseError, match=words):
        parse(text, V)
