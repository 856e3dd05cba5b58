"""The notebook API: ``import workbench as wb`` stays light, ``wb.derive/verify/trace/explain/
momentum`` return results that show themselves in one language (never a Python repr) and
serialise to the JSON of the command line, key for key."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import workbench as wb
from workbench.cli import main
from workbench.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def _cli_json(capsys, *argv) -> dict:
    capsys.readouterr()
    main([*argv, "--json"])
    return json.loads(capsys.readouterr().out)


def test_import_workbench_loads_no_heavy_library_and_the_verbs_keep_their_packages():
    code = ("import sys, workbench as wb\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'sympy', 'matplotlib'))\n"
            "import workbench.trace.core, workbench.derive\n"
            "from workbench.explain import page\n"
            "print(heavy, callable(wb.trace) and callable(wb.derive) and callable(wb.explain),"
            " wb.trace.core.trace_expression.__name__, wb.explain.page is page)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.split() == ["[]", "True", "trace_expression", "True"]


def test_derive_serialises_like_the_command_line(capsys):
    d = wb.derive("2**x", "x", at={"x": 0})
    assert d.to_dict() == _cli_json(capsys, "derive", "2**x", "--wrt", "x", "--at", "x=0")
    html = d._repr_html_()
    assert r"2^{x} \ln{\left(2 \right)}" in html and "**" not in html


def test_verify_serialises_like_the_command_line_and_shows_its_verdict(capsys):
    v = wb.verify("2**x", "x", "x*2**(x-1)", examples=20)
    cli = _cli_json(capsys, "verify", "2**x", "--wrt", "x", "--hand", "x*2**(x-1)",
                    "--examples", "20")
    mine = v.to_dict()
    assert mine.keys() == cli.keys() and mine["counterexample"] == cli["counterexample"]
    assert (v.verdict, v.level, v.exit_code) == ("mismatch", "confirmed", 1)
    html = v._repr_html_()
    assert "MISMATCH" in html and "confirmed in high precision" in html
    assert "Counterexample" in html and "x*2**" not in html


def test_one_language_per_result():
    v = wb.verify("x**2/2", "x", "2*x", examples=10, lang="fr")
    shown = v._repr_html_() + v._repr_markdown_() + v._repr_latex_() + str(v)
    assert "INCORRECT" in shown and "il manque un facteur" in shown
    for english in ("MISMATCH", "Counterexample", "true gradient", "missing", "points checked"):
        assert english not in shown
    with pytest.raises(UserError, match="unknown language"):
        wb.derive("x", "x", lang="de")


def test_matrix_slip_is_named_with_its_factor():
    v = wb.verify("(X@beta - y).T@(X@beta - y)/n", "beta", "-2*X.T@(y - X@beta)",
                  matrix={"X": "n,p", "y": ("n", 1), "beta": "p,1"}, examples=20)
    assert v.verdict == "mismatch"
    assert r"\text{hand} = n \times \text{true}" in v._repr_latex_()


def test_trace_serialises_like_the_command_line(capsys):
    t = wb.trace("-log(1/(1 + exp(-a*x)))", {"x": 0, "a": 3})
    assert t.to_dict() == _cli_json(capsys, "trace", "-log(1/(1 + exp(-a*x)))", "--at", "x=0",
                                    "--at", "a=3")
    assert t.agrees and "<svg" in t._repr_html_() and r"- \frac{3}{2}" in t._repr_html_()


def test_momentum_serialises_like_the_command_line(capsys, tmp_path):
    m = wb.momentum(grid=4, iterations=20, ill_kappa=0, output=tmp_path / "api")
    cli = _cli_json(capsys, "momentum", "--grid", "4", "--iterations", "20", "--ill-kappa", "0",
                    "--no-gallery", "-o", str(tmp_path / "cli"))
    mine = m.to_dict()
    assert mine.keys() == cli.keys()
    assert mine["analyses"][0].keys() == cli["analyses"][0].keys()
    assert mine["analyses"][0]["runs"] == cli["analyses"][0]["runs"]
    assert m._repr_html_().count("data:image/png;base64,") == 2


def test_explain_shows_the_page_and_writes_the_sheet(tmp_path):
    e = wb.explain(ROOT / "derivations" / "course_02_exp2.toml", lang="fr", examples=5,
                   output=tmp_path, pdf=False, sheet=True)
    assert e.to_dict()["verdict"] == "match" and Path(e.to_dict()["tex"]).name == \
        "course_02_exp2-sheet.tex"
    html = e._repr_html_()
    assert r"et $f&#x27;(0) = \ln  2$" in html and "data:image/png;base64," in html
    with pytest.raises(UserError, match="no such file"):
        wb.explain(tmp_path / "missing.toml")
