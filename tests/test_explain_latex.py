"""Escaping of user text, the textbook printer, French and English pages, notebook display."""

import re
from pathlib import Path
from string import Formatter

import pytest
import sympy
from hypothesis import given, strategies as st

from workbench.errors import UserError
from workbench.explain import page as pages
from workbench.explain.notebook import Steps, Verification
from workbench.derivation_file import load
from workbench.tex import escape, math
from workbench.words import LANGUAGES, WORDS, check_lang, word

ROOT = Path(__file__).resolve().parents[1]
# The commands escape() may emit; anything else after a backslash would be user TeX.
EMITTED = re.compile(r"\\(textbackslash|textasciicircum|textasciitilde|textless|textgreater|"
                     r"textbar|dots)\{\}|\\[{}$&#_%]")


def test_hostile_titles_print_as_text():
    out = escape(r"\input{../secrets} \write18{rm -rf /} $x$ 100% #1 a_b ^ ~")
    assert out.startswith(r"\textbackslash{}input\{../secrets\}")
    assert r"\textbackslash{}write18\{rm -rf /\}" in out
    assert EMITTED.sub("", out).count("\\") == 0


@given(st.text(max_size=80))
def test_escaped_text_holds_no_live_tex(text):
    rest = EMITTED.sub("", escape(text))
    assert not set(rest) & set("\\{}$&#^_%~")
    assert all(ord(c) < 256 for c in rest)


def test_language_is_checked():
    assert check_lang("fr") == "fr"
    with pytest.raises(UserError, match="unknown language"):
        check_lang("de")
    with pytest.raises(UserError, match="unknown language"):
        word("page.result", "de")


def test_every_word_is_in_both_languages_and_asks_for_no_unknown_field():
    for key, texts in WORDS.items():
        assert len(texts) == len(LANGUAGES) and all(t.strip() for t in texts), key
        if not key.startswith("rule."):      # rule names are LaTeX, never formatted
            fr, en = ({f for _, f, _, _ in Formatter().parse(t) if f} for t in texts)
            assert fr <= en, key             # French may leave a number out, never add one
    assert word("page.checked-points", "en", points=3, examples=2,
                dtype="float64") == "3 points compared with autograd, in 2 batches drawn by " \
        "Hypothesis, float64."


def test_sums_start_with_a_positive_term():
    n, p = sympy.symbols("n p", integer=True, positive=True)
    X, y, b = (sympy.MatrixSymbol(k, *s) for k, s in
               (("X", (n, p)), ("y", (n, 1)), ("beta", (p, 1))))
    assert math(y - X * b) == r"y - X \beta"
    x = sympy.Symbol("x")
    assert math(1 - x) == "1 - x"
    assert math(-x + 2) == "2 - x"


@pytest.fixture(scope="module")
def affine_page():
    return pages.build(ROOT / "derivations" / "course_01_affine.toml", "fr", examples=5)


def test_french_and_english_labels(affine_page):
    fr = pages.render(affine_page)
    assert r"\usepackage[french]{babel}" in fr
    for word in ("Énoncé", "Calcul pas à pas", "Résultat", "Vérification numérique",
                 "CORRECT"):
        assert word in fr
    affine_page.lang = "en"
    en = pages.render(affine_page)
    assert r"\usepackage[english]{babel}" in en
    for word in ("Statement", "Step by step", "Result", "Numerical verification", "MATCH"):
        assert word in en
    assert "Énoncé" not in en


def test_the_page_shows_steps_result_table_and_figure(affine_page):
    tex = pages.render(affine_page)
    assert r"\begin{align*}" in tex and r"\boxed{" in tex
    assert r"\begin{tabular}" in tex and "$x = 0$ *" in tex      # the [[at]] point x = 0
    assert affine_page.figure_png.startswith(b"\x89PNG")
    assert rf"\includegraphics[width={pages.FIGURE_WIDTH}]{{{affine_page.figure_name}}}" in tex


def test_a_mismatch_page_gives_the_verdict_and_the_diagnosis():
    page = pages.build(ROOT / "derivations" / "wrong_sign.toml", "en", examples=5)
    tex = pages.render(page)
    assert "MISMATCH" in tex and "sign error" in tex
    assert "A deliberate mistake" in tex


def test_matrix_pages_show_the_error_distribution():
    page = pages.build(ROOT / "derivations" / "linalg_trace_ax.toml", "fr", examples=5)
    assert page.figure_kind == "errors"
    assert r"\nabla_{X} f = A^{\top}" in pages.render(page)


def test_notebook_display():
    df = load(ROOT / "derivations" / "course_02_exp2.toml")
    latex = Steps(df.problem)._repr_latex_()
    assert latex.startswith("$$") and r"\ln{\left(2 \right)}" in latex and r"\checkmark" in latex
    page = pages.build(ROOT / "derivations" / "wrong_sign.toml", "en", examples=5)
    shown = Verification(page.result, page.df.problem, page.df.hand, "en")
    assert "MISMATCH" in shown._repr_latex_() and "sign error" in shown._repr_html_()
    french = Verification(page.result, page.df.problem, page.df.hand, "fr")._repr_html_()
    assert "INCORRECT" in french and "erreur de signe" in french and "sign error" not in french


def test_a_mistake_card_shows_the_hand_gradient_not_the_answer():
    """The gallery's "Mistakes to find" cards carry each page's one-line formula: for a
    deliberately wrong file it is the hand gradient, asked with a ?, never the true one."""
    root = Path(__file__).resolve().parents[1] / "derivations"
    wrong = pages.build(root / "wrong_sign.toml", "en", 5)
    shown = pages.result_formula(wrong)
    hand = next(iter(wrong.df.hand.values()))
    assert r"\overset{?}{=}" in shown and shown.endswith(pages.math(hand))
    right = pages.build(root / "course_02_exp2.toml", "en", 5)
    assert r"\overset{?}{=}" not in pages.result_formula(right)


def test_a_note_is_its_english_text_and_says_itself_in_french():
    """An engine note prints, compares and counts as its English sentence (reports, --json,
    keys of the skipped reasons), survives pickling (gallery jobs), and a page says it in
    French without the English-only detail."""
    import json
    import pickle

    from workbench.words import Note
    note = Note("note.differentials", name="beta", why="gave shape (p,) instead of (p, 1)")
    assert note == str(note) and note.startswith("d/dbeta: SymPy's matrix calculus gave shape")
    assert {note: 1}.get(str(note)) == 1 and json.loads(json.dumps({note: 1})) == {str(note): 1}
    back = pickle.loads(pickle.dumps(note))
    assert back == note and back.say("fr") == note.say("fr")
    assert "différentielles matricielles" in note.say("fr") and "shape" not in note.say("fr")
