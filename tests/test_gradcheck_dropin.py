"""``workbench.gradcheck``, the drop-in for ``torch.autograd.gradcheck`` (issue 22): torch's
arguments, True or torch's ``GradcheckError`` whose first line is the diagnosis, and each
promise of a backward's contract a named failure. Every planted bug here must fail it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch.autograd.gradcheck import GradcheckError

import workbench
from code_corpus import ClippedWrongAbove5, Cube, CubeOff, LinearFn, SinWrongSign

F64 = torch.float64


def _x(*shape, seed=0, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, dtype=F64, generator=g) + shift).requires_grad_(True)


def _first_line(fn, inputs, **kw) -> str:
    with pytest.raises(GradcheckError) as info:
        workbench.gradcheck(fn, inputs, **kw)
    return str(info.value).splitlines()[0]


def test_right_backward_passes_with_torch_arguments():
    x, w, b = _x(4, 3), _x(2, 3, seed=1), _x(2, seed=2)
    assert workbench.gradcheck(LinearFn.apply, (x, w, b), eps=1e-6, atol=1e-5, rtol=1e-3,
                               fast_mode=True, check_grad_dtypes=True, nondet_tol=0.0)
    assert workbench.gradcheck(Cube.apply, _x(5))      # one tensor, not a tuple


def test_mistakes_fail_with_the_diagnosis_first():
    assert "sign error" in _first_line(SinWrongSign.apply, (_x(4),))
    assert "1.0000001" in _first_line(CubeOff.apply, (_x(4, shift=2.0),))
    assert workbench.gradcheck(SinWrongSign.apply, (_x(4),), raise_exception=False) is False


def test_held_inputs_stay_fixed_and_only_requires_grad_is_checked():
    x, w = _x(3, 2), torch.randn(2, 2, dtype=F64)          # w: no requires_grad

    def fn(x, w, scale):
        return scale * (x @ w)
    assert workbench.gradcheck(fn, (x, w, 3.0))


def test_a_bug_away_from_the_given_point_needs_examples():
    x = _x(4) * 0.5                                        # |x| < 5: the backward is right here
    x = x.detach().requires_grad_(True)
    assert torch.autograd.gradcheck(ClippedWrongAbove5.apply, (x,))
    assert workbench.gradcheck(ClippedWrongAbove5.apply, (x,))
    assert not workbench.gradcheck(ClippedWrongAbove5.apply, (x,), examples=40,
                                   raise_exception=False)


class _IgnoresGradOutput(torch.autograd.Function):
    """A loss whose backward returns d loss / dx for grad_output = 1 only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x ** 2).sum()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x


class _ReadsRawMemory(torch.autograd.Function):
    """y = 3 x, whose backward reads grad_output's memory as if it were contiguous."""

    @staticmethod
    def forward(ctx, x):
        return 3 * x

    @staticmethod
    def backward(ctx, g):
        raw = torch.as_strided(g, g.shape, torch.empty(g.shape).stride())
        return 3 * raw


class _ReadsInputMemory(torch.autograd.Function):
    """y = x^2, whose backward reads its saved input's memory as if it were contiguous."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        raw = torch.as_strided(x, x.shape, torch.empty(x.shape).stride())
        return 2 * raw * g


class _Noisy(torch.autograd.Function):
    """sin, whose backward adds noise of 1e-9 (an atomic reduction gone wrong)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * torch.cos(x) + 1e-9 * torch.randn_like(x)


class _KeepsState(torch.autograd.Function):
    """sin, whose backward reuses a buffer kept on ctx: right once, and a second backward
    through the same graph (``retain_graph=True``) returns the sum of both calls."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.buffer = torch.zeros_like(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        ctx.buffer += g * torch.cos(x)
        return ctx.buffer.clone()


@pytest.mark.parametrize("cls, words", [
    (_IgnoresGradOutput, "ignores grad_output"),
    (_KeepsState, "two backward calls do not leave twice the gradient"),
    (_ReadsRawMemory, "non-contiguous"),
    (_ReadsInputMemory, "non-contiguous"),
    (_Noisy, "not deterministic"),
])
def test_each_broken_promise_is_named(cls, words):
    assert words in _first_line(cls.apply, (_x(3, 4),))


@pytest.mark.parametrize("fn", [lambda x: x.reshape(-1), torch.ravel,
                                lambda x: torch.complex(x, 2 * x)])
def test_a_gradient_that_aliases_its_cotangent_keeps_its_promises(fn):
    """A view's gradient is a view of its cotangent, and a second backward adds into the
    first's .grad in place: the contract's runs must not write into the cotangents they are
    given (the example's own, shared with every later run)."""
    r = workbench.check_gradient(fn, (_x(3, 4).detach(),), examples=10)
    assert r.verdict == "match" and not r.diagnosis, str(r)


def test_a_forward_that_reads_memory_by_its_own_strides_is_not_a_broken_promise():
    """as_strided reads its input's storage by strides of its own: on a non-contiguous copy of
    the input it is another function, so its gradient there differs legitimately (op_db's
    as_strided samples). The contract notes it instead of confirming a mismatch."""
    fn = lambda x: torch.as_strided(x, (2, 2), (1, 2)) * 3
    r = workbench.check_gradient(fn, (_x(3, 4).detach(),), examples=10, vary_sizes=False)
    assert r.verdict == "match", str(r)
    assert any("the forward itself changes when the inputs are non-contiguous" in n
               for n in r.notes), r.notes


def test_check_gradient_names_the_broken_promise_too():
    r = workbench.check_gradient(_IgnoresGradOutput.apply, (_x(5).detach(),), examples=10)
    assert r.verdict == "mismatch" and "ignores grad_output" in r.summary()
    # a non-contiguous input reaches the code as it is (a clone of it would be contiguous)
    r = workbench.check_gradient(_ReadsInputMemory.apply, (_x(3, 4).detach(),), examples=10)
    assert r.verdict == "mismatch" and "non-contiguous inputs" in r.summary()


@pytest.mark.slow
def test_a_suite_of_ops_under_xdist_gives_the_same_verdicts(tmp_path):
    """Many checks in parallel (pytest-xdist, two workers): the verdicts do not depend on the
    process (derandomized search, seeds from the case)."""
    suite = tmp_path / "test_ops_suite.py"
    suite.write_text(textwrap.dedent("""
        import pytest, torch
        from torch.autograd.gradcheck import GradcheckError
        from workbench import gradcheck
        OPS = {"sin": torch.sin, "exp": torch.exp, "tanh": torch.tanh,
               "softmax": lambda x: torch.softmax(x, -1), "logsumexp":
               lambda x: torch.logsumexp(x, -1), "cumsum": lambda x: x.cumsum(0)}

        @pytest.mark.parametrize("name", sorted(OPS))
        def test_op(name):
            x = torch.randn(3, 4, dtype=torch.float64,
                            generator=torch.Generator().manual_seed(0)).requires_grad_()
            assert gradcheck(OPS[name], (x,), examples=5)

        def test_planted():
            class Wrong(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    return 2 * x
                @staticmethod
                def backward(ctx, g):
                    return g
            with pytest.raises(GradcheckError):
                gradcheck(Wrong.apply, (torch.ones(3, dtype=torch.float64,
                                                   requires_grad=True),))
    """))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p",
                          "no:cacheprovider", "-W", "ignore::DeprecationWarning", str(suite)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert "7 passed" in run.stdout, run.stdout + run.stderr
