"""Code checks in batches (issue 22, speed): points evaluated together under torch.func.vmap may
only accept; planted bugs are still confirmed on that path; code vmap cannot run (numpy inside)
falls back to points one by one with the same verdicts; a forward-mode-only disagreement is not a
confirmation."""

import numpy as np
import pytest
import torch

import workbench
from workbench.code import subject
from workbench.code.confirm import UNWITNESSED


@pytest.fixture
def vmap_calls(monkeypatch):
    calls = {"ran": 0, "failed": 0}
    original = subject.Code.batched_terms

    def spy(self, points):
        calls["ran"] += 1
        try:
            return original(self, points)
        except Exception:
            calls["failed"] += 1
            raise
    monkeypatch.setattr(subject.Code, "batched_terms", spy)
    return calls


X = torch.linspace(-2, 3, 5, dtype=torch.float64)


def torch_sin(x):
    return torch.sin(x).sum()


def numpy_sin(x):       # vmap cannot see through numpy
    return torch.from_numpy(np.sin(x.detach().numpy())).sum()


@pytest.mark.parametrize("fn", [torch_sin, numpy_sin])
def test_right_and_planted_hand_gradients_on_both_paths(fn, vmap_calls):
    right = workbench.check_gradient(fn, (X,), lambda x: (torch.cos(x),), examples=20)
    assert right.verdict == "match" and right.points >= 15
    tiny = workbench.check_gradient(fn, (X,), lambda x: (torch.cos(x) * (1 + 1e-6),), examples=20)
    assert tiny.verdict == "mismatch" and tiny.level == "confirmed"
    assert vmap_calls["ran"] >= 2
    assert vmap_calls["failed"] == (vmap_calls["ran"] if fn is numpy_sin else 0)


def test_a_sign_error_on_part_of_the_domain_is_found_in_batches(vmap_calls):
    def hand(x):
        return (torch.where(x > 50, -1.0, 1.0) * torch.cos(x),)
    r = workbench.check_gradient(torch_sin, (X,), hand, examples=40)
    assert r.verdict == "mismatch" and r.level == "confirmed"
    assert vmap_calls["ran"] >= 1 and vmap_calls["failed"] == 0


class WrongJvp(torch.autograd.Function):
    """A right backward and a jvp twice too large."""

    @staticmethod
    def forward(x):
        return torch.sin(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * torch.cos(x)

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 2 * t * torch.cos(x)


def test_a_wrong_jvp_is_its_own_mismatch_not_the_backwards():
    r = workbench.check_gradient(WrongJvp.apply, (X,), examples=20)
    text = str(r)
    assert r.verdict == "mismatch" and text.startswith(
        "WrongJvp: first order: match; second order: match; jvp: mismatch confirmed\n"
        "  WrongJvp.jvp: mismatch confirmed")
    assert "factor 2" in text and "WrongJvp.backward: match" in text


def test_forward_mode_alone_never_confirms():
    """Forward mode runs torch's own jvp formulas, not independent of its backward formulas:
    where only it disagrees with the code and Richardson, loose there, agrees with both, the
    point is skipped with that reason (pca_lowrank at repeated singular values was called
    confirmed)."""
    from types import SimpleNamespace
    from workbench.code.confirm import Confirmation, Skip
    from workbench.code.directional import FORWARD, RICHARDSON
    from workbench.code.estimate import Estimate

    loose = Estimate(1.5, 0.2, RICHARDSON)
    at = SimpleNamespace(tabled=None, floor=0.0, RICHARDSON=RICHARDSON,
                         refs=SimpleNamespace(has=lambda kind: False),
                         code=lambda v: Estimate(1.0, 1e-15, "code"),
                         richardson=lambda v, floored=False: loose,
                         references=lambda v: [loose, Estimate(2.0, 1e-15, FORWARD)])
    with pytest.raises(Skip) as skip:
        Confirmation().compare(at, {})
    assert skip.value.reason == UNWITNESSED


@pytest.mark.parametrize("held", ["all", "tabled"])
@pytest.mark.parametrize("rows", [3, 8])
def test_ridders_of_a_table_is_ridders_bitwise(rows, held):
    """ridders_rows (numpy over a batch, or the scalar tableau on few rows) gives exactly what
    ridders gives on the same values: smooth, scaled, kinked, stepped, offset and pole-like
    functions with rounding noise of several sizes; from the steps a batch tabulates
    (TABLED_STEPS, a third of them) too, or None where ridders needs more."""
    import math
    from workbench.code.directional import STEPS, TABLED_STEPS
    from workbench.code.estimate import ridders, ridders_rows
    kept = len(STEPS if held == "all" else TABLED_STEPS)
    rng = np.random.default_rng(rows)
    shapes = [lambda t, a: math.sin(a + t), lambda t, a: math.exp(a * t) * 1e8,
              lambda t, a: abs(t - a * 1e-4), lambda t, a: round((a + t) * 1e3) / 1e3,
              lambda t, a: (a + t) ** 3 + 1e12, lambda t, a: 1 / (t - a * 1e-2)]
    covered = 0
    for trial in range(40):
        floor = 10.0 ** rng.integers(-20, -10)
        values, mags, want = [], [], []
        for _ in range(rows):
            a, f = rng.normal() * 10.0 ** rng.integers(-3, 3), shapes[rng.integers(6)]
            noise = 10.0 ** rng.integers(-16, -8)
            v = [f(t, a) * (1 + noise * rng.normal() * (t != 0)) for t in STEPS]
            m = [abs(x) * (1 + rng.random()) for x in v]
            table = dict(zip(STEPS, zip(v, m)))
            values.append(v), mags.append(m)
            want.append(ridders(table.__getitem__, floor=floor))
        for got, ref in zip(ridders_rows(np.array(values)[:, :kept], np.array(mags)[:, :kept],
                                         floor=floor), want):
            if got is not None:
                covered += 1
                assert (got.value, got.bound) == (ref.value, ref.bound)
    assert covered >= (0.9 if held == "all" else 0.7) * 40 * rows


def test_a_call_that_outlives_the_budget_stops_the_search_not_the_caller():
    """A backward whose cost grows with the values (polygamma at -3e8 took 46 s in one call, a
    call into torch cannot be interrupted): once one evaluation has been slow, later ones are
    watched, and the check returns at its budget while the runaway call goes on alone."""
    import threading

    released, state = threading.Event(), {"slow": 0, "ended_after_return": None}
    returned = threading.Event()

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            if float(x.abs().max()) > 10:
                state["slow"] += 1
                if state["slow"] == 1:
                    released.wait(0.1)          # slow once: now the check watches
                else:
                    released.wait(30)           # a runaway, until the test releases it
                    state["ended_after_return"] = returned.is_set()
            return 2 * x * g

    x = torch.linspace(-2, 3, 5, dtype=torch.float64)
    try:
        r = workbench.check_gradient(lambda t: Square.apply(t).sum(), (x,), examples=60,
                                     budget=3.0)
        returned.set()
    finally:
        released.set()
    assert state["slow"] >= 2, "no slow point drawn: the test does not test the watch"
    assert any("still running at the time budget" in n for n in r.notes), r.notes
    assert r.verdict != "mismatch"
    for _ in range(100):
        if state["ended_after_return"] is not None:
            break
        threading.Event().wait(0.05)
    assert state["ended_after_return"] is True


def test_a_points_direction_does_not_depend_on_its_batch_or_the_clock():
    """The tabulated first direction of a point is drawn from the point's own key, as the
    untabulated path draws it: not from its place in a batch sorted by measured run time
    (ormqr sample 0 of op_db confirmed or not depending on the machine's load)."""
    import zlib

    from workbench.code.check import Checker, CodeSettings
    from workbench.code.subject import build
    x = torch.rand(3, 3, dtype=torch.float64) + 0.5
    checker = Checker(build(torch.exp, (x,)), CodeSettings(examples=10))
    checker._prepare()
    rng = np.random.default_rng(3)
    sizes = checker.code.plan.example_sizes()
    batch = [checker.seeded(sizes, rng) for _ in range(6)]
    found = []
    for order in (batch, batch[::-1], batch[2:] + batch[:2]):
        checker.tables.clear()
        checker._ready(order)
        for i, case in enumerate(order):     # scramble the measured times
            point, got, _ = checker.ready[case.key]
            checker.ready[case.key] = (point, got, 1e-6 * (i + 1))
        checker._tabulate(order)
        assert len(checker.tables) == len(batch)
        found.append({k: t[1]["x0"].numpy().copy() for k, t in checker.tables.items()})
    for case in batch:
        at = checker.directional.at(checker.point(case), None)
        own = at.direction(["x0"], np.random.default_rng(zlib.crc32(case.key)))["x0"].numpy()
        for tables in found:
            assert np.array_equal(tables[case.key], own)


def test_a_smooth_function_at_large_inputs_is_not_a_staircase():
    """The staircase test steps by what the slope would make visible; at sin(2296.786) that
    step (1e-18 relative) moved no input (ulps of 4.5e-13), so sin looked flat and a sign error
    there was skipped as 'a staircase'. The step now moves every input by visible ulps."""
    def wrong(x):
        return (-torch.cos(x),)
    x = torch.tensor([2296.786], dtype=torch.float64)
    r = workbench.check_gradient(torch_sin, (x,), wrong, examples=1, vary_sizes=False)
    assert r.verdict == "mismatch" and r.level == "confirmed", r.verdict_line()
    assert not r.skipped, r.skipped


def test_points_near_a_domain_end_are_topped_up_not_undecided():
    """asin at entries up to 0.996: most drawn points leave [-1, 1] (non-finite values); the
    check draws more like the example until ten agree, instead of saying undecided, and a
    sign error there is still confirmed."""
    x = torch.tensor([0.93, -0.97, 0.9, 0.996, -0.91], dtype=torch.float64)
    r = workbench.check_gradient(torch.asin, (x,), examples=20)
    assert r.verdict == "match", r.verdict_line()

    def wrong(x, g):
        return (-g / torch.sqrt(1 - x * x),)
    bad = workbench.check_gradient(torch.asin, (x,), wrong, examples=20)
    assert bad.verdict == "mismatch" and bad.level == "confirmed", bad.verdict_line()


@pytest.mark.parametrize("error", [0.0, 1e-6, -1e-9])
def test_a_batch_settles_at_once_only_the_points_that_agree(error):
    """Tabulated points are accepted together (one product per input against the tabulated
    Richardson estimates) only where the code's <g, v> lies within both bounds of a tight
    estimate; a gradient off by 1e-6 or 1e-9 relative is left to the point-by-point
    comparison (which confirms the first)."""
    from workbench.code.check import Checker, CodeSettings
    from workbench.code.inputs import seeded_points
    from workbench.code.subject import build
    x = torch.linspace(-1, 1, 4, dtype=torch.float64)
    right = lambda x: x.exp() * (1 + x)
    code = build(lambda x: (x.exp() * x).sum(), (x,), lambda x: right(x) * (1 + error), None)
    checker = Checker(code, CodeSettings(examples=10))
    checker._prepare()
    batch = seeded_points(code.plan, code.plan.example_sizes(), checker.shapes_at,
                          np.random.default_rng(0), 9, near=(0.5, 1.0))
    checker._ready(batch)
    checker._tabulate(batch)
    assert len(checker.tables) >= 8
    checker._settle(batch)
    settled = sum(c.key in checker.seen for c in batch)
    if error == 0.0:
        assert settled >= 8 and checker.samples.points == settled
    else:
        assert settled == 0 and checker.samples.points == 0
    if error == 1e-6:
        with pytest.raises(Exception, match="gradient mismatch"):
            checker.examine(batch[0])


def test_the_example_is_examined_from_the_table_made_with_the_reference_trials(monkeypatch):
    """The example's first direction is tabulated in the batched call that chooses the
    references at the example: examining the example then calls the code no more (without
    the table: its scale, and the complex step)."""
    import zlib

    from workbench.code.check import Checker, CodeSettings
    from workbench.code.subject import build
    x = torch.rand(3, 3, dtype=torch.float64) + 0.5
    calls = []
    original = subject.Code.call
    monkeypatch.setattr(subject.Code, "call",
                        lambda self, point, native=False: calls.append(1) or
                        original(self, point, native))
    counts = []
    for tabled in (True, False):
        checker = Checker(build(torch.exp, (x,)), CodeSettings(examples=10))
        checker._prepare()
        example = checker.example()
        assert (example.key in checker.tables) is True
        point, v, table, estimate = checker.tables[example.key]
        own = checker.directional.at(point, None).direction(
            ["x0"], np.random.default_rng(zlib.crc32(example.key)))["x0"]
        assert torch.equal(v["x0"], own) and estimate is not None and estimate.usable
        if not tabled:
            checker.tables.clear()
        calls.clear()
        checker.examine(example)
        assert checker.samples.points == 1
        counts.append(len(calls))
    assert counts[0] == 0 < counts[1], counts


def _hypothesis_cases(monkeypatch):
    """Count the Hypothesis cases a check runs (each calls examine_batch once)."""
    from workbench.code.check import Checker
    calls = []
    original = Checker.examine_batch
    monkeypatch.setattr(Checker, "examine_batch",
                        lambda self, batch: calls.append(len(batch)) or original(self, batch))
    return calls


def test_the_default_check_is_one_hypothesis_case_of_two_groups_of_sizes(monkeypatch):
    """At the default twenty points a right gradient costs one Hypothesis case (its first,
    where every choice is the smallest and every size 1): the screen's second group still
    reaches other sizes, and moves with the seed."""
    calls = _hypothesis_cases(monkeypatch)
    x = torch.rand(3, 4, dtype=torch.float64) + 0.5
    seen = []
    for seed in (None, 1, 2):
        calls.clear()
        r = workbench.check_gradient(torch.exp, (x,), examples=20, seed=seed)
        assert r.verdict == "match" and r.points >= 15
        assert calls == [20]
        assert any(set(s.values()) != {1} for s in r.sizes), r.sizes
        seen.append(sorted(map(repr, r.sizes)))
    assert len({repr(s) for s in seen}) > 1
    calls.clear()
    r = workbench.check_gradient(torch.exp, (x,), examples=60)
    assert r.verdict == "match" and calls[0] == 20 and len(calls) >= 4


def test_a_bug_the_screen_finds_is_shrunk_by_the_search(monkeypatch):
    """A backward wrong only when a matrix is not 1x1 (the transpose of the right gradient)
    passes the screen's first group (sizes 1), fails in its second; the search then runs,
    and the counterexample it reports is one Hypothesis shrank."""
    calls = _hypothesis_cases(monkeypatch)

    class Transposed(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a @ b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g @ b.T, (a.T @ g).T.reshape(b.shape) if b.shape[0] == b.shape[1] \
                else a.T @ g * 2

    a = torch.rand(3, 3, dtype=torch.float64)
    b = torch.rand(3, 3, dtype=torch.float64)
    r = workbench.check_gradient(Transposed.apply, (a, b), examples=20)
    assert r.verdict == "mismatch" and r.level == "confirmed"
    assert calls[0] == 20 and len(calls) > 2        # the screen, then the search shrinking
    assert r.counterexample is not None


def test_the_largest_intermediate_skips_entries_that_are_not_finite():
    """The rounding floor's measure (the largest finite magnitude any torch function returns
    on the way): a NaN or an infinite entry of an intermediate does not hide its finite
    ones, nor make the floor infinite."""
    from workbench.code.directional import _Intermediates
    x = torch.tensor([1.0, -300.0, float("inf"), float("nan"), 2.0], dtype=torch.float64)
    for values, want in ((x, 300.0 * 7), (x[:2], 300.0 * 7), (x[2:4], 0.0)):
        scale = _Intermediates()
        with scale:
            torch.nansum(values * 7.0)
        assert scale.biggest == want, (values, scale.biggest)


def test_forward_mode_and_complex_step_are_tried_only_when_a_point_asks(monkeypatch):
    """Their trials at the example cost an evaluation each per input: a check of plain torch
    code whose points all settle by the batched differences never runs them (nor the measure
    of its intermediates that their trials' Richardson needs), and does not list them among
    its references; a wrong gradient, which no batched difference settles, asks for them and
    names the one that confirmed."""
    from workbench.code import directional
    calls = []

    class Counted(directional._Intermediates):
        def __init__(self):
            calls.append("floor")
            super().__init__()
    monkeypatch.setattr(directional, "_Intermediates", Counted)
    for name in ("_forward", "_complex"):
        real = getattr(directional.At, name)
        monkeypatch.setattr(directional.At, name,
                            lambda self, v, real=real, name=name: calls.append(name) or
                            real(self, v))
    torch.manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64)
    for fn in (lambda t: (t * t).sum(-1), torch.nn.Linear(3, 2).double()):
        for seed in range(3):
            r = workbench.check_gradient(fn, (x,), examples=20, seed=seed)
            assert r.verdict == "match", str(r)
            assert calls == [] and r.references == ["Richardson"], (calls, r.references)

    class Off(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return torch.exp(t)

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * torch.exp(t) * (1 + 1e-6)

    wrong = workbench.check_gradient(lambda t: Off.apply(t).sum(-1), (x,), examples=20)
    assert wrong.verdict == "mismatch" and wrong.level == "confirmed", str(wrong)
    assert calls and set(wrong.references) - {"Richardson"}, (calls, wrong.references)
