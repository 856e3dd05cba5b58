"""Pages and exercise sheets as a student reads them (issue 26, item 9): a sheet's first page
does not give the answer, Greek-named variables are Greek letters, French numbers have the
decimal comma, a one-line derivation fills its pages instead of spreading over three, and the
figure's caption names the line styles it draws.

The PDF checks compile with the TeX installed here (skipped without pdflatex/pdftotext unless
WB_REQUIRE_TEX=1, as in ``tests/test_explain_pdf.py``).
"""

import re
import subprocess
from pathlib import Path

import pytest
import sympy
from test_explain_pdf import _text, needs_tex

from workbench.cli import main
from workbench.explain import page as pages
from workbench.explain.diagnosis import number_latex, point_latex
from workbench.explain.figure import LINES, caption, curves_figure, figure
from workbench.explain.numbers import oracles
from workbench.explain.sheet import render_sheet
from workbench.tex import float_latex, math, prose_tex
from workbench.trace.graph import tex_name
from workbench.words import word

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = ROOT / "derivations"
# files whose French title holds their gradient (or says what it is)
TELLING = ("ml_ridge", "course_03_least_squares_sum", "linalg_logdet", "ml_log_sum_exp")


def _first_page(tex: str) -> str:
    return tex[:tex.index(r"\newpage")]


@pytest.mark.parametrize("name", TELLING)
def test_a_sheet_keeps_the_titled_answer_for_the_solutions(name):
    page = pages.build(DERIVATIONS / f"{name}.toml", "fr", examples=5)
    title = prose_tex(pages.title_of(page.df, "fr"))
    tex = render_sheet(page)
    assert title not in _first_page(tex)                  # neither as \title nor in the text
    assert title in tex[tex.index(word("sheet.solutions", "fr")):]
    assert pages.function_lhs(page.df.problem) in _first_page(tex)


@needs_tex
def test_the_ridge_sheet_in_french_states_the_exercise_without_its_answer(tmp_path):
    assert main(["explain", str(DERIVATIONS / "ml_ridge.toml"), "--sheet", "--lang", "fr",
                 "-o", str(tmp_path), "--examples", "5"]) == 0
    text = " ".join(_text(tmp_path / "ml_ridge-sheet.pdf").split())
    first, solutions = text.split("Corrigé", 1)
    assert "Exercice" in first and "Calculer le gradient" in first
    assert "Régression ridge" not in first and "Régression ridge" in solutions
    assert "λ ∈ ]0, +∞[" in first and not re.search(r"\blam\b", text)


def test_greek_named_variables_are_typeset_as_greek_letters():
    assert math(sympy.Symbol("lam")) == r"\lambda"
    assert math(sympy.Symbol("lam2")) == r"\lambda_{2}"
    assert math(sympy.Symbol("eps")) == r"\epsilon"
    assert math(sympy.Symbol("lamb")) == "lamb"            # not a shortened Greek name
    assert tex_name("lam") == r"\lambda"
    for name in ("ml_ridge", "ml_ridge_trace", "hessian_ridge"):
        p = pages.load(DERIVATIONS / f"{name}.toml").problem
        body = pages.statement_body(p, "fr")
        assert r"\lambda \in" in body and "lam" not in body.replace(r"\lambda", ""), name


def test_french_numbers_have_the_decimal_comma():
    assert float_latex(-1.599, "fr") == "-1{,}599" and float_latex(-1.599, "en") == "-1.599"
    assert float_latex(2.5e-7, "fr") == r"2{,}5 \times 10^{-7}"
    assert number_latex([[0.5, 2]], "fr") == r"\begin{pmatrix}0{,}5 & 2\end{pmatrix}"
    assert point_latex({"x": 1.5, "y": 2}, {}, "fr") == r"x = 1{,}5;\ y = 2"
    assert point_latex({"x": 1.5, "y": 2}, {}, "en") == "x = 1.5, y = 2"


@pytest.fixture(scope="module")
def french_pdfs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fr")
    made = {}
    for name in ("course_01_affine", "calc_power_rule", "course_06_logistic_graph"):
        assert main(["explain", str(DERIVATIONS / f"{name}.toml"), "-o", str(out), "--lang",
                     "fr", "--examples", "5"]) == 0
        made[name] = out / f"{name}.pdf"
    return made


@needs_tex
def test_french_pdfs_write_decimal_commas_not_points(french_pdfs):
    """The table, the points, the graph's values: 2,988, never 2.988."""
    for name, pdf in french_pdfs.items():
        text = _text(pdf)
        assert not re.search(r"\d\.\d", text), (name, re.findall(r".{20}\d\.\d.{10}", text))
    assert re.search(r"x = 2,988", _text(french_pdfs["course_01_affine"]))


def _fills(pdf: Path) -> list[float]:
    """How far down each page its text goes, as a fraction of the text area's bottom (the page
    number, below it, left out)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True,
                         text=True).stdout
    fills = []
    for body in out.split("<page ")[1:]:
        height = float(re.search(r'height="([\d.]+)"', body).group(1))
        bottom = height - 2 / 2.54 * 72                       # 2 cm margin
        ys = [float(y) for y in re.findall(r'yMax="([\d.]+)"', body)]
        fills.append(max((y for y in ys if y <= bottom + 2), default=0.0) / bottom)
    return fills


@needs_tex
@pytest.mark.parametrize("name", ["course_01_affine", "calc_power_rule"])
def test_a_one_line_derivation_fills_its_pages(french_pdfs, name):
    """course_01_affine (d/dx (3x + 5) = 3) ran to 3 pages, the first two two-thirds full or
    less: its figure and its graph each pushed to a page of their own."""
    fills = _fills(french_pdfs[name])
    assert len(fills) <= 2, fills
    assert all(f >= 0.85 for f in fills[:-1]), fills


def _drawn_styles(fig) -> list[str]:
    (ax,) = fig.axes
    return [line.get_linestyle() for line in ax.get_lines() if line.get_color() != "gray"]


@pytest.mark.parametrize("hand", [True, False])
def test_the_caption_names_the_style_of_each_line_drawn(tmp_path, hand):
    source = tmp_path / "cube.toml"
    source.write_text('title = "t"\nfunction = "x**3"\nwrt = ["x"]\n\n[variables]\nx = "real"\n'
                      + ('\n[hand]\nx = "3*x**2"\n' if hand else ""))
    df = pages.load(source)
    found = oracles(df.problem, df.hand)
    fig, drawn = curves_figure(df.problem, found, "fr")
    styles = _drawn_styles(fig)
    assert len(styles) == len(drawn) == (3 if hand else 2)
    names = {style: name for style, name in LINES.values()}
    for lang in ("fr", "en"):
        said = caption("curves", drawn, lang)
        for style in styles:
            assert f"({word('plot.line-' + names[style], lang)})" in said, (said, style)
        assert (word("plot.line-dotted", lang) in said) == hand
    assert figure(df.problem, found, "fr")[2] == caption("curves", drawn, "fr")
    ticks = fig.axes[0].xaxis.get_major_formatter()      # French tick labels: 2,5
    ticks.set_locs([0.0, 2.5, 5.0])
    assert ticks(2.5) == "2,5"
