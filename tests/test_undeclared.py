"""A name the function does not have, or a matrix product of scalars, is bad input with a
one-line message naming it (issue 26, item 4), not a silent scalar."""

import pytest

import workbench as wb
from workbench.cli import main
from workbench.errors import ShapeError, UserError
from workbench.expr.parser import parse
from workbench.expr.spaces import Variable


def run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_a_hand_naming_a_variable_the_function_lacks_is_bad_input(capsys):
    code, err = run(capsys, "verify", "x**2", "--wrt", "x", "--hand", "2*xx")
    assert code == 2 and err.count("\n") == 1
    assert "--hand x: col 3: unknown name 'xx'" in err and "did you mean x?" in err


def test_a_hand_jacobian_naming_a_variable_the_function_lacks_is_bad_input(capsys):
    code, err = run(capsys, "verify", "softmax(z)", "--wrt", "z", "--matrix", "z=k,1",
                    "--hand", "diag(softmax(z)) - softmax(zz)@softmax(z).T")
    assert code == 2 and "unknown name 'zz'" in err


def test_the_library_refuses_it_too():
    with pytest.raises(UserError, match="unknown name 'xx'"):
        wb.verify("x**2", "x", "2*xx")


def test_a_hand_may_use_the_dimension_names():
    v = wb.verify("sum(X@b)", "b", "X.T@ones(n, 1)", matrix={"X": "n,p", "b": "p,1"})
    assert v.report.verdict == "match"


@pytest.mark.parametrize("text, named", [("X@b", "X and b are scalars"),
                                         ("A@x", "x is a scalar"), ("2@A", "2 is a scalar")])
def test_a_matrix_product_of_scalars_is_a_shape_error(text, named):
    variables = [Variable.scalar("X"), Variable.scalar("b"), Variable.scalar("x"),
                 Variable.matrix("A", "n", "n")]
    with pytest.raises(ShapeError, match=named):
        parse(text, variables)


def test_derive_of_an_undeclared_matrix_product_says_so(capsys):
    code, err = run(capsys, "derive", "X@b", "--wrt", "b")
    assert code == 2 and err.count("\n") == 1
    assert "@ is the matrix product, but X and b are scalars" in err and "--matrix" in err


def test_assert_gradient_refuses_a_name_only_the_hand_uses():
    from workbench.testing import assert_gradient
    with pytest.raises(UserError, match="unknown name 'xx'"):
        assert_gradient("x**2", "x", {"x": "2*xx"})
