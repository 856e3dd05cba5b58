"""Seeds, validated the same way by every command and library entry before any work starts:
integers from 0 to 2**32 - 1 (what numpy's and torch's generators take)."""

from __future__ import annotations

from numbers import Integral

from workbench.errors import UserError

SEED_MAX = 2**32 - 1


def check_seed(seed, option: str = "--seed") -> int:
    """``seed`` as an int, or a :class:`UserError` naming ``option``."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed <= SEED_MAX:
        raise UserError(f"must be an integer from 0 to {SEED_MAX}, got {seed!r}", option)
    return int(seed)
