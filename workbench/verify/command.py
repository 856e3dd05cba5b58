"""The verbs ``derive``, ``verify`` and ``check`` (thin: arguments in, library, exit code out)."""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

from workbench.errors import UserError
from workbench.seeds import check_seed
from workbench.verbs import add_verb

# The library (SymPy, torch) is imported inside the handlers: `workbench --help` and a bad
# argument must answer in a fraction of a second.

DEFAULT_DERIVATIONS = "derivations"


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(sub, "derive", cmd_derive, help="derive a gradient symbolically")
    _problem_args(p)
    p.add_argument("--at", action="append", default=[], metavar="x=0",
                   help="evaluate the gradient where this variable has this value (repeatable;"
                        " one per variable): a number or constant (1/3, pi/4) or a matrix as "
                        "rows, X=[[1, 2], [3, 4]], as trace --at")
    p.add_argument("--latex", action="store_true", help="print the gradient as LaTeX")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_verb(sub, "verify", cmd_verify, help="check a hand derivation")
    _problem_args(p)
    p.add_argument("--hand", action="append", required=True, metavar="H",
                   help="your gradient for the next variable of --wrt")
    _check_args(p)
    p.add_argument("--autograd", action="store_true",
                   help="compare with torch autograd in every case (by default, once the "
                        "exact side has decided about scalar variables, the points are "
                        "compared in high precision, without loading torch)")

    p = add_verb(sub, "check", cmd_check, help="check derivation files (default: derivations/)")
    p.add_argument("paths", nargs="*", default=[DEFAULT_DERIVATIONS], metavar="PATH",
                   help="derivation files or folders (default: derivations/)")
    _check_args(p)
    p.add_argument("-v", "--verbose", action="store_true", help="print each full report")
    p.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), metavar="N",
                   help="files checked in parallel (default: the number of CPUs, at most 4)")


def _problem_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help="the function, e.g. \"2**x\" or "
                                                "\"(X@beta - y).T@(X@beta - y)\"")
    p.add_argument("--wrt", required=True, metavar="x[,y]", help="variables to differentiate")
    p.add_argument("--matrix", action="append", default=[], metavar="X=n,p",
                   help="declare a matrix and its shape (symbolic or integer dimensions)")
    p.add_argument("--domain", action="append", default=[], metavar="x=positive",
                   help="domain of a variable: real, positive, negative, nonzero, [a,b], spd")
    p.add_argument("--order", type=int, choices=[1, 2], default=1,
                   help="2: the Hessian (second derivative) with respect to the one variable "
                        "of --wrt. A vector- or matrix-valued EXPR gives its Jacobian "
                        "(numerator layout: rows = outputs)")


def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--examples", type=int, default=200, metavar="N",
                   help="Hypothesis examples per derivation (default 200)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--device", default="cpu", metavar="DEVICE",
                   help="torch device: cpu (default), cuda, cuda:N or auto")
    p.add_argument("--seed", type=int, default=None,
                   help="Hypothesis seed (default: derandomized, reproducible)")
    p.add_argument("--require", choices=["proof"], default=None,
                   help="--require proof: a match short of a proof (agrees on N samples) is "
                        "undecided (exit 4)")
    p.add_argument("--json", action="store_true", help="print JSON")


MAX_EXAMPLES = 100_000
MAX_JOBS = 64


def _check_numbers(args) -> None:
    """The numeric options, refused before any library is loaded."""
    if not 1 <= args.examples <= MAX_EXAMPLES:
        raise UserError(f"must be between 1 and {MAX_EXAMPLES:,}, got {args.examples}",
                        "--examples")
    if args.seed is not None:
        check_seed(args.seed)
    if args.device.strip().lower() not in ("cpu", "auto") and \
            not args.device.strip().lower().startswith("cuda"):
        from workbench.devices import parse_device
        parse_device(args.device)                  # refuses the name without torch


def _settings(args, without_torch: bool = False):
    """The check settings from the options; torch loads only for a device other than cpu."""
    from workbench.verify.crosscheck import CheckSettings
    _check_numbers(args)
    device = "cpu"
    if args.device.strip().lower() != "cpu":
        from workbench.devices import parse_device
        device = str(parse_device(args.device))
    return CheckSettings(max_examples=args.examples, dtype=args.dtype, device=device,
                         seed=args.seed, require_proof=args.require == "proof",
                         without_torch=without_torch)


def _problem(args):
    from workbench.expr.declare import declare_variables
    from workbench.expr.parser import parse
    args.expr = args.expr.strip()
    variables = declare_variables([args.expr], args.matrix, args.domain)   # not the hands':
    # a name only a hand uses (2*xx for x**2) is a typo, refused by the parser
    try:
        parse(args.expr, variables)        # bad text is refused before torch is loaded
        from workbench.problem import Problem
        return Problem.from_text(args.expr, variables, args.wrt)
    except UserError as exc:
        if exc.where and exc.where.startswith("col"):
            raise exc.located("EXPR") from None
        if exc.where is None and exc.message.startswith("cannot differentiate"):
            raise exc.located("--wrt") from None
        raise


def _syntax(args) -> None:
    """EXPR and every --hand read as syntax first: a syntax error answers before SymPy loads."""
    from workbench.expr.syntax import read_tree
    names = [w.strip() for w in args.wrt.split(",")]
    hands = getattr(args, "hand", None) or []
    for where, text in [("EXPR", args.expr),
                        *((f"--hand {names[i] if i < len(names) else i + 1}", h)
                          for i, h in enumerate(hands))]:
        try:
            read_tree(text)
        except UserError as exc:
            raise exc.located(where) from None


def cmd_derive(args) -> int:
    """Derive the gradient of EXPR with SymPy (matrix calculus guarded by explicit sizes) and
    optionally evaluate it."""
    _syntax(args)
    higher = _higher_problem(args)
    if higher is not None:
        return _higher(args, *higher)
    from workbench.expr.printing import plain
    from workbench.tex import math
    from workbench.expr.points import read_point
    at = read_point(args.at)            # bad values answer before SymPy derives anything
    problem = _problem(args)
    d = problem.derivation
    result = {"function": args.expr, "wrt": list(problem.wrt), "gradient": {}, "method": d.method,
              "notes": d.notes, "at": {}}
    for name in problem.wrt:
        g = d.gradient[name]
        result["gradient"][name] = plain(g) if g is not None else None
        if args.latex and g is not None:
            result.setdefault("latex", {})[name] = math(g)
    if at:
        result["at"], notes = _evaluate(problem, at)
        result["notes"] = [*d.notes, *notes]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for name in problem.wrt:
        g = result["gradient"][name] or "(explicit sizes only: see notes)"
        print(f"d/d{name} {args.expr} = {g}")
        if args.latex and name in result.get("latex", {}):
            print(f"  LaTeX: {result['latex'][name]}")
    for note in result["notes"]:
        print(f"note: {note}")
    for name, values in result["at"].items():
        where = ", ".join(f"{k}={plain(v)}" for k, v in at.items())
        exact = values["exact"] or "(no exact value within the time budget)"
        print(f"at {where}: d/d{name} = {exact}  (symbolic {_num(values['symbolic'])}, "
              f"autograd {_num(values['autograd'])}, finite difference "
              f"{_num(values['finite_difference'])})")
    return 0


def _higher_problem(args):
    """(kind, function, variables) for a Jacobian (non-scalar EXPR) or a Hessian (--order 2);
    None for a gradient."""
    from workbench.expr.declare import declare_variables
    from workbench.expr.functions import is_matrix
    from workbench.expr.parser import parse
    args.expr = args.expr.strip()
    variables = declare_variables([args.expr], args.matrix, args.domain)
    try:
        f = parse(args.expr, variables)
    except UserError as exc:
        raise exc.located("EXPR") if exc.where and exc.where.startswith("col") else exc
    vector = is_matrix(f) and tuple(f.shape) != (1, 1)
    if not vector and args.order == 1:
        return None
    if vector and args.order == 2:
        raise UserError("a Hessian is of a scalar function; EXPR is a matrix of shape "
                        f"{tuple(f.shape)} (its Jacobian is given without --order)", "--order")
    names = [w.strip() for w in args.wrt.split(",")]
    if len(names) != 1:
        raise UserError("a Jacobian or Hessian is with respect to one variable", "--wrt")
    if names[0] not in {v.name for v in variables}:
        raise UserError(f"cannot differentiate with respect to {names[0]!r}: not a declared "
                        f"variable", "--wrt")
    return ("hessian" if args.order == 2 else "jacobian"), f, variables


def _higher(args, kind: str, function, variables) -> int:
    """``derive``/``verify`` of a Jacobian or a Hessian."""
    from workbench.expr.parser import parse
    from workbench.verify.higher import check_higher
    hand = None
    hands = getattr(args, "hand", None)
    if hands is not None:
        if len(hands) != 1:
            raise UserError(f"give one --hand (the whole {kind}), got {len(hands)}", "--hand")
        try:
            hand = parse(hands[0], variables)
        except UserError as exc:
            raise exc.located(f"--hand {args.wrt.strip()}") from None
        settings = _settings(args)
    else:
        settings = None
    report = check_higher(kind, function, variables, args.wrt.strip(), hand, settings,
                          hands[0] if hands else None, args.expr)
    if getattr(args, "latex", False) and report.derived is not None:
        from workbench.tex import math
        report.notes.append("LaTeX: " + math(report.closed))
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return report.exit_code


def _num(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_num(v) for v in value) + "]"
    return "unavailable" if value is None else f"{value:.12g}"


def _evaluate(problem, at: dict) -> tuple[dict, list[str]]:
    """The gradient at ``at`` (exact values by name) by every oracle and exactly, and notes
    about the point; a pole or a point outside the domain is bad input."""
    from workbench.derive.point import check_point
    names = [v.name for v in problem.variables]
    missing = [n for n in names if n not in at]
    if missing:
        raise UserError(f"give a value for every variable ({', '.join(missing)} missing)",
                        "--at")
    extra = [n for n in at if n not in names]
    if extra:
        raise UserError(f"{extra[0]} is not a variable of EXPR (its variables: "
                        f"{', '.join(names)})", "--at")
    notes = check_point(problem.function, problem.gradient, problem.variables, at)
    return problem.values_at(at), notes


def cmd_verify(args) -> int:
    """Check hand gradients of EXPR (one --hand per variable in --wrt, in order). The verdict
    says how it was reached: proved, agrees on N samples, mismatch confirmed, or undecided. Exit
    0 match, 1 mismatch, 2 bad input, 3 a bug of ours, 4 undecided."""
    _check_numbers(args)
    _syntax(args)
    from workbench.expr.parser import parse
    higher = _higher_problem(args)
    if higher is not None:
        return _higher(args, *higher)
    problem = _problem(args)
    if len(args.hand) != len(problem.wrt):
        raise UserError(f"give one --hand per variable of --wrt ({len(problem.wrt)}), got "
                        f"{len(args.hand)}", "--hand")
    hand = {}
    for name, text in zip(problem.wrt, args.hand):
        try:
            hand[name] = parse(text, problem.variables)
        except UserError as exc:
            raise exc.located(f"--hand {name}") from None
    from workbench.verify.crosscheck import cross_check
    settings = _settings(args, without_torch=not args.autograd)
    report = cross_check(problem, hand, settings, dict(zip(problem.wrt, args.hand)))
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return report.exit_code


def cmd_check(args) -> int:
    """Cross-check every derivation file: symbolic vs autograd vs finite differences, hand
    derivations, points."""
    _check_numbers(args)
    from workbench.derivation_file import discover
    from workbench.progress import Progress
    settings = _settings(args)
    paths = args.paths
    if paths == [DEFAULT_DERIVATIONS] and not Path(DEFAULT_DERIVATIONS).is_dir():
        raise UserError("no derivations/ folder here: run from the repository root or pass "
                        "PATHS", "check")
    files = discover(paths)
    if not 1 <= args.jobs <= MAX_JOBS:
        raise UserError(f"must be between 1 and {MAX_JOBS}, got {args.jobs}", "--jobs")
    start = time.perf_counter()
    table = None if args.json else _Table([Path(f).stem for f in files], args.verbose)
    with Progress(len(files), "check", unit="file", enabled=not args.json and
                  sys.stderr.isatty()) as bar:
        results = _check_all(files, settings, args.jobs, bar, table.row if table else None)
    wall = time.perf_counter() - start
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    if args.json:
        print(json.dumps({"results": [r.to_dict() for r in results], "wall_s": round(wall, 3),
                          "counts": counts, "levels": _levels(results),
                          "passed": counts["ok"] + counts["expected mismatch"],
                          "failed": len(results) - counts["ok"] - counts["expected mismatch"]},
                         indent=2))
    else:
        table.summary(results, wall)
    errors = [r.error for r in results if r.error]
    if errors:                                  # the table is on stdout; bad input also here
        more = f" (and {len(errors) - 1} more file(s) with errors)" if len(errors) > 1 else ""
        print(f"workbench: error: {errors[0]}{more}", file=sys.stderr)
    return check_exit_code(results)


STATUSES = ("ok", "expected mismatch", "FAIL", "undecided", "bug", "error")


def check_exit_code(results) -> int:
    """2 if a file is bad input, 3 if a check found a bug of ours, 1 if a verdict is not the
    expected one, 4 if one is undecided, else 0."""
    statuses = {r.status for r in results}
    for status, code in (("error", 2), ("bug", 3), ("FAIL", 1), ("undecided", 4)):
        if status in statuses:
            return code
    return 0


def _levels(results) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        if r.report is not None:
            out[r.report.level] = out.get(r.report.level, 0) + 1
    return out


def _check_all(files, settings, jobs: int, bar, on_result=None) -> list:
    """Check files, in ``jobs`` worker processes when there are several; each result goes to
    ``on_result`` as soon as it and those before it are done (so a long run shows its table
    as it goes). Ctrl-C stops the workers and raises KeyboardInterrupt, quietly."""
    from workbench.verify.runner import check_file
    out = []

    def done(result):
        out.append(result)
        bar.update(1)
        if on_result is not None:
            on_result(result)

    if jobs == 1 or len(files) < 2:
        for f in files:
            done(check_file(f, settings))
        return out
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch state
    pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx,
                                                  initializer=_ignore_interrupts)
    try:
        futures = [pool.submit(check_file, f, settings) for f in files]
        for future in futures:
            done(future.result())
    except KeyboardInterrupt:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()          # a worker in the middle of SymPy would finish first
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return out


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them: one line, not one traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Table:
    """The check's table, printed row by row as results arrive."""

    def __init__(self, names: list[str], verbose: bool):
        self.width = max([len(n) for n in names] + [10])
        self.verbose = verbose
        print(f"{'derivation':<{self.width}}  {'status':<17} {'level':<9} {'points':>7} "
              f"{'time':>6}  detail", flush=True)

    def row(self, r) -> None:
        width, rep = self.width, r.report
        points = rep.points if rep else 0
        level = rep.level if rep else "-"
        detail = r.error or r.bug or r.undecided or (
            rep.diagnosis[0] if rep and rep.diagnosis else
            rep.how if rep and rep.verdict == "undecided" else
            (rep.notes[0] if rep and rep.notes else r.title))
        print(f"{r.name:<{width}}  {r.status:<17} {level:<9} {points:>7} {r.seconds:>5.1f}s  "
              f"{detail}")
        for a in r.at:
            for name, g in a["gradient"].items():
                value = g["exact"] or g["symbolic"]
                flag = {True: "", False: "  <- DISAGREES"}.get(g["ok"], f"  ({g.get('note')})")
                print(f"{'':<{width}}    at {a['point'] if len(str(a['point'])) < 60 else '...'}"
                      f": d/d{name} = {value}{flag}")
        if self.verbose and rep:
            print("\n".join("    " + line for line in rep.to_text().splitlines()))
        sys.stdout.flush()

    @staticmethod
    def summary(results, wall: float) -> None:
        counts = {status: sum(r.status == status for r in results) for status in STATUSES}
        passed = counts["ok"] + counts["expected mismatch"]
        levels = ", ".join(f"{n} {level}" for level, n in _levels(results).items())
        total_points = sum(r.report.points for r in results if r.report)
        others = ", ".join(f"{counts[s]} {s.lower()}"
                           for s in ("FAIL", "undecided", "bug", "error") if counts[s])
        print(f"{passed} passed" + (f", {others}" if others else ", 0 failed") +
              f" ({levels}; {total_points:,} points checked in {wall:.1f}s)")
