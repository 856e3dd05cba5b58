"""The verbs ``explain`` and ``gallery`` (thin: arguments in, library, exit code out)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from workbench.atomic import add_output_option, check_output_dir
from workbench.errors import UserError
from workbench.explain.derive_steps import extend_derive
from workbench.verbs import add_verb
from workbench.words import DEFAULT_LANG, LANGUAGES

DEFAULT_OUT = "gallery"


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(sub, "explain", cmd_explain,
                 help="write a LaTeX explanation page for a derivation file")
    p.add_argument("file", metavar="FILE", help="a derivation file (.toml)")
    add_output_option(p, ".", "DIR", "folder for the .tex, figure and .pdf (default: current "
                                     "folder)")
    _common(p)
    p.add_argument("--no-pdf", action="store_true", help="write the .tex only")
    p.add_argument("--sheet", action="store_true",
                   help="write an exercise sheet instead (SLUG-sheet.tex/.pdf): the statement "
                        "and blanks to fill, the solutions on a separate page")
    p.add_argument("--student", metavar="ID",
                   help="FILE is a grading key: write student ID's variant (the values "
                        "`workbench grade` draws for ID) as SLUG[-sheet]-ID.tex/.pdf; needed "
                        "for a key with [variants]")

    p = add_verb(sub, "gallery", cmd_gallery,
                 help="build every page, the figures and an index.html")
    add_output_option(p, DEFAULT_OUT, "DIR", f"gallery folder (default: {DEFAULT_OUT}/)")
    p.add_argument("--derivations", default="derivations", metavar="PATH",
                   help="folder of derivation files (default: derivations/)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="pages built at once (default: number of CPUs)")
    p.add_argument("--figures", action="append", default=[], metavar="DIR",
                   help="also take the figures of the momentum and CIFAR runs found under DIR "
                        "(a run folder given to -o, a folder of runs, or another gallery); "
                        "repeatable")
    _common(p)
    p.add_argument("--no-pdf", action="store_true", help="write the .tex files only")
    extend_derive(sub)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANG,
                   help=f"language of the labels (default: {DEFAULT_LANG}, the course's)")
    p.add_argument("--examples", type=int, default=100, metavar="N",
                   help="Hypothesis examples per derivation (default 100)")


def _check_examples(n: int) -> None:
    if n < 1:
        raise UserError(f"must be at least 1, got {n}", "--examples")


def cmd_explain(args) -> int:
    """Write FILE's explanation page (statement, steps, result, hand derivation and verdict,
    verification table, figure) as a standalone .tex, and compile it to PDF when a TeX engine is
    installed. FILE may be a grading key (`workbench grade`): its [grading] table is ignored
    here, and a key with [variants] needs --student ID, whose variant the page or sheet is
    (a key's [hand] is its model answer: a sheet does not set it as a derivation to judge).
    Exit 0 when written, 2 for bad input."""
    from workbench.explain.pdf import INSTALL_HINT, have_tex
    from workbench.explain.write import write_page, write_sheet
    from workbench.grading_key import student_id
    _check_examples(args.examples)
    student = None if args.student is None else student_id(args.student, "--student")
    if not os.path.lexists(args.file):
        raise UserError(f"no such file: {args.file}", "FILE")
    output = check_output_dir(args.output)
    write = write_sheet if args.sheet else write_page
    w = write(args.file, output, args.lang, not args.no_pdf, args.examples, student=student)
    print(f"{w.tex}  ({w.verdict}; steps {'verified' if w.steps_verified else 'NOT verified'})")
    if w.pdf:
        print(w.pdf)
    if w.pdf_error:
        raise UserError(f"PDF not made: {w.pdf_error}", args.file)
    if w.pdf_warning:
        print(f"workbench: warning: {w.pdf_warning}", file=sys.stderr)
    elif not w.pdf and not args.no_pdf and not have_tex():
        print(f"workbench: {INSTALL_HINT}", file=sys.stderr)
    return 0


def cmd_gallery(args) -> int:
    """Build the page of every derivation in DERIVATIONS (in parallel), list them chapter by
    chapter with the momentum and CIFAR figures in DIR/index.html. Unchanged pages are not
    rebuilt. Figures are looked for in the gallery, in the gallery/ and runs/ folders of the
    current folder and beside DERIVATIONS (where `workbench momentum` and `workbench train`
    write by default) and under every --figures folder."""
    from workbench.explain.gallery import Options, build_gallery
    from workbench.explain.pdf import INSTALL_HINT, have_tex
    _check_examples(args.examples)
    if args.jobs is not None and args.jobs < 1:
        raise UserError(f"must be at least 1, got {args.jobs}", "--jobs")
    if not Path(args.derivations).is_dir():
        raise UserError(f"no such folder: {args.derivations}", "--derivations")
    for folder in args.figures:
        if not Path(folder).is_dir():
            raise UserError(f"no such folder: {folder}", "--figures")
    output = check_output_dir(args.output)
    options = Options(args.lang, not args.no_pdf, args.examples)
    entries = build_gallery(args.derivations, output, args.jobs, options,
                            progress=lambda e: print(f"  {e.name}: {e.verdict}", flush=True),
                            figures=[Path(f) for f in args.figures])
    failed = [e for e in entries if e.error]
    for e in failed:
        print(f"workbench: error: {e.name}: {e.error.splitlines()[0]}", file=sys.stderr)
    for e in entries:
        if e.warning and not e.error:
            print(f"workbench: warning: {e.name}: {e.warning}", file=sys.stderr)
    momentum, cifar = (len(list((output / kind).glob("*.png"))) for kind in ("momentum", "cifar"))
    print(f"{len(entries)} pages, {momentum} momentum and {cifar} CIFAR figures in "
          f"{output / 'index.html'}"
          + (f" ({len(failed)} with errors)" if failed else ""))
    if not args.no_pdf and not have_tex():
        print(f"workbench: {INSTALL_HINT}", file=sys.stderr)
    return 2 if failed else 0
