"""The verb ``check-code FILE.py:NAME`` (thin: arguments in, :func:`check_gradient`, exit code
out).

It imports the user's file, which executes it: the file is the user's own code, named on the
command line, and nothing else is ever imported or evaluated. NAME (dotted attributes allowed:
``ls.forward``) is a function, ``SomeFunction`` (a ``torch.autograd.Function``: its
``backward`` is checked), an ``nn.Module`` instance or class (built without arguments).
``--inputs NAME`` names the example inputs in the same file: a tuple, or a function of no
arguments returning one; ``--grad NAME`` the hand gradient.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from workbench.errors import UserError
from workbench.seeds import check_seed
from workbench.verbs import add_verb

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(sub, "check-code", cmd_check_code,
                 help="check a gradient written as code (imports and runs FILE)")
    p.add_argument("target", metavar="FILE.py:NAME",
                   help="the function (or autograd.Function, nn.Module) NAME in FILE.py")
    p.add_argument("--inputs", default="inputs", metavar="NAME",
                   help="example inputs in FILE: a tuple or a function returning one "
                        "(default: inputs)")
    p.add_argument("--grad", default=None, metavar="NAME",
                   help="the hand gradient in FILE (none: check NAME's own backward)")
    p.add_argument("--domain", action="append", default=[], metavar="x=positive",
                   help="domain of an input: real, positive, negative, nonzero, [a,b], spd, "
                        "simplex, labels, labels:C, fixed (repeatable)")
    p.add_argument("--wrt", default=None, metavar="x[,y]", help="inputs to check (default: "
                                                                "every float input)")
    p.add_argument("--examples", type=int, default=100, metavar="N",
                   help="points checked after the example inputs, drawn by Hypothesis ten "
                        "per case (default 100)")
    p.add_argument("--seed", type=int, default=None,
                   help="Hypothesis seed (default: derandomized, reproducible)")
    p.add_argument("--device", default="cpu", metavar="DEVICE",
                   help="torch device: cpu (default), cuda, cuda:N or auto")
    p.add_argument("--precision", default="math", choices=("math", "native"),
                   help="math (default): the code promoted to float64, is the math right; "
                        "native: the code in its own dtype and device against float64 truth, "
                        "is it as accurate as that precision allows")
    p.add_argument("--judge-autograd", action="store_true",
                   help="with --precision native: judge code without a custom backward "
                        "(autograd's own backward) against the dtype's allowance instead of "
                        "measuring it as its own reference; implies --precision native")
    p.add_argument("--dtype", default=None, metavar="DTYPE",
                   help="with --precision native: float32, float16 or bfloat16 (default: "
                        "the example inputs' lowest precision); implies --precision native")
    p.add_argument("--json", action="store_true", help="print JSON")


def _split(target: str) -> tuple[Path, str]:
    path, sep, name = target.rpartition(":")
    if not sep or not path.endswith(".py") or not _NAME.match(name):
        raise UserError(f"expected FILE.py:NAME (e.g. model.py:LeastSquare.forward), got "
                        f"{target!r:.80}", "check-code")
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{path}: no such file", "check-code")
    return file, name


def load(file: Path):
    """Import ``file`` as a module (this runs it)."""
    spec = importlib.util.spec_from_file_location(f"_workbench_user_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise UserError(f"importing it raised {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:120] if str(exc) else ''}",
                        str(file)) from None
    finally:
        sys.path.remove(str(file.resolve().parent))
    return module


def lookup(module, name: str, file: Path, option: str):
    if not _NAME.match(name):
        raise UserError(f"expected a Python name (dotted attributes allowed), got {name!r:.60}",
                        option)
    value = module
    for part in name.split("."):
        if not hasattr(value, part):
            raise UserError(f"{file} has no {name}", option)
        value = getattr(value, part)
    return value


def _callable(value):
    import torch
    if isinstance(value, type) and issubclass(value, torch.autograd.Function):
        return value.apply
    if isinstance(value, type) and issubclass(value, torch.nn.Module):
        try:
            return value()
        except TypeError as exc:
            raise UserError(f"cannot build {value.__name__}() without arguments ({exc}); put "
                            f"an instance in the file and name it", "check-code") from None
    return value


def _domains(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, word = item.partition("=")
        if not sep or not name.strip() or not word.strip():
            raise UserError(f"expected NAME=DOMAIN, got {item!r:.60}", "--domain")
        out[name.strip()] = word.strip()
    return out


def cmd_check_code(args) -> int:
    """Check the gradient of a Python function, autograd.Function or nn.Module in FILE against
    float64 autograd, complex-step and Richardson references on Hypothesis inputs. FILE is
    imported, so its code runs: give only your own files. ``--precision native`` (or
    ``--dtype``) checks it in its own dtype and device against float64 truth instead. Exit 0
    match, 1 mismatch, 2 bad input, 3 a bug of ours, 4 undecided."""
    if not 1 <= args.examples <= 100_000:
        raise UserError(f"must be between 1 and 100,000, got {args.examples}", "--examples")
    if args.seed is not None:
        check_seed(args.seed)
    precision = "native" if args.dtype is not None or args.judge_autograd else args.precision
    if args.dtype is not None and args.dtype not in ("float32", "float16", "bfloat16"):
        raise UserError(f"unknown dtype {args.dtype!r:.40}; expected float32, float16 or "
                        f"bfloat16", "--dtype")
    from workbench.devices import parse_device
    device = parse_device(args.device)
    file, name = _split(args.target)
    domains = _domains(args.domain)
    module = load(file)
    fn = _callable(lookup(module, name, file, "check-code"))
    inputs = lookup(module, args.inputs, file, "--inputs")
    if callable(inputs):
        inputs = inputs()
    grad = lookup(module, args.grad, file, "--grad") if args.grad else None
    wrt = [w.strip() for w in args.wrt.split(",")] if args.wrt else None
    from workbench.code import check_gradient, check_precision
    if args.judge_autograd:
        result = check_precision(fn, inputs, grad, domains or None, dtype=args.dtype,
                                 device=str(device), wrt=wrt, examples=args.examples,
                                 seed=args.seed, judge_autograd=True)
    else:
        result = check_gradient(fn, inputs, grad, domains or None, wrt=wrt,
                                examples=args.examples, seed=args.seed, device=str(device),
                                precision=precision, dtype=args.dtype)
    print(result.to_json() if args.json else str(result))
    return result.exit_code
