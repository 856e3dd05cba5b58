"""``derive --at``: one reader of points with ``trace --at`` (numbers, constants, fractions,
matrices; issue 26, item 6), and a point outside the domain or at a pole is bad input that
says so, a kink is named (item 5)."""

import json

import pytest

from workbench.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("expr, at, said", [
    ("sqrt(x)", "x=-4", "not defined at x = -4: sqrt(x): a root of -4 < 0 is not real"),
    ("ln(x)", "x=-1", "not defined at x = -1: log(x): log of -1"),
    ("1/x", "x=0", "pole at x = 0: 1/x divides by x = 0"),
    ("sqrt(x)", "x=0", "the function is defined at x = 0 but d/dx is not"),
])
def test_a_point_outside_the_domain_or_at_a_pole_is_bad_input(capsys, expr, at, said):
    code, out, err = run(capsys, "derive", expr, "--wrt", "x", "--at", at)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == f"workbench: error: --at: {said}" + err.split(said, 1)[1]


def test_a_kink_names_its_convention(capsys):
    code, out, _ = run(capsys, "derive", "abs(x)", "--wrt", "x", "--at", "x=0")
    assert code == 0
    assert "x = 0 is a kink of Abs(x): the function has no derivative there" in out


@pytest.mark.parametrize("at, exact", [("x=pi/4", "sqrt(2)*(pi + 4)/8"),
                                       ("x=1/3", "cos(1/3)/3 + sin(1/3)"),
                                       ("x=0.5", "cos(1/2)/2 + sin(1/2)")])
def test_derive_reads_what_trace_reads(capsys, at, exact):
    code, out, _ = run(capsys, "derive", "x*sin(x)", "--wrt", "x", "--at", at, "--json")
    assert code == 0 and json.loads(out)["at"]["x"]["exact"] == exact
    code, out, _ = run(capsys, "trace", "x*sin(x)", "--at", at, "--json")
    assert code == 0


def test_the_values_are_exact(capsys):
    code, out, _ = run(capsys, "derive", "sin(x)", "--wrt", "x", "--at", "x=pi/4", "--json")
    assert code == 0 and json.loads(out)["at"]["x"]["exact"] == "sqrt(2)/2"


def test_derive_evaluates_at_a_matrix_point_as_trace_does(capsys):
    expr = "sum((X@beta - y)**2)"
    point = ["--at", "X=[[1,2],[3,4],[5,6]]", "--at", "y=[[1],[2],[3]]", "--at",
             "beta=[[0],[0]]"]
    code, out, _ = run(capsys, "derive", expr, "--wrt", "beta", "--matrix", "X=n,p",
                       "--matrix", "y=n,1", "--matrix", "beta=p,1", *point, "--json")
    assert code == 0
    values = json.loads(out)["at"]["beta"]
    assert values["exact"] == "[[-44], [-56]]" and values["autograd"] == [[-44.0], [-56.0]]
    code, out, _ = run(capsys, "trace", expr, *point, "--wrt", "beta", "--json")
    assert code == 0


@pytest.mark.parametrize("at, said", [
    (["x=[[1,2]"], "rows of numbers"), (["x=y"], "unknown name 'y'"), (["x=1e999"], "finite"),
    (["x=1", "x=2"], "twice"), (["z=1"], "x missing"), (["x=1", "z=1"], "z is not a variable"),
    (["x=[[1, 2]]"], "x is a number"),
])
def test_bad_points_are_one_line(capsys, at, said):
    argv = ["derive", "x**2", "--wrt", "x"]
    for a in at:
        argv += ["--at", a]
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and said in err and "--at" in err
