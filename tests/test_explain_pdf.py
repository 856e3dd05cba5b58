"""Pages compiled to PDF for real (skipped without pdflatex/pdftotext; CI installs TeX Live):
the text holds the result, the verdict and hostile titles printed as text."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.explain import pdf as pdf_module

HOSTILE = r"\input{../secrets} \write18{touch pwned} $x$ & 100% #1 ^_~ {}"
# CI sets WB_REQUIRE_TEX=1 once it has installed TeX: there, a missing engine fails the tests.
needs_tex = pytest.mark.skipif(
    (shutil.which("pdflatex") is None or shutil.which("pdftotext") is None)
    and os.environ.get("WB_REQUIRE_TEX") != "1",
    reason="pdflatex and pdftotext (TeX Live, poppler-utils) are not installed")


def _derivation(folder: Path, title: str, hand: str) -> Path:
    path = folder / "hostile.toml"
    body = (f"title = '''{title}'''\n"
            f"description = '''Description: {title}'''\n"
            'function = "2**x"\nwrt = ["x"]\n\n[variables]\nx = "real"\n\n'
            f'[hand]\nx = "{hand}"\n\n[[at]]\nx = 0\n')
    path.write_text(body)
    return path


def _text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True)
    return done.stdout.decode("utf-8")


@needs_tex
def test_hostile_page_compiles_and_prints_its_title_as_text(tmp_path, capsys):
    (tmp_path / "secrets.tex").write_text("TOPSECRET\n")
    work = tmp_path / "work"
    work.mkdir()
    source = _derivation(work, HOSTILE, "2**x*log(2)")
    out = work / "out"
    assert main(["explain", str(source), "-o", str(out), "--examples", "5"]) == 0
    text = _text(out / "hostile.pdf")
    flat = " ".join(text.split())
    assert r"\input{../secrets}" in flat
    assert r"\write18{touch pwned}" in flat
    assert "100% #1" in flat
    assert "TOPSECRET" not in text
    assert not any(p.name == "pwned" for p in tmp_path.rglob("*"))
    assert "CORRECT" in text                         # the verdict
    assert "2x ln(2)" in flat or "2x ln (2)" in flat  # the result 2^x ln 2
    assert "hostile.pdf" in capsys.readouterr().out


@needs_tex
def test_mismatch_page_in_english_gives_verdict_and_diagnosis(tmp_path):
    source = _derivation(tmp_path, "Power rule on 2^x", "x*2**(x-1)")
    assert main(["explain", str(source), "-o", str(tmp_path), "--lang", "en",
                 "--examples", "5"]) == 0
    flat = " ".join(_text(tmp_path / "hostile.pdf").split())
    assert "MISMATCH" in flat and "Diagnosis" in flat
    assert "Step by step" in flat


@needs_tex
def test_a_tex_failure_is_reported_not_hidden(tmp_path):
    tex = tmp_path / "broken.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}")
    with pytest.raises(pdf_module.CompileError) as info:
        pdf_module.compile_pdf(tex, timeout=60)
    assert "Undefined control sequence" in info.value.log
    assert not tex.with_suffix(".pdf").exists()


def test_without_tex_the_tex_is_written_and_install_hint_printed(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    source = _derivation(tmp_path, "No TeX here", "2**x*log(2)")
    assert main(["explain", str(source), "-o", str(tmp_path / "o"), "--examples", "5"]) == 0
    assert (tmp_path / "o" / "hostile.tex").exists()
    assert not (tmp_path / "o" / "hostile.pdf").exists()
    assert "apt-get install" in capsys.readouterr().err


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["explain", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
    source = _derivation(tmp_path, "t", "1")
    assert main(["explain", str(source), "--examples", "0"]) == 2


@needs_tex
def test_a_name_sympy_would_print_with_a_missing_package_still_compiles(tmp_path, capsys):
    source = tmp_path / "scr.toml"
    source.write_text('title = "t"\nfunction = "xscr**2"\nwrt = ["xscr"]\n\n'
                      '[variables]\nxscr = "real"\n')
    assert main(["explain", str(source), "-o", str(tmp_path), "--examples", "5"]) == 0
    assert "xscr" in _text(tmp_path / "scr.pdf")
    assert not (tmp_path / "scr.log").exists()


@needs_tex
def test_a_page_tex_refuses_is_exit_2_with_one_line_and_the_log_kept(tmp_path, monkeypatch,
                                                                      capsys):
    broken = "\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}\n"
    monkeypatch.setattr("workbench.explain.page.render", lambda page: broken)
    source = _derivation(tmp_path, "t", "2**x*log(2)")
    (tmp_path / "hostile.pdf").write_bytes(b"%PDF of an older page")
    assert main(["explain", str(source), "-o", str(tmp_path), "--examples", "5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Undefined control sequence" in err
    log = tmp_path / "hostile.log"
    assert str(log) in err and "Here is how much of TeX's memory" in log.read_text()
    assert not (tmp_path / "hostile.pdf").exists()
