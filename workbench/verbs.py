"""What every verb's parser shares: its name and one-line summary in ``workbench --help``, its
description (the docstring of the function that runs it, rewrapped by argparse as before) and
that function as its ``func`` default, which :func:`workbench.cli.main` calls."""

from __future__ import annotations

import argparse
import inspect
from typing import Callable


def add_verb(sub: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int],
             help: str) -> argparse.ArgumentParser:
    """The parser of the verb ``name``, run by ``func`` (``func(args) -> exit code``), whose
    docstring is the verb's description; ``help``: its line in the list of verbs."""
    description = func.__doc__ and inspect.cleandoc(func.__doc__)      # None under python -OO
    p = sub.add_parser(name, help=help, description=description)
    p.set_defaults(func=func)
    return p
