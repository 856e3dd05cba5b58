"""workbench grade (issue 23, items 2 and 3): a generated class of 100 graded with every
verdict and mistake code right; the gradebook's documented shape; the same bytes for any
--jobs and after an interruption; bad input refused in one line."""

import csv
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.grade.output import COLUMNS
from workbench.grade.run import JOURNAL

sys.path.insert(0, str(Path(__file__).parent))
from grade_class import FORMS, KEY, students, write_class  # noqa: E402


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    key, answers, rows = write_class(folder)
    code = main(["grade", str(key), str(answers), "-o", str(folder / "out"), "--jobs", "2"])
    return folder / "out", rows, code


def test_every_student_gets_the_verdict_and_mistake_planted(graded):
    out, rows, code = graded
    assert code == 4                                   # some answers are undecided
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        book = list(csv.DictReader(fh))
    assert [b["student"] for b in book] == [r[0] for r in rows]
    for line, (sid, beta, t, verdict, mistake) in zip(book, rows):
        assert (line["verdict"], line["mistake"]) == (verdict, mistake), (sid, beta, line)
    codes = {m for *_, m in rows}
    assert {"sign", "factor", "missing-1/n", "transpose", "wrong-component", "part-of-domain",
            "shape", "wrong", "step-2", "step-3"} <= codes
    assert {v for *_, v, _ in rows} == {"match", "mismatch", "undecided", "unreadable"}
    assert not Path("/tmp/pwned").exists()


def test_scores_follow_the_grading_table(graded):
    out, rows, _ = graded
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        book = {b["student"]: b for b in csv.DictReader(fh)}
    expected = {"match": 4.0, "sign": 2.0, "missing-1/n": 2.0, "factor": 2.0, "transpose": 2.0,
                "wrong": 0.0, "step-3": 2.0, "unreadable": 0.0, "undecided": 0.0}
    for sid, _, _, verdict, mistake in rows:
        want = expected.get(mistake or verdict)
        if want is not None:
            assert float(book[sid]["score"]) == want, (sid, mistake, book[sid])
    steps3 = next(b for b in book.values() if b["mistake"] == "step-3")
    assert "Step 2 -> 3" in steps3["feedback"]
    steps2 = next(b for b in book.values() if b["mistake"] == "step-2")
    assert "Step 1 -> 2: a factor 1/2 appeared" in steps2["feedback"]


def test_the_gradebook_has_the_documented_columns_and_imports(graded):
    out, rows, _ = graded
    text = (out / "gradebook.csv").read_text(encoding="utf-8")
    lines = list(csv.reader(text.splitlines()))
    assert lines[0] == COLUMNS == ["student", "score", "max_score", "verdict", "level",
                                   "mistake", "feedback"]
    assert len(lines) == len(rows) + 1 and all(len(r) == len(COLUMNS) for r in lines)
    for r in lines[1:]:
        assert 0 <= float(r[1]) <= float(r[2]) == 4 and "\n" not in r[6] and r[6]
    assert "Traceback" not in text


def test_summary_counts_verdicts_and_mistakes_and_pages_exist(graded):
    out, rows, _ = graded
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == 100
    for verdict in ("match", "mismatch", "undecided", "unreadable"):
        assert summary["verdicts"][verdict] == sum(r[3] == verdict for r in rows)
    assert summary["mistakes"]["sign"]["count"] == sum(r[4] == "sign" for r in rows)
    assert "typical_answer" in summary["mistakes"]["transpose"]
    page = (out / "summary.html").read_text()
    assert "<svg" in page and "missing-1/n" in page
    pages = sorted((out / "students").glob("*.html"))
    assert len(pages) == 100
    hostile = (out / "students" / "s024.html").read_text()
    assert "__import__" in hostile and "<script" not in hostile


def small_class(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.toml").write_text(KEY)
    with open(folder / "answers.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "answer_beta", "answer_t"])
        for i, (beta, t, _, _) in enumerate(f for f in FORMS if f[2] != "undecided"):
            if i % 3 == 0:
                w.writerow([f"st {i}", beta, t])
    return folder / "key.toml", folder / "answers.csv"


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != JOURNAL}


def test_jobs_and_resuming_give_the_same_bytes(tmp_path):
    key, answers = small_class(tmp_path)
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "one")]) == 0
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "two"),
                 "--jobs", "2", "--lang", "en"]) == 0
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    journal = (tmp_path / "one" / JOURNAL).read_text().splitlines()
    assert len(journal) >= 3
    shutil.rmtree(tmp_path / "two")
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / JOURNAL).write_text("\n".join(journal[:2]) + "\n" + journal[2][:40])
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "two"), "--jobs",
                 "2"]) == 0                       # interrupted mid-line: resumes
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_french_feedback(tmp_path):
    key, answers = small_class(tmp_path)
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "fr"), "--lang",
                 "fr"]) == 0
    text = (tmp_path / "fr" / "gradebook.csv").read_text()
    assert "Juste." in text and "Illisible" in text and "Right." not in text


@pytest.mark.parametrize("answers, words", [
    ("student,reply\na,x\n", "missing column 'answer_beta'"),
    ("student,answer_beta,answer_t\na,x,y\na,x,y\n", "appears twice"),
    ("", "empty file"),
])
def test_a_bad_table_is_one_line_exit_2(tmp_path, capsys, answers, words):
    (tmp_path / "key.toml").write_text(KEY)
    (tmp_path / "a.csv").write_text(answers)
    assert main(["grade", str(tmp_path / "key.toml"), str(tmp_path / "a.csv"), "-o",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_bad_key_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "key.toml").write_text(KEY.replace("points = 4", "points = -1"))
    (tmp_path / "a.csv").write_text("student,answer_beta,answer_t\na,x,y\n")
    assert main(["grade", str(tmp_path / "key.toml"), str(tmp_path / "a.csv")]) == 2
    assert "points > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["grade", "--help"])
    assert info.value.code == 0 and "gradebook.csv" in capsys.readouterr().out


VARIANT_KEY = '''title = "f(x) = a x^2"
function = "a*x**2"
wrt = ["x"]
[variables]
x = "real"
[hand]
x = "2*a*x"
[grading]
examples = 20
[variants]
seed = 7
a = [2, 3, 5]
'''


def test_each_student_is_graded_against_their_own_variant(tmp_path):
    from workbench.grading_key import load_key
    (tmp_path / "key.toml").write_text(VARIANT_KEY)
    key = load_key(tmp_path / "key.toml")
    ids = [f"v{i}" for i in range(9)]
    values = {s: key.values_for(s)["a"] for s in ids}
    assert values == {s: load_key(tmp_path / "key.toml").values_for(s)["a"] for s in ids}
    assert len(set(values.values())) > 1                       # the class gets several
    other = {2: 3, 3: 5, 5: 2}
    with open(tmp_path / "a.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "answer"])
        for i, s in enumerate(ids):        # even: their own a; odd: a neighbour's a
            a = values[s] if i % 2 == 0 else other[values[s]]
            w.writerow([s, f"{2 * a}x"])
    assert main(["grade", str(tmp_path / "key.toml"), str(tmp_path / "a.csv"), "-o",
                 str(tmp_path / "out")]) == 0
    with open(tmp_path / "out" / "gradebook.csv", newline="") as fh:
        book = list(csv.DictReader(fh))
    assert [b["verdict"] for b in book] == ["match" if i % 2 == 0 else "mismatch"
                                            for i in range(9)]
    assert all(b["mistake"] == "factor" for b in book[1::2])
    page = (tmp_path / "out" / "students" / "v0.html").read_text()
    assert f"a = {values['v0']}" in page


def test_explain_writes_each_students_sheet_of_their_variant(tmp_path, capsys):
    """explain KEY --sheet --student ID: the sheet of ID's variant (the values grade draws),
    the key's model answer not set as a derivation to judge; without --student a key with
    variants is refused in one line, exit 2."""
    from workbench.grading_key import load_key
    key_path = tmp_path / "key.toml"
    key_path.write_text(VARIANT_KEY)
    key = load_key(key_path)
    ids = [f"v{i}" for i in range(9)]
    first = ids[0]
    second = next(s for s in ids if key.values_for(s)["a"] != key.values_for(first)["a"])
    out = tmp_path / "sheets"
    capsys.readouterr()
    assert main(["explain", str(key_path), "--sheet", "-o", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--student" in err and "Traceback" not in err
    for s in (first, second):
        assert main(["explain", str(key_path), "--sheet", "--student", s, "-o", str(out),
                     "--no-pdf", "--examples", "10", "--lang", "en"]) == 0
    sheets = {s: (out / f"key-sheet-{s}.tex").read_text() for s in (first, second)}
    for s, tex in sheets.items():
        a = key.values_for(s)["a"]
        assert f"f(x) = {a} x^{{2}}" in tex and f"Student: \\textbf{{{s}}}" in tex, s
        statement = tex.split("\\newpage")[0]
        assert "\\overset{?}{=}" not in statement and f"{2 * a} x" not in statement
        assert f"{2 * a} x" in tex.split("\\newpage")[1]            # the solutions
    assert sheets[first] != sheets[second]


def test_explain_reads_a_key_as_a_derivation_its_tables_aside(tmp_path):
    (tmp_path / "key.toml").write_text(KEY)                        # [grading], no variants
    assert main(["explain", str(tmp_path / "key.toml"), "-o", str(tmp_path / "out"),
                 "--no-pdf", "--examples", "10"]) == 0
    assert (tmp_path / "out" / "key.tex").exists()


needs_tex = pytest.mark.skipif(
    (shutil.which("pdflatex") is None or shutil.which("pdftotext") is None)
    and os.environ.get("WB_REQUIRE_TEX") != "1",
    reason="pdflatex and pdftotext (TeX Live, poppler-utils) are not installed")


@needs_tex
def test_pdf_feedback_pages_are_the_same_bytes_for_any_jobs(tmp_path):
    """grade --pdf: students/ID.pdf for everyone, hostile answers included (escaped, never
    run by TeX), in the class's language; SOURCE_DATE_EPOCH makes the PDFs, like every other
    file, the same bytes for --jobs 1 and 2; a second run compiles nothing again."""
    import subprocess
    key, answers = small_class(tmp_path)
    for out, jobs in (("one", "1"), ("two", "2")):
        assert main(["grade", str(key), str(answers), "-o", str(tmp_path / out), "--pdf",
                     "--jobs", jobs, "--lang", "fr"]) == 0
    one = _files(tmp_path / "one")
    assert one == _files(tmp_path / "two")
    htmls = [p for p in one if p.endswith(".html") and p.startswith("students/")]
    assert htmls and all(p[:-5] + ".pdf" in one for p in htmls)
    with open(tmp_path / "one" / "gradebook.csv", newline="", encoding="utf-8") as fh:
        book = list(csv.DictReader(fh))
    from workbench.grading_key import page_name
    wrong = next(b for b in book if b["verdict"] == "mismatch")
    text = subprocess.run(["pdftotext", str(tmp_path / "one" / "students" /
                                            f"{page_name(wrong['student'])}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert f"Retour pour {wrong['student']}" in text and "fausse" in text
    assert "Contre-exemple" in text and "Feedback for" not in text
    assert not Path("/tmp/pwned").exists()
    before = {p: (tmp_path / "one" / p).stat().st_mtime_ns for p in one if p.endswith(".pdf")}
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "one"), "--pdf",
                 "--lang", "fr"]) == 0
    assert before == {p: (tmp_path / "one" / p).stat().st_mtime_ns for p in before}
    assert _files(tmp_path / "one") == one      # a run read back from its journal: same bytes


def test_pdf_without_tex_is_html_and_one_note(tmp_path, capsys, monkeypatch):
    from workbench.explain import pdf as pdf_module
    monkeypatch.setattr(pdf_module, "engine", lambda: None)
    key, answers = small_class(tmp_path)
    capsys.readouterr()
    assert main(["grade", str(key), str(answers), "-o", str(tmp_path / "out"), "--pdf"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HTML only" in err[0]
    assert not list((tmp_path / "out").rglob("*.pdf"))
    assert list((tmp_path / "out" / "students").glob("*.html"))
