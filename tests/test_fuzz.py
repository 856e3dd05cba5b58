"""Fuzzing the contract: whatever the expression, derivation file or command line, the
workbench answers with exit 0, 1, 2 or 4 (never 3, a bug of ours), bad input as one line on
stderr with no traceback, and leaves no half-written output behind. Time per case is measured
by benchmarks/bench_fuzz.py, not asserted here."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz import command_lines, derivation_files, texts, toml_text
from workbench.cli import main

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.nested_given,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])


def run(capsys, argv) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:                     # argparse: --help, usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def contract(code: int, err: str) -> None:
    assert code in (0, 1, 2, 4), f"exit {code}: {err}"
    assert "Traceback" not in err, err
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err


@FUZZ
@given(texts)
def test_any_expression_text_gets_an_answer_or_one_line(capsys, text):
    code, _, err = run(capsys, ["derive", text, "--wrt", "x"])
    contract(code, err)


@FUZZ
@given(texts, st.sampled_from(["0", "1", "x", "2*x", "exp(x)"]))
def test_any_verify_gets_a_verdict_or_one_line(capsys, text, hand):
    code, out, err = run(capsys, ["verify", text, "--wrt", "x", "--hand", hand,
                                  "--examples", "3"])
    contract(code, err)
    if code in (0, 1, 4) and out:
        assert "verdict:" in out


@FUZZ
@given(derivation_files)
def test_any_derivation_file_gets_a_status_or_one_line(capsys, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "fuzzed.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    code, out, err = run(capsys, ["check", str(path), "--examples", "3", "--jobs", "1"])
    assert code in (0, 1, 2, 4), f"exit {code}: {out}\n{err}"
    assert "Traceback" not in out + err
    assert "internal error" not in out, out


@FUZZ
@given(command_lines())
def test_any_command_line_gets_an_answer_or_one_line(capsys, argv):
    code, _, err = run(capsys, argv)
    contract(code, err)


@pytest.mark.parametrize("argv", [
    ["trace", "x**2", "--at", "x=1", "-o"],
    ["derive", "x", "--wrt", "x", "--at", "x=1e999"],
    ["verify", "x", "--wrt", "x", "--hand", "1", "--seed", str(2**70)],
    ["verify", "x", "--wrt", "x", "--hand", "1", "--examples", "1000000000"],
    ["check", "--jobs", "999999999999"],
    ["derive", "x", "--wrt", "x", "--matrix", "X=2,2", "--matrix", "X=3,3"],
])
def test_listed_bad_arguments_are_one_line_exit_2(capsys, argv):
    code, _, err = run(capsys, argv)
    assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_no_half_written_output_is_left_behind(capsys, tmp_path):
    out = tmp_path / "out"
    code, _, err = run(capsys, ["trace", "x**2", "--at", "x=1", "-o", str(out)])
    assert code == 0, err
    assert not list(out.glob(".*.tmp")), "temporary files left"
