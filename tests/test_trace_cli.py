"""``workbench trace``: the course's numbers in the table, the JSON and the pictures; the
expression as typed (leading minus); one-line errors with exit code 2; TikZ, DOT, SVG, PNG."""

import html
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.derivation_file import load
from workbench.trace import draw, trace_derivation, trace_expression
from workbench.trace.tikz import graph_tikz, latex_escape, tikz_document, trace_tikz

COURSE = "-log(1/(1 + exp(-a*x)))"
ROOT = Path(__file__).parent.parent
COURSE_ARGS = ["trace", COURSE, "--at", "x=0", "--at", "a=3"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_courses_numbers(capsys):
    code, out, _ = run(capsys, *COURSE_ARGS, "--json")
    data = json.loads(out)
    assert code == 0 and data["expression"] == COURSE and data["agree"] is True
    chain = [n for n in data["graph"] if n["operation"] != "input"]
    assert [n["value"]["exact"] for n in chain] == ["0", "1", "1/2", "log(2)"]
    assert [n["operation"] for n in chain] == ["a*x", "exp(-v1)", "1/(1 + v2)", "-log(v3)"]
    partials = [chain[0]["partials"]["x"]] + [next(iter(n["partials"].values()))
                                             for n in chain[1:]]
    assert [p["value"]["exact"] for p in partials] == ["3", "-1", "-1/4", "-2"]
    assert data["gradient"]["x"] == {"float": -1.5, "exact": "-3/2", "latex": "- \\frac{3}{2}"}
    assert data["symbolic"]["x"]["value"]["exact"] == "-3/2"


def test_table_has_the_courses_numbers(capsys):
    code, out, _ = run(capsys, *COURSE_ARGS)
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("v")}
    assert code == 0
    assert "a*x" in rows["v1"] and " 0 " in rows["v1"] and "d/dx = 3" in rows["v1"]
    assert "exp(-v1)" in rows["v2"] and "d/dv1 = -1 " in rows["v2"]
    assert "1/2" in rows["v3"] and "d/dv2 = -1/4" in rows["v3"]
    assert "log(2)" in rows["v4"] and "d/dv3 = -2" in rows["v4"]
    assert "d/dx = -3/2" in out and "the two routes agree" in out


def test_pictures_carry_the_courses_numbers(capsys, tmp_path):
    code, out, _ = run(capsys, *COURSE_ARGS, "-o", str(tmp_path))
    assert code == 0
    tikz = (tmp_path / "trace.tikz").read_text()
    for number in (r"{$3$}", r"{$-1$}", r"{$- \frac{1}{4}$}", r"{$-2$}", r"= \frac{1}{2}$",
                   r"\ln{\left(2 \right)}", r"\overline{x} = - \frac{3}{2}"):
        assert number in tikz, number
    assert "Symbolic route" in tikz and "Automatic route" in tikz
    assert json.loads((tmp_path / "trace.json").read_text())["gradient"]["x"]["exact"] == "-3/2"
    assert (tmp_path / "trace.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = html.unescape((tmp_path / "trace.svg").read_text())
    assert "<svg" in svg and "-1/4" in svg and "log(2)" in svg
    assert "-1/4" in (tmp_path / "trace.dot").read_text()
    assert "\\begin{document}" in (tmp_path / "trace.tex").read_text()


def test_forward_mode_and_elementary_nodes_from_the_cli(capsys):
    code, out, _ = run(capsys, *COURSE_ARGS, "--mode", "forward", "--nodes", "elementary")
    assert code == 0 and "tangent d/dx" in out and "1 + v3" in out and "d/dx = -3/2" in out


def test_matrix_values_from_the_cli(capsys):
    code, out, _ = run(capsys, "trace", "sum((X@beta - y)**2)", "--at", "X=[[1,2],[3,4],[5,6]]",
                       "--at", "y=[[1],[2],[3]]", "--at", "beta=[[0],[0]]", "--wrt", "beta",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["gradient"]["beta"]["exact"] == "[[-44], [-56]]"


@pytest.mark.parametrize("argv, words", [
    (["trace", "foo(x)", "--at", "x=0"], "unknown function"),
    (["trace", "x*y", "--at", "x=0", "--at", "y="], "expected NAME=VALUE"),
    (["trace", "x*y", "--at", "x=0"], "y missing"),
    (["trace", "x +", "--at", "x=0"], "EXPR: col"),
    (["trace", "log(x)", "--at", "x=-1"], "not defined"),
    (["trace", "x", "--at", "x=[[1,2]"], "rows of numbers"),
    (["trace", "x", "--at", "x=0", "--wrt", "z"], "--wrt"),
    (["trace", "x*y", "--at", "x=1", "--at", "y=2", "--at", "x=3"], "twice"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_trace_derivation_for_the_explain_pages():
    assert trace_derivation(load(ROOT / "derivations" / "calc_sqrt.toml")) is None
    t = trace_derivation(load(ROOT / "derivations" / "course_06_logistic_graph.toml"))
    both = trace_tikz(t)
    assert both.startswith(r"\begin{tikzpicture}") and both.endswith(r"\end{tikzpicture}")
    assert r"- \frac{a}{e^{a x} + 1}" in both and r"\frac{\partial f}{\partial x} = - \frac{3}{2}" \
        in both
    assert set(graph_tikz(t).splitlines()) <= set(both.splitlines())
    assert "Calcul symbolique" in trace_tikz(t, "fr") and "concordent" in trace_tikz(t, "fr")


def test_user_text_is_escaped_for_latex():
    hostile = r"\input{/etc/passwd} $x$ & # _ % ^ ~"
    escaped = latex_escape(hostile)
    assert "\\input" not in escaped and "$" not in escaped.replace(r"\$", "")
    t = trace_expression("x_1*exp(x_1)", {"x_1": 1})
    assert r"\mathit{x\_1}" in graph_tikz(t)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_tikz_document_compiles(tmp_path):
    t = trace_expression("x_1*exp(x_1) + sum((X@b)**2)",
                         {"x_1": 0.5, "X": [[1, 2], [3, 4]], "b": [[1], [0]]})
    for lang in ("en", "fr"):
        (tmp_path / "t.tex").write_text(tikz_document(t, lang))
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                              cwd=tmp_path, capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-2000:]


def test_pictures_without_graphviz_fall_back_to_matplotlib(monkeypatch, tmp_path):
    monkeypatch.setattr(draw.shutil, "which", lambda name: None)
    t = trace_expression(COURSE, {"x": 0, "a": 3})
    assert draw.write_picture(t, tmp_path / "t.svg").startswith("matplotlib")
    assert draw.write_picture(t, tmp_path / "t.png").startswith("matplotlib")
    assert "-1/4" in (tmp_path / "t.svg").read_text()
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


def test_dot_labels_are_quoted():
    t = trace_expression("x*exp(x)", {"x": 0.5})
    dot = draw.to_dot(t)
    assert dot.startswith("digraph trace {") and 'n0 -> n1 [label="exp(1/2)' in dot
    assert draw._quote('a "b" \\c\nd') == '"a \\"b\\" \\\\c\\nd"'
