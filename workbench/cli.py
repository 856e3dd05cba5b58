"""Command line: parses arguments, calls the library, maps outcomes to exit codes.

Exit codes: 0 agreement / success, 1 a gradient mismatch, 2 bad input (one line on stderr,
never a traceback), 3 a bug of ours, 4 undecided (a valid problem over budget, or no verdict
the evidence supports), 130 interrupted, 141 the reader of the output went away (``| head``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from workbench.errors import GradientMismatch, ResourceLimit, UserError

# Each module defines ``register(subparsers)``, which adds its verbs; a verb's parser sets
# ``func(args) -> int`` as its default.
COMMAND_MODULES = [
    "workbench.verify.command",
    "workbench.momentum.command",
    "workbench.cifar.command",
    "workbench.trace.command",
    "workbench.explain.command",
    "workbench.code.command",
    "workbench.grade.command",
]

_LONG_OPTION = re.compile(r"^--[A-Za-z][A-Za-z0-9_-]*(=.*)?$")


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line naming the problem (``--help`` shows the usage), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="workbench", allow_abbrev=False,
        description="Symbolic-vs-automatic differentiation workbench. With no command: check "
                    "the bundled derivations (same as `workbench check`).")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _version() -> str:
    from workbench import __version__
    return f"workbench {__version__}"


def _protect_expressions(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Let an expression start with a minus sign, as typed: ``workbench trace "-log(x)"``.

    argparse takes any word that starts with ``-`` for an option. A word that is not one of
    our option strings and does not look like one (``-log(1/x)``, ``-2*x``) gets a leading
    space, which argparse reads as a value and our parser ignores.
    """
    known = set()
    for action in _all_actions(parser):
        known.update(action.option_strings)
    out = []
    for word in argv:
        head = word.split("=", 1)[0]
        if word.startswith("-") and word != "--" and head not in known \
                and not _LONG_OPTION.match(word):
            word = " " + word
        out.append(word)
    return out


def _all_actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_actions(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(_protect_expressions(argv, parser) or ["check"])
    if args.command is None:
        args = parser.parse_args(["check", *_protect_expressions(argv, parser)])
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 2
    except GradientMismatch as exc:
        print(f"workbench: mismatch: {exc}", file=sys.stderr)
        return 1
    except ResourceLimit as exc:
        print(f"workbench: undecided: {exc}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:      # `workbench ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # a bug of ours or of a library: one line, unless debugging
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"workbench: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
              f" (set WORKBENCH_DEBUG=1 for the traceback; please report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
