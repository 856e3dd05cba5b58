"""The verb ``grade``: a class's answers against a key (thin: arguments in, library, files and
exit code out). SymPy and torch load in :func:`cmd_grade`, so ``workbench --help`` stays fast."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys

from workbench.atomic import add_output_option
from workbench.errors import UserError

DEFAULT_OUT = "graded"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade a class's answers against a key",
                       description=inspect.cleandoc(cmd_grade.__doc__ or ""))
    p.add_argument("key", metavar="KEY.toml", help="the key: a derivation file")
    p.add_argument("answers", metavar="ANSWERS", help="a CSV file or a folder of answers")
    add_output_option(p, DEFAULT_OUT, "DIR", f"output folder (default {DEFAULT_OUT}/)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="worker processes (default 1; the files are the same for any N)")
    p.add_argument("--lang", default="en", choices=["en", "fr"],
                   help="language of the feedback and pages (default en)")
    p.add_argument("--pdf", action="store_true",
                   help="also write students/ID.pdf (and its .tex) when a TeX engine "
                        "(pdflatex) is installed; about 0.2 s of TeX a page, --jobs at once")
    p.add_argument("--json", action="store_true", help="print summary.json on stdout")
    p.set_defaults(func=cmd_grade)


def cmd_grade(args) -> int:
    """Grade every answer of ANSWERS against KEY.toml and write the gradebook, a page per
    student and the class's summary into DIR.

    ANSWERS: a CSV with a header student,answer (answer_x,answer_y for several variables) or a
    folder of ID.txt files; answers in ASCII, with ^, or in LaTeX, a chain of steps a = b = c
    or one a line. KEY.toml: a derivation file with optional [grading] (points, partial
    credit, time budget) and [variants] (parameters drawn per student) tables. Writes
    gradebook.csv, students/ID.html, summary.html and summary.json (with --pdf and TeX,
    students/ID.pdf too); an interrupted class resumes where it stopped. Exit 0 when every answer was graded (right or wrong), 4 when
    some are undecided, 2 for a table or key that cannot be read."""
    if not 1 <= args.jobs <= max(64, os.cpu_count() or 1):
        raise UserError(f"must be between 1 and 64, got {args.jobs}", "--jobs")
    from workbench.grade.output import summarize
    from workbench.grade.run import grade_class
    graded = grade_class(args.key, args.answers, args.output, args.jobs, args.lang)
    summary = summarize(graded)
    if args.pdf:
        _pdfs(args, graded)
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        v = summary["verdicts"]
        print(f"{summary['students']} students graded into {args.output}/: "
              + ", ".join(f"{n} {k}" for k, n in v.items() if n)
              + f"; mean score {summary['mean_score']:g} / {summary['max_score']:g}",
              file=sys.stdout)
    return 4 if summary["verdicts"]["undecided"] else 0


def _pdfs(args, graded) -> None:
    """The PDF pages; without TeX, or where TeX fails, one line on stderr (the grades
    stand)."""
    from pathlib import Path

    from workbench.explain.pdf import have_tex
    from workbench.grade.pdf import write_pdfs
    from workbench.grading_key import load_key
    if not have_tex():
        print("workbench: note: no TeX engine (pdflatex): the feedback pages are HTML only "
              "(students/ID.html)", file=sys.stderr)
        return
    outcome = write_pdfs(Path(args.output), graded, load_key(args.key), args.lang, args.jobs)
    if outcome.failures:
        student, error = outcome.failures[0]
        print(f"workbench: warning: {len(outcome.failures)} PDF pages not made (first, "
              f"{student}: {error})", file=sys.stderr)
