"""A typo gets help: the message says what was probably meant and points at the column
(issue 26, item 3), instead of Python's tokenizer talking ("invalid decimal literal")."""

import pytest

from workbench.cli import main
from workbench.errors import ParseError
from workbench.expr.parser import parse
from workbench.expr.spaces import Variable
from workbench.expr.syntax import read_tree

X = [Variable.scalar("x"), Variable.scalar("y")]


@pytest.mark.parametrize("text, col, meant", [
    ("3x + 5", 1, "write 3*x"),
    ("x**2 + 2.5x", 8, "write 2.5*x"),
    ("x y", 3, "write x*y"),
    ("sin x", 1, "write sin(x) to call a function"),
    ("|x|", 1, "write abs(x)"),
    ("x\u00b2", 2, "write x**2"),
    ("2 \u2212 x", 3, "type -"),
])
def test_a_slip_is_named_with_what_was_meant(text, col, meant):
    with pytest.raises(ParseError) as info:
        read_tree(text)
    assert meant in info.value.message and info.value.where == f"col {col}"
    assert "invalid decimal literal" not in str(info.value)
    assert "line continuation" not in str(info.value)


@pytest.mark.parametrize("text, meant", [
    ("2(x + 1)", "write 2*(x + 1)"), ("(x + 1)(x - 1)", "(a)*(b)"), ("x(y + 1)", "x*(...)")])
def test_a_product_written_as_a_call_is_named(text, meant):
    with pytest.raises(ParseError) as info:
        parse(text, X)
    assert meant in info.value.message


@pytest.mark.parametrize("text", ["1e5 + x", "0x10 * x", "1_000*x", "2*x"])
def test_numbers_python_reads_are_not_slips(text):
    parse(text, X)


def test_the_command_line_says_it_in_one_line(capsys):
    assert main(["derive", "3x + 5", "--wrt", "x"]) == 2
    err = capsys.readouterr().err
    assert err == "workbench: error: EXPR: col 1: 3x: write 3*x for a product (a number and " \
                  "a name need * between them)\n"
