"""The command line: exit codes (0 agree, 1 mismatch, 2 bad input), JSON, one-line errors."""

import json

import pytest

from workbench.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_power_rule_mistake_exits_1_with_counterexample_near_0(capsys):
    code, out, _ = run(capsys, "verify", "2**x", "--wrt", "x", "--hand", "x*2**(x-1)",
                       "--json", "--examples", "50")
    report = json.loads(out)
    assert code == 1 and report["verdict"] == "mismatch"
    assert abs(report["counterexample"]["point"]["x"]) <= 1
    assert report["gradient"]["x"] == "2**x*log(2)"
    assert report["diagnosis"]


def test_verify_right_answer_exits_0(capsys):
    code, out, _ = run(capsys, "verify", "2**x", "--wrt", "x", "--hand", "2**x*log(2)",
                       "--examples", "30")
    assert code == 0 and "verdict: match" in out


def test_expression_may_start_with_minus(capsys):
    code, out, _ = run(capsys, "derive", "-log(1/(1 + exp(-a*x)))", "--wrt", "x",
                       "--at", "x=0", "--at", "a=3", "--json")
    data = json.loads(out)
    assert code == 0 and data["at"]["x"]["exact"] == "-3/2"
    code, out, _ = run(capsys, "verify", "-x**2", "--wrt", "x", "--hand", "-2*x",
                       "--examples", "20")
    assert code == 0


def test_derive_matrix_least_squares(capsys):
    code, out, _ = run(capsys, "derive", "(X@beta - y).T@(X@beta - y)", "--wrt", "beta",
                       "--matrix", "X=n,p", "--matrix", "y=n,1", "--matrix", "beta=p,1",
                       "--latex")
    assert code == 0 and "X.T" in out and "LaTeX" in out


@pytest.mark.parametrize("argv, words", [
    (["derive", "x +", "--wrt", "x"], "EXPR: col"),
    (["derive", "x", "--wrt", "y"], "--wrt"),
    (["derive", "open('f')", "--wrt", "x"], "unknown function"),
    (["derive", "x", "--wrt", "x", "--domain", "x=weird"], "unknown domain"),
    (["derive", "x", "--wrt", "x", "--matrix", "X"], "--matrix"),
    (["verify", "x**2", "--wrt", "x", "--hand", "2*x", "--hand", "1"], "--hand"),
    (["verify", "x**2", "--wrt", "x", "--hand", "2*x", "--examples", "0"], "--examples"),
    (["check", "no/such/path"], "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err


def test_check_json_and_table(capsys, tmp_path):
    src = "derivations/course_01_affine.toml"
    code, out, _ = run(capsys, "check", src, "--json", "--examples", "10")
    data = json.loads(out)
    assert code == 0 and data["passed"] == 1 and data["results"][0]["at"][0]["ok"]
    code, out, _ = run(capsys, "check", src, "--examples", "10")
    assert "1 passed, 0 failed" in out


def test_help_for_every_command(capsys):
    from workbench.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
    capsys.readouterr()


@pytest.mark.slow
def test_ctrl_c_during_a_parallel_check_is_one_line_and_exit_130():
    import os
    import signal
    import subprocess
    import sys
    # a test run started in the background (`pytest ... &`) ignores SIGINT, and a child
    # inherits that: give the command the terminal's default, as a user's shell would
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "check", "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.stdout.readline()                        # the header
    proc.stdout.readline()                        # a first file done: the workers are busy
    os.killpg(proc.pid, signal.SIGINT)            # what the terminal sends on Ctrl-C
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["workbench: interrupted"]


def test_check_prints_each_row_as_its_file_is_done(capsys, tmp_path):
    from workbench.verify import command
    rows = []
    files = ["derivations/course_01_affine.toml", "derivations/calc_cosh.toml"]
    with_settings = command._settings(command.argparse.Namespace(
        examples=5, device="cpu", dtype="float64", seed=None, require=None))

    class Bar:
        def update(self, n):
            rows.append("bar")

    out = command._check_all(files, with_settings, 1, Bar(), lambda r: rows.append(r.name))
    assert [r.name for r in out] == ["course_01_affine", "calc_cosh"]
    assert rows == ["bar", "course_01_affine", "bar", "calc_cosh"]
