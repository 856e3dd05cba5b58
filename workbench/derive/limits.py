"""Time and size budgets for SymPy work, so that no input can hang the workbench.

``time_limit`` uses SIGALRM when called from the main thread (SymPy is pure Python, so the alarm
interrupts it between bytecodes). Elsewhere only size limits apply.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from typing import Iterator

import sympy

from workbench.errors import ResourceLimit

MAX_OPS = 4000
RETRY_SECONDS = 0.05


def too_big(expr, limit: int = MAX_OPS) -> bool:
    """True when ``expr`` has more than ``limit`` operations (cheap to ask, bounded walk)."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > limit:
            return True
    return False


HUGE_COEFFICIENT = 10**6
_PERIODIC = (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)


def hard_to_simplify(expr) -> bool:
    """True when ``sympy.simplify`` is known to grind on ``expr`` for minutes: a trigonometric
    function of a huge multiple (``sin(10**18*x)``, whose multiple-angle rewrites never end).
    Callers then use cheaper steps (expand, cancel) and identity tests instead."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _PERIODIC):
            for c in node.args[0].atoms(sympy.Number):
                if abs(c) > HUGE_COEFFICIENT:
                    return True
    return False


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "symbolic work") -> Iterator[None]:
    """Raise :class:`ResourceLimit` if the block runs longer than ``seconds`` (nests)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return
    start = time.monotonic()
    previous_handler = signal.getsignal(signal.SIGALRM)
    previous_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    budget = seconds if previous_remaining <= 0 else min(seconds, previous_remaining)
    outer_fires_first = 0 < previous_remaining <= seconds

    def on_alarm(signum, frame):
        # Fire again shortly: an exception raised while a gc or weakref callback runs is
        # swallowed by the interpreter ("Exception ignored in ..."), and the work would go
        # on past its budget. The ``finally`` below disarms the timer once the raise lands.
        signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
        if outer_fires_first and callable(previous_handler):
            previous_handler(signum, frame)
        raise ResourceLimit(f"{what} took longer than {seconds:g} s")

    previous_hook = sys.unraisablehook

    def quiet_hook(unraisable):
        if not isinstance(unraisable.exc_value, ResourceLimit):   # ours: retried, not noise
            previous_hook(unraisable)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    sys.unraisablehook = quiet_hook
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        sys.unraisablehook = previous_hook
        if previous_remaining > 0:
            left = previous_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
