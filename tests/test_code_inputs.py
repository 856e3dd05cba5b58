"""What check_gradient samples: shapes grouped by size, domains kept, magnitudes spread, and
failures shrunk to the smallest inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import find, given, settings

from workbench.code import check_gradient
from workbench.code.inputs import (BATCH, MAX_SIZE, batches, cases, screen, seeded_point,
                                   seeded_points)
from workbench.code.subject import build
from workbench.errors import DomainError
from workbench.verify.strategies import SEARCH_PHASES, first_failure


def _plan(fn, inputs, domain=None, grad=None):
    return build(fn, inputs, grad or (lambda *a: a), domain).plan


PLAN = _plan(lambda S, p, y, w: 0, (np.eye(3), np.full(4, 0.25), np.array([0, 2, 1]),
                                    np.ones((3, 1))),
             {"S": "spd", "p": "simplex", "w": "positive"})


def _no_directions(sizes, values):
    return {}


@settings(max_examples=30, deadline=None)
@given(cases(PLAN, _no_directions))
def test_drawn_values_keep_their_domains_and_shared_sizes(case):
    S, p, y, w = (case.values[k] for k in "Spyw")
    assert S.shape[0] == S.shape[1] == w.shape[0]            # one group: S.shape[0]
    assert 1 <= S.shape[0] <= MAX_SIZE and w.shape[1] == 1
    assert np.allclose(S, S.T) and np.linalg.eigvalsh(S).min() > 0
    assert (p > 0).all() and abs(p.sum() - 1) < 1e-12
    assert y.dtype == np.int64 and ((0 <= y) & (y < 3)).all()
    assert (w > 0).all()


def test_seeded_points_are_drawn_together_but_decided_point_by_point():
    """A batch's seeded points come from one numpy call per input, yet each point keeps its
    domain (an spd matrix, a simplex row, labels) and has its own kind (like the example, or
    across magnitudes), its own scale and its own first direction of projection."""
    rng = np.random.default_rng(5)
    sizes = {g: 3 for g in PLAN.varying}
    pts = seeded_points(PLAN, sizes, lambda s, v: {"c": (2,)}, rng, 400)
    for c in pts:
        S, p, y, w = (c.values[k] for k in "Spyw")
        assert np.allclose(S, S.T) and np.linalg.eigvalsh(S).min() > 0
        assert np.abs(S).max() == 1.0                       # normalised point by point
        assert (p > 0).all() and abs(p.sum() - 1) < 1e-12
        assert y.dtype == np.int64 and ((0 <= y) & (y < 3)).all()
        assert (w > 0).all() and c.directions["c"].shape == (2,)
        t = c.tangent["w"]                                   # +-U(0.5, 1) |w_j|
        assert ((0.5 * w <= np.abs(t)) & (np.abs(t) <= w)).all()
        assert "y" not in c.tangent
    w = np.array([c.values["w"] for c in pts])
    like = np.isclose(w, 1.0, rtol=0.5).all(axis=(1, 2))     # the example's ones, spread 0.5
    assert 0.15 < like.mean() < 0.3     # NEAR_SHARE of them, a third at scale 1: 2/9, not 0 or 1
    scales = {round(float(np.log10(np.abs(x).max()))) for x in w[~like]}
    assert len(scales) > 5                                   # each point its own magnitude
    one = seeded_point(PLAN, sizes, lambda s, v: None, np.random.default_rng(5))
    assert one.directions is None          # the code cannot run there: no cotangents


@pytest.mark.parametrize("mix", [0, 1, 2 ** 31 + 7])
@pytest.mark.parametrize("seed", [None, 0, 3])
def test_the_screen_is_hypothesis_first_case_made_directly(seed, mix):
    """The screen's points (made without running Hypothesis) are the points Hypothesis draws
    from :func:`batches` in its first case, whatever the seed; ``mix`` varies the second
    group, and the first group's sizes are all 1, the second's drawn."""
    directions = lambda sizes, values: {"c": (sizes[next(iter(PLAN.varying))],)}   # noqa: E731
    drawn = []

    def record(batch):
        drawn.append(batch)
    first_failure(batches(PLAN, directions, second=BATCH, mix=mix), record, AssertionError,
                  examples=1, seed=seed, phases=SEARCH_PHASES)
    made = screen(PLAN, directions, second=BATCH, mix=mix)
    assert [c.key for c in drawn[0]] == [c.key for c in made] and len(made) == 2 * BATCH
    assert PLAN.varying and all(c.sizes[g] == 1 for g in PLAN.varying for c in made[:BATCH])
    assert [c.key for c in screen(PLAN, directions, second=BATCH, mix=mix + 1)][BATCH:] != \
        [c.key for c in made][BATCH:]


def test_integer_inputs_default_to_labels_and_are_not_differentiated():
    plan = _plan(lambda z, y: 0, (torch.zeros(2, 3), torch.tensor([0, 2])))
    slots = plan.by_name()
    assert str(slots["y"].domain) == "labels in [0, 3)" and not slots["y"].differentiated
    assert slots["z"].differentiated


def test_magnitudes_are_spread():
    plan = _plan(lambda x: 0, (np.ones(2),))
    big = find(cases(plan, _no_directions), lambda c: np.abs(c.values["x"]).max() > 1e4,
               settings=settings(max_examples=300, database=None))
    assert np.abs(big.values["x"]).max() > 1e4


def test_batch_sizes_one_and_more_are_drawn_and_failures_shrink_to_the_smallest():
    def grad(x):                   # right for a batch of one, wrong for more
        return 2 * x.mean(0, keepdim=True).expand_as(x)
    r = check_gradient(lambda x: (x ** 2).sum(), (torch.ones(3, 2, dtype=torch.float64),),
                       grad=grad, examples=30)
    assert not r and r.counterexample["drawn_by_hypothesis"]
    assert r.counterexample["sizes"] == {"x.shape[0]": 2, "x.shape[1]": 1}
    assert any("right when x.shape[0] = 1" in d for d in r.diagnosis), r.diagnosis


def test_sizes_that_the_code_cannot_take_stay_fixed():
    W = np.ones((3, 3))

    def f(x):                      # needs exactly 3 columns
        return np.sum((x @ W) ** 2)
    r = check_gradient(f, (np.ones((2, 3)),), grad=lambda x: 2 * (x @ W) @ W.T, examples=15)
    assert r and all(s["x.shape[0]"] in range(1, MAX_SIZE + 1) for s in r.sizes)


@pytest.mark.parametrize("domain", ["sometimes", "labels:0", "[2,1]"])
def test_bad_domains_are_refused(domain):
    with pytest.raises(DomainError):
        _plan(lambda x: 0, (np.ones(2),), domain)
