"""The verdict on the planted corpus (tests/corpus.py): every case gets its true verdict, with
the level that says how: a mismatch is always confirmed, a match proved or sampled, never a
guess either way."""

from __future__ import annotations

import pytest

from corpus import CLASSES, Case
from workbench.expr.declare import declare_variables
from workbench.expr.parser import parse
from workbench.problem import Problem
from workbench.verify.crosscheck import CheckSettings, cross_check

CASES = [(name, case) for name, cases in CLASSES.items() for case in cases]


SCALAR = [(name, case) for name, case in CASES if not case.matrices][::4]
"""A quarter of the scalar cases, for the check without torch (all 235: 0 wrong, 78 s)."""


def verdict_of(case: Case, examples: int = 10, without_torch: bool = False):
    variables = declare_variables([case.function, *case.hand], case.matrices, case.domains)
    problem = Problem.from_text(case.function, variables, case.wrt)
    hand = {w: parse(h, variables) for w, h in zip(problem.wrt, case.hand)}
    return cross_check(problem, hand, CheckSettings(max_examples=examples,
                                                    without_torch=without_torch))


def test_every_class_has_at_least_forty_cases_of_both_kinds():
    for name, cases in CLASSES.items():
        assert len(cases) >= 40, name
        assert {c.truth for c in cases} == {"match", "mismatch"}, name


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}: {c.id}" for n, c in CASES])
def test_planted_case_gets_its_true_verdict(name, case):
    assert_true_verdict(name, case, verdict_of(case))


@pytest.mark.parametrize("name, case", SCALAR, ids=[f"{n}: {c.id}" for n, c in SCALAR])
def test_planted_scalar_case_gets_its_true_verdict_without_torch(name, case):
    assert_true_verdict(name, case, verdict_of(case, without_torch=True))


def assert_true_verdict(name, case, report):
    assert report.verdict == case.truth, f"{name}: {report.verdict_line()}"
    if case.truth == "mismatch":
        assert report.level == "confirmed" and report.counterexample
        assert report.exit_code == 1
    else:
        assert report.level in ("proved", "sampled") and report.exit_code == 0
