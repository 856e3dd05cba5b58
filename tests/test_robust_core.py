"""Bad input and edge cases around the core: infinities never agree with finite values, a
huge [[at]] point is no failure, a check with a bad file says so on stderr too."""

from __future__ import annotations

import torch

from workbench.cli import main
from workbench.oracles.tolerances import tolerance_for


def test_an_infinity_agrees_only_with_itself():
    tol = tolerance_for(torch.float64, "exact")
    a = torch.tensor([float("inf"), float("inf"), 1.0, float("-inf")], dtype=torch.float64)
    b = torch.tensor([float("inf"), 1e300, float("inf"), float("inf")], dtype=torch.float64)
    assert tol.close(a, b).tolist() == [True, False, False, False]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_variable_named_twice_in_wrt_is_bad_input(tmp_path, capsys):
    f = write(tmp_path, "twice.toml", 'title = "t"\nfunction = "x**2"\nwrt = ["x", "x"]\n'
              '[variables]\nx = "real"\n')
    assert main(["check", str(f), "--examples", "3"]) == 2
    err = capsys.readouterr().err
    assert "wrt names a variable twice" in err and len(err.strip().splitlines()) == 1


def test_a_huge_point_is_checked_without_finite_differences(tmp_path, capsys):
    f = write(tmp_path, "huge.toml", 'title = "t"\nfunction = "x**2"\nwrt = ["x"]\n'
              '[variables]\nx = "real"\n[[at]]\nx = 1e150\nexpect = { x = "2*x" }\n')
    assert main(["check", str(f), "--examples", "3", "--json"]) == 0
    capsys.readouterr()


def test_an_expected_value_that_is_infinite_is_not_ok(tmp_path, capsys):
    f = write(tmp_path, "inf.toml", 'title = "t"\nfunction = "log(x)"\nwrt = ["x"]\n'
              '[variables]\nx = "positive"\n[[at]]\nx = 1\nexpect = { x = "1/(x - 1)" }\n')
    assert main(["check", str(f), "--examples", "3"]) != 0
    capsys.readouterr()


def test_a_complex_valued_expression_is_bad_input_not_an_internal_error(capsys):
    """SymPy reads sqrt(-4) as 2*I and differentiates sqrt(-1 - x**2) to I*x/sqrt(x**2 + 1):
    no torch rule, no real value; one line naming EXPR, exit 2."""
    assert main(["derive", "x + sqrt(-4)", "--wrt", "x"]) == 2
    err = capsys.readouterr().err
    assert "EXPR: col 1: not real-valued" in err and len(err.strip().splitlines()) == 1
    assert main(["verify", "sqrt(-1 - x**2)", "--wrt", "x", "--hand", "-x/sqrt(-1 - x**2)"]) == 2
    err = capsys.readouterr().err
    assert "EXPR: no real derivative" in err and len(err.strip().splitlines()) == 1


def test_every_command_refuses_a_seed_the_same_way(capsys):
    """One check of seeds (workbench.seeds) for verify, check, check-code, momentum, train."""
    message = "--seed: must be an integer from 0 to 4294967295, got 4294967296"
    for argv in (["verify", "x**2", "--wrt", "x", "--hand", "2*x"], ["check"],
                 ["check-code", "nowhere.py:f"]):
        assert main([*argv, "--seed", str(2**32)]) == 2
        assert message in capsys.readouterr().err
