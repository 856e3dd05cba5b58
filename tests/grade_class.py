"""A generated class for ``workbench grade``: the course's least squares (mean) with a penalty
on a scalar t, so that one key meets every verdict and every mistake code; 100 students, each answer
with the verdict and mistake it must get."""

from __future__ import annotations

import csv
from pathlib import Path

KEY = '''title = "Least squares (mean) plus a penalty on t"
function = "sum((X@beta - y)**2)/n + lam*t**2/2"
wrt = ["beta", "t"]

[variables]
X = { shape = ["n", "p"] }
y = { shape = ["n", 1] }
beta = { shape = ["p", 1] }
lam = "positive"
t = "real"

[hand]
beta = "2/n*X.T@(X@beta - y)"
t = "lam*t"

[grading]
points = 4
slip = 0.5
steps = 0.5
examples = 20
seconds = 60
require_proof = true
'''

RIGHT_T = "lam*t"
# (beta answer, t answer, verdict, mistake)
FORMS = [
    ("2/n*X.T@(X@beta - y)", RIGHT_T, "match", ""),
    ("-2*X.T@(y - X@beta)/n", RIGHT_T, "match", ""),
    ("2/n*X^T@(X@beta - y)", RIGHT_T, "match", ""),
    ("(2/n)*(X.T@X@beta - X.T@y)", RIGHT_T, "match", ""),
    (r"\frac{2}{n}X^\top(X\beta - y)", r"\lambda t", "match", ""),
    (r"-\frac{2}{n}\mathbf{X}^T(\mathbf{y} - \mathbf{X}\boldsymbol{\beta})", RIGHT_T, "match",
     ""),
    ("2/n X^T(X beta - y)", "lam t", "match", ""),
    (r"\nabla_\beta f = \frac{2}{n}X^\top(X\beta - y) = \frac{2}{n}X^\top X\beta - "
     r"\frac{2}{n}X^\top y", RIGHT_T, "match", ""),
    ("2/n*X.T@(X@beta - y)\n= 2/n*X.T@X@beta - 2/n*X.T@y", RIGHT_T, "match", ""),
    ("2/n*X.T@(y - X@beta)", RIGHT_T, "mismatch", "sign"),
    (r"-2X^\top(y - X\beta)", RIGHT_T, "mismatch", "missing-1/n"),
    ("1/n*X.T@(X@beta - y)", RIGHT_T, "mismatch", "factor"),
    (r"\frac{2}{n}(X\beta - y)^\top X", RIGHT_T, "mismatch", "transpose"),
    ("2/n*X.T@(X@beta - y)", "lam", "mismatch", "wrong-component"),
    ("2/n*X.T@(X@beta - y)", "lam*abs(t)", "mismatch", "part-of-domain"),
    ("2/n*X.T@X@beta", "lam", "mismatch", "wrong"),
    ("X@y", RIGHT_T, "mismatch", "shape"),
    (r"\frac{2}{n}X^\top(X\beta - y) = \frac{2}{n}X^\top X\beta - \frac{2}{n}X^\top y = "
     r"\frac{2}{n}X^\top X\beta - \frac{4}{n}X^\top y", RIGHT_T, "mismatch", "step-3"),
    (r"\frac{2}{n}X^\top(X\beta - y) = \frac{1}{n}X^\top(X\beta - y)", RIGHT_T, "mismatch",
     "step-2"),
    (r"-2X^\top(y - X\beta) = 2X^\top(X\beta - y)", RIGHT_T, "mismatch", "missing-1/n"),
    ("2/n*X.T@(X@beta - y)*max(1, sign(sum(beta)))", RIGHT_T, "undecided", ""),
    (r"\frac{2}{n}X^\top(X\beta - y", RIGHT_T, "unreadable", ""),
    ("2/n*X.T@(X@beta - ", RIGHT_T, "unreadable", ""),
    ("", RIGHT_T, "unreadable", ""),
    ("__import__('os').system('touch /tmp/pwned')", RIGHT_T, "unreadable", ""),
    ("().__class__.__bases__", RIGHT_T, "unreadable", ""),
    ("9**9**9**9", RIGHT_T, "unreadable", ""),
    (r"\input{/etc/passwd}", RIGHT_T, "unreadable", ""),
    ("x" * 30_000, RIGHT_T, "unreadable", ""),
    ("(" * 200 + "beta" + ")" * 200, RIGHT_T, "unreadable", ""),
]
SPELLINGS = [lambda s: s, lambda s: "  " + s + " ", lambda s: s.replace("*", " * ")
             if "\\" not in s and "__" not in s and "**" not in s else s]


def students(count: int = 100) -> list[tuple[str, str, str, str, str]]:
    """``(id, beta answer, t answer, verdict, mistake)``: every form at least once, then
    again in other spellings (spaces), as a class would write them."""
    out = []
    for i in range(count):
        beta, t, verdict, mistake = FORMS[i % len(FORMS)]
        spell = SPELLINGS[(i // len(FORMS)) % len(SPELLINGS)]
        if verdict != "unreadable" and "\n" not in beta:
            beta = spell(beta)
        out.append((f"s{i:03d}", beta, t, verdict, mistake))
    return out


def write_class(folder: Path, count: int = 100) -> tuple[Path, Path, list]:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "key.toml"
    key.write_text(KEY)
    answers = folder / "answers.csv"
    rows = students(count)
    with open(answers, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "answer_beta", "answer_t"])
        for sid, beta, t, _, _ in rows:
            w.writerow([sid, beta, t])
    return key, answers, rows
