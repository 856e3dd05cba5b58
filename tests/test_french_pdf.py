"""French pages and exercise sheets, compiled to PDF and read back with pdftotext, hold no
English and no Python text (skipped without pdflatex/pdftotext; CI installs TeX Live and
poppler-utils and sets WB_REQUIRE_TEX=1, where a missing engine fails instead).

The English words looked for are taken from the English pages of the same derivations: each one
is asserted to occur there, so the list cannot go stale without a test failing. Words French
and English share ("Verdict", "points", "Variables", "Figure", "Solutions" as a word) are not
listed; their English uses are, as phrases ("points checked", "Solutions" is checked only as the
sheet's heading, which French spells "Corrigé").
"""

import re
from pathlib import Path

import pytest
from test_explain_pdf import _text, needs_tex

from workbench.cli import main

pytestmark = [pytest.mark.slow, needs_tex]

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("course_02_exp2", "course_05_least_squares_mean_wrong", "wrong_abs_part_of_domain",
         "linalg_logdet")
COURSE = tuple(sorted(p.stem for p in (ROOT / "derivations").glob("course_*.toml")))
"""Every bundled course page, compiled in French (the English twins of PAGES suffice for the
list of English words)."""
SHEETS = ("course_02_exp2", "course_05_least_squares_mean_wrong")
ENGLISH = ("Statement", "Step by step", "Result", "Hand derivation", "Diagnosis",
           "Numerical verification", "Differentiate", "with respect to", "points compared",
           "batches drawn", "skipped", "MATCH", "MISMATCH", "proved", "confirmed", "Counterexample",
           "True gradient", "Hand", "Symbolic", "Finite diff", "Rel. error", "chain rule",
           "product rule", "sum rule", "Where", "the", "and", "of", "is", "Computational graph",
           "Automatic route", "Page made by", "Exercise", "Compute", "student", "mistake",
           "Sheet made by", "Deliberately", "wrong", "gradient of", "where")
SHEET_ONLY = ("Exercise", "Compute", "student", "Sheet made by")
PYTHON = ("**", "__", "Symbol(", "torch.", "MatrixSymbol", "Lambda(", "Matrix(", "Transpose(",
          "Inverse(", "Trace(", "Derivative(", "Piecewise(", "sympy.", "self.", "lambda ", "def ",
          "import ", "@", ".T ", "*ones")


def _found(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


@pytest.fixture(scope="module")
def texts(tmp_path_factory) -> dict[tuple[str, str, str], str]:
    """(lang, page or sheet, name): the PDF's text."""
    out = tmp_path_factory.mktemp("pdf")
    found = {}
    for lang in ("fr", "en"):
        pages = tuple(dict.fromkeys(PAGES + COURSE)) if lang == "fr" else PAGES
        for kind, names in (("page", pages), ("sheet", SHEETS)):
            for name in names:
                args = ["explain", str(ROOT / "derivations" / f"{name}.toml"), "-o",
                        str(out / lang), "--lang", lang, "--examples", "5"]
                assert main(args + (["--sheet"] if kind == "sheet" else [])) == 0
                suffix = "-sheet" if kind == "sheet" else ""
                text = _text(out / lang / f"{name}{suffix}.pdf")
                found[lang, kind, name] = " ".join(text.split())
    return found


def test_every_english_word_looked_for_is_in_the_english_pages(texts):
    english = " ".join(t for (lang, *_), t in texts.items() if lang == "en")
    assert [w for w in ENGLISH if not _found(w, english)] == []
    sheets = " ".join(t for (lang, kind, _), t in texts.items() if (lang, kind) == ("en", "sheet"))
    assert all(_found(w, sheets) for w in SHEET_ONLY) and _found("Solutions", sheets)


@pytest.mark.parametrize("kind", ["page", "sheet"])
def test_french_pdfs_hold_no_english_word(texts, kind):
    for (lang, k, name), text in texts.items():
        if (lang, k) == ("fr", kind):
            assert [w for w in ENGLISH if _found(w, text)] == [], name
            assert "Solutions" not in text or kind == "page", name
            assert ("Corrigé" in text) == (kind == "sheet"), name


def test_no_pdf_holds_python_text(texts):
    for key, text in texts.items():
        assert [p for p in PYTHON if p in text] == [], key


def test_french_pdfs_hold_the_french_words_and_the_result(texts):
    page = texts["fr", "page", "course_02_exp2"]
    for phrase in ("Énoncé", "Calcul pas à pas", "Résultat", "Dérivation à la main",
                   "Vérification numérique", "CORRECT", "ln (2)"):
        assert phrase in page, phrase
    wrong = texts["fr", "page", "course_05_least_squares_mean_wrong"]
    assert "INCORRECT" in wrong and "Contre-exemple" in wrong and "il manque un facteur" in wrong
    sheet = texts["fr", "sheet", "course_02_exp2"]
    assert "Exercice" in sheet and "Calculer" in sheet


def test_every_course_page_is_compiled_in_french(texts):
    assert len(COURSE) >= 6 and all(("fr", "page", name) in texts for name in COURSE)


def test_french_pages_name_the_reason_points_were_skipped(texts):
    """Not the catch-all "undefined value, kink or unreliable finite differences" for a
    quadratic loss: each reason that applied, with its count and the scale of those points."""
    for (lang, kind, name), text in texts.items():
        if (lang, kind) != ("fr", "page"):
            continue
        assert "valeur non définie, point anguleux ou différences finies peu fiables" \
            not in text, name
        assert "fixed sizes" not in text and "anglais" not in text, name
        if "Points écartés" in text:
            assert re.search(r"Points écartés, par raison : — \d+ : ", text), name
    mean = texts["fr", "page", "course_04_least_squares_mean"]   # a quadratic: no kink
    assert "sur un point anguleux" not in mean and "non définie" not in mean
    assert "la plus grande entrée vaut" in mean and "contre" in mean


def test_a_french_page_says_its_remarks_in_french(texts):
    mean = texts["fr", "page", "course_04_least_squares_mean"]
    assert "Remarques" in mean and "différentielles matricielles" in mean
    assert "remarque(s) technique(s)" not in mean


def test_french_numbers_have_the_decimal_comma(texts):
    """Tables, points, scales, the graph's values (issue 26, item 9): 2,988, never 2.988; the
    English pages keep the point."""
    for (lang, kind, name), text in texts.items():
        if lang == "fr":
            assert re.findall(r"\S*\d\.\d\S*", text) == [], (kind, name)
    assert re.search(r"\d,\d", texts["fr", "page", "course_02_exp2"])
    assert re.search(r"\d\.\d", texts["en", "page", "course_02_exp2"])
