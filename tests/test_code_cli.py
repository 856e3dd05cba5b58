"""``workbench check-code FILE.py:NAME``: exit codes 0/1/2 like verify, JSON, one-line errors;
the user's file is imported only when named."""

from __future__ import annotations

import json
import textwrap

import pytest

from workbench.cli import main

USER_FILE = textwrap.dedent("""
    import numpy as np
    import torch

    class LeastSquare:
        def __init__(self, X, y):
            self.X, self.y = X, y

        def forward(self, beta):
            r = self.y - self.X @ beta
            return r.T @ r

        def gradient(self, beta):
            return -2 * self.X.T @ (self.y - self.X @ beta)

        def wrong(self, beta):
            return 2 * self.X.T @ (self.y - self.X @ beta)

    rng = np.random.default_rng(0)
    ls = LeastSquare(rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))

    def inputs():
        return (rng.normal(size=(3, 1)),)

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return x * g                     # the 2 forgotten

    square_inputs = (torch.tensor([1.0, 2.0, 3.0]),)
""")


@pytest.fixture()
def user_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(USER_FILE)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_right_gradient_exits_0(capsys, user_file):
    code, out, _ = run(capsys, "check-code", f"{user_file}:ls.forward", "--grad", "ls.gradient",
                       "--examples", "15")
    assert code == 0 and out.startswith("LeastSquare.gradient: match (agrees on"), out


def test_wrong_gradient_exits_1_with_json(capsys, user_file):
    code, out, _ = run(capsys, "check-code", f"{user_file}:ls.forward", "--grad", "ls.wrong",
                       "--examples", "15", "--json")
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "mismatch" and data["exit_code"] == 1
    assert any("sign error" in d for d in data["diagnosis"]), data["diagnosis"]


def test_function_class_backward_is_checked(capsys, user_file):
    code, out, _ = run(capsys, "check-code", f"{user_file}:Square", "--inputs", "square_inputs",
                       "--examples", "15", "--seed", "3")
    assert code == 1 and out.startswith("Square: first order: mismatch confirmed")
    assert "constant factor: hand = 1/2" in out


@pytest.mark.parametrize("argv, words", [
    (["check-code", "model.py"], "expected FILE.py:NAME"),
    (["check-code", "missing.py:f"], "no such file"),
    (["check-code", "{file}:nothing"], "has no nothing"),
    (["check-code", "{file}:ls.forward", "--grad", "__import__('os')"], "expected a Python name"),
    (["check-code", "{file}:ls.forward", "--device", "tpu"], "unknown device"),
    (["check-code", "{file}:ls.forward", "--examples", "0"], "--examples"),
    (["check-code", "{file}:ls.forward", "--domain", "beta"], "NAME=DOMAIN"),
])
def test_bad_input_exits_2_with_one_line(capsys, user_file, argv, words):
    code, out, err = run(capsys, *[a.format(file=user_file) for a in argv])
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_a_file_that_raises_on_import_is_bad_input(capsys, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("raise ValueError('boom')\n")
    code, _, err = run(capsys, "check-code", f"{path}:f")
    assert code == 2 and "importing it raised ValueError: boom" in err


def test_judge_autograd_confirms_an_unstable_plain_torch_forward(capsys, tmp_path):
    """``--judge-autograd``: autograd's own bfloat16 backward of a variance written as
    E[x^2] - E[x]^2 is judged, not measured as its own reference (exit 1, not 0)."""
    path = tmp_path / "norm.py"
    path.write_text(textwrap.dedent("""
        import torch

        def naive(x):
            m = x.mean(-1, keepdim=True)
            return (x - m) / torch.sqrt((x * x).mean(-1, keepdim=True) - m * m + 1e-5)

        torch.manual_seed(0)
        inputs = (torch.randn(4, 8),)
    """))
    target = f"{path}:naive"
    code, out, _ = run(capsys, "check-code", target, "--inputs", "inputs", "--dtype", "bfloat16",
                       "--examples", "20")
    assert code == 0, out
    code, out, _ = run(capsys, "check-code", target, "--inputs", "inputs", "--dtype", "bfloat16",
                       "--examples", "20", "--judge-autograd", "--json")
    assert code == 1, out
    assert json.loads(out)["verdict"] == "mismatch"
