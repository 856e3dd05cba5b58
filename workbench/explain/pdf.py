"""Compile a page with a real TeX engine, safely.

``pdflatex`` runs once (a page has no cross-reference, so one pass is complete; latexmk would
always run a second pass on a fresh folder) in a fresh temporary folder holding only the page
and its figure, with shell escape disabled (``-no-shell-escape``), TeX forbidden to read or write outside that folder
(``openin_any=p``, ``openout_any=p``), a timeout, and a fixed ``SOURCE_DATE_EPOCH`` so that the
same page gives the same PDF. The PDF is moved into place atomically, only if it changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from workbench.atomic import write_if_changed
from workbench.errors import WorkbenchError

TIMEOUT = 120
INSTALL_HINT = ("no TeX engine found (pdflatex); the .tex was written. To compile it, install "
                "TeX Live, e.g. on Debian/Ubuntu: apt-get install --no-install-recommends "
                "texlive-latex-base texlive-latex-recommended texlive-pictures "
                "texlive-fonts-recommended texlive-lang-french lmodern poppler-utils")


class CompileError(WorkbenchError):
    """The TeX engine failed on a page: the message is one line (TeX's first error), ``log``
    the whole log, to be kept in a file rather than printed."""

    def __init__(self, message: str, log: str = ""):
        self.log = log
        super().__init__(message)


def engine() -> list[str] | None:
    """The command that compiles ``page.tex`` in the current folder, or None without TeX."""
    if shutil.which("pdflatex") is None:
        return None
    return ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]


def have_tex() -> bool:
    return engine() is not None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f",
                "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "TEXMFOUTPUT": ""})
    return env


def compile_pdf(tex: Path, resources: list[Path] = (), timeout: float = TIMEOUT) -> bool:
    """Compile ``tex`` into ``tex.with_suffix('.pdf')`` (written only if it changed; returns
    True when written). Raises :class:`CompileError` with TeX's first error and its log."""
    command = engine()
    if command is None:
        raise CompileError(INSTALL_HINT)
    tex = Path(tex)
    with tempfile.TemporaryDirectory(prefix="workbench-tex-") as tmp:
        work = Path(tmp)
        shutil.copyfile(tex, work / "page.tex")
        for r in resources:
            shutil.copyfile(r, work / Path(r).name)
        try:
            done = subprocess.run([*command, "page.tex"], cwd=work, env=_environment(),
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise CompileError(f"{tex.name}: TeX took longer than {timeout:g} s",
                               _log(work, exc.stdout or b"")) from None
        if done.returncode != 0 or not (work / "page.pdf").exists():
            log = _log(work, done.stdout)
            raise CompileError(f"{tex.name}: TeX failed (exit {done.returncode}): "
                               f"{first_error(log)}", log)
        return write_if_changed(tex.with_suffix(".pdf"), (work / "page.pdf").read_bytes())


def _log(work: Path, stdout: bytes) -> str:
    log = work / "page.log"
    return log.read_text("latin-1") if log.exists() else stdout.decode("latin-1", "replace")


def first_error(log: str) -> str:
    """TeX's first error in ``log`` on one line (``Undefined control sequence at line 22:
    ... \\mathscr``), or the log's last line when it names none."""
    lines = log.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("!")), None)
    if first is None:
        return next((line for line in reversed(lines) if line.strip()), "no log")
    message = lines[first].lstrip("! ").strip().rstrip(".")
    at = next((line for line in lines[first + 1:first + 12] if re.match(r"l\.\d+ ", line)),
              None)
    if at:
        number, text = at[2:].split(" ", 1)
        message += f" at line {number}: ...{text.strip()[-40:]}"
    return message
