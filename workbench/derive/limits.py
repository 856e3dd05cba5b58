"""Time and size budgets for SymPy work, so that no input can hang the workbench.

``time_limit`` uses SIGALRM when called from the main thread (SymPy is pure Python, so the alarm
interrupts it between bytecodes). Elsewhere only size limits apply.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Iterator

import sympy

from workbench.errors import ResourceLimit

MAX_OPS = 4000


def too_big(expr, limit: int = MAX_OPS) -> bool:
    """True when ``expr`` has more than ``limit`` operations (cheap to ask, bounded walk)."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > limit:
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
        if outer_fires_first and callable(previous_handler):
            previous_handler(signum, frame)
        raise ResourceLimit(f"{what} took longer than {seconds:g} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_remaining > 0:
            left = previous_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
