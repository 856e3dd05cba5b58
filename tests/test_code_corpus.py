"""The planted-bug corpus (tests/code_corpus.py) decided right: every planted bug is a
confirmed mismatch whose result names it, every right backward matches.

Each test fails if the checker were wrong: a checker that always said "match" fails the
planted cases (and the strict xfail of any known false alarm), one that always said "mismatch"
fails the right ones. Classes not diagnosed in words (a missing chain-rule factor that is not
a constant; a part of the domain that the diagnosis cannot split on one coordinate) assert the
verdict only: their Case has empty ``diagnosis_words`` and a ``note`` saying why.

The words are searched in the result's subject line (which names the part that failed: first
order, "second order (backward of backward)", "jvp") and its diagnosis sentences.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from code_corpus import (BY_NAME, CASES, KNOWN_FALSE_ALARMS, KNOWN_MISSES,
                         assert_decided_right)
from workbench.code import check_gradient

EXAMPLES = 30
BUG_CLASSES = {"wrong reduction", "gradient depends on the batch", "forgotten bias", "transpose",
               "sign", "missing chain-rule factor", "constant factor 2",
               "wrong entry/component", "part of the domain", "1e-7 relative error",
               "wrong second order", "wrong jvp"}


def test_corpus_covers_every_bug_class_and_right_code():
    assert len(CASES) >= 24
    assert sum(c.expect == "match" for c in CASES) >= 6
    assert {c.bug for c in CASES if c.expect == "mismatch"} == BUG_CLASSES
    assert {c.kind for c in CASES} == {"function", "module", "torch-hand", "numpy"}
    assert all(c.expect in ("match", "mismatch") for c in CASES)
    assert set(KNOWN_MISSES) | set(KNOWN_FALSE_ALARMS) <= set(BY_NAME)
    assert all(BY_NAME[n].expect == "mismatch" for n in KNOWN_MISSES)
    assert all(BY_NAME[n].expect == "match" for n in KNOWN_FALSE_ALARMS)


def _param(case):
    known = KNOWN_MISSES.get(case.name) or KNOWN_FALSE_ALARMS.get(case.name)
    marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case_is_decided_right_with_its_diagnosis(case):
    m = case.make()
    r = check_gradient(m.fn, m.inputs, m.grad, m.domain, wrt=m.wrt, examples=EXAMPLES)
    assert_decided_right(case, r)


def test_gradcheck_harness_checks_the_same_hand_gradient():
    """The benchmark's gradcheck side is sound: it passes every right case and fails planted
    bugs visible at the example point (so a 'missed' in its column is gradcheck's, not the
    harness's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for c in CASES:
            if c.expect == "match" or c.name in ("sign_function", "factor_2_numpy",
                                                 "forgotten_bias_module", "mse_summed_numpy"):
                m = c.make()
                passed = torch.autograd.gradcheck(m.gc_fn, m.gc_inputs, raise_exception=False)
                assert passed == (c.expect == "match"), c.name


def test_a_kink_skips_only_a_subgradient():
    """At |x|'s kink (Richardson the only reference: numpy's abs of a complex number is not
    the complex step's) sign(x) is a subgradient and passes; twice it is still wrong away from
    the kink, and a planted error at the kink's side is not excused."""
    import numpy as np
    x = np.array([0.5, -1.0, 2.0])
    f = lambda x: np.sum(np.abs(x))
    assert check_gradient(f, (x,), grad=np.sign, examples=EXAMPLES)
    assert not check_gradient(f, (x,), grad=lambda x: 2 * np.sign(x), examples=EXAMPLES)
    r = check_gradient(f, (x,), grad=lambda x: np.where(x >= 0, 1.0, 0.0), examples=EXAMPLES)
    assert not r and r.level == "confirmed"
