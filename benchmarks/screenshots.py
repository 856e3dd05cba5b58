"""Screenshots for the README, taken by headless Chromium: the English course notebook, run
with a real kernel and rendered to HTML by nbconvert (its start, and its sections from
:data:`FIGURES_FROM` on, where the figures are), and a gallery of the course (one card per
chapter besides) with the figures of a small momentum run.

    python benchmarks/screenshots.py [--out gallery/screenshots] [--width 1280] [--height 2000]

Needs the ``notebooks`` extra (nbconvert; ``pip install -e ".[notebooks]"``), Chromium
(Debian: ``apt-get install chromium``) and, for the notebook's formulas, a local MathJax 2
(Debian: ``apt-get install libjs-mathjax``; ``--mathjax PATH`` for another copy): the pages are
rendered with no network, so MathJax cannot come from a CDN. Writes ``notebook.png``,
``notebook-figures.png`` and ``gallery.png`` (palette PNGs, under 500 KB) atomically into
``--out``. A missing tool is a
one-line error, exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "course_automatic_differentiation.ipynb"
MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
FIGURES_FROM = "## 4."
"""The notebook's second screenshot starts at this heading (the graph, then momentum)."""
GALLERY_FILES = ("course_01_affine", "course_02_exp2", "course_03_least_squares_sum",
                 "course_04_least_squares_mean", "course_05_least_squares_mean_wrong",
                 "course_06_logistic_graph", "calc_atan", "linalg_logdet", "backprop_relu",
                 "wrong_sign")


class Missing(Exception):
    """A tool the screenshots need is not installed."""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    raise Missing("no Chromium found; install it (Debian: apt-get install chromium)")


def notebook_html(mathjax: Path) -> tuple[str, str]:
    """The notebook executed (cwd notebooks/) and exported to HTML, MathJax from ``mathjax``:
    the whole of it, and its cells from the heading :data:`FIGURES_FROM` on."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbconvert import HTMLExporter
    except ImportError as exc:
        raise Missing(f"{exc.name} is not installed; pip install -e '.[notebooks]'") from None
    if not mathjax.is_file():
        raise Missing(f"no MathJax at {mathjax}; install libjs-mathjax or give --mathjax")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    exporter = HTMLExporter(template_name="lab",
                            mathjax_url=f"{mathjax.as_uri()}?config=TeX-AMS_CHTML")
    start = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown" and c.source.startswith(FIGURES_FROM))
    whole, _ = exporter.from_notebook_node(nb)
    nb.cells = nb.cells[start:]
    figures, _ = exporter.from_notebook_node(nb)
    return whole, figures


def build_gallery(folder: Path) -> Path:
    """A gallery (English) of :data:`GALLERY_FILES` with a small momentum run's figures."""
    from workbench.cli import main

    derivations = folder / "derivations"
    derivations.mkdir()
    for name in GALLERY_FILES:
        shutil.copy(ROOT / "derivations" / f"{name}.toml", derivations)
    runs = folder / "runs"
    with contextlib.redirect_stdout(io.StringIO()):          # its JSON
        done = main(["momentum", "--grid", "30", "-o", str(runs / "momentum"), "--no-gallery",
                     "--json"])
    if done != 0:
        raise RuntimeError("workbench momentum failed")
    out = folder / "gallery"
    if main(["gallery", "-o", str(out), "--derivations", str(derivations), "--lang", "en",
             "--examples", "20"]) != 0:
        raise RuntimeError("workbench gallery failed")
    return out / "index.html"


def shoot(url: str, width: int, height: int) -> bytes:
    """``url`` photographed by headless Chromium, as a palette PNG (256 colours)."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="workbench-shot-") as tmp:
        png = Path(tmp) / "shot.png"
        subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--hide-scrollbars", "--allow-file-access-"
                        "from-files", "--virtual-time-budget=20000", f"--screenshot={png}",
                        f"--window-size={width},{height}", url],
                       capture_output=True, timeout=180, check=True, stdin=subprocess.DEVNULL)
        image = Image.open(png).convert("RGB").quantize(256)
    data = io.BytesIO()
    image.save(data, format="PNG", optimize=True)
    return data.getvalue()


def main(argv: list[str] | None = None) -> int:
    from workbench.atomic import write_if_changed

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "gallery" / "screenshots")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=2000)
    p.add_argument("--mathjax", type=Path, default=MATHJAX, help=f"default {MATHJAX}")
    args = p.parse_args(argv)
    try:
        chromium()
        pages = dict(zip(("notebook", "notebook-figures"), notebook_html(args.mathjax)))
        shots = {}
        with tempfile.TemporaryDirectory(prefix="workbench-screenshots-") as tmp:
            for name, html in pages.items():
                page = Path(tmp) / f"{name}.html"
                page.write_text(html)
                shots[f"{name}.png"] = shoot(page.as_uri(), args.width, args.height)
            shots["gallery.png"] = shoot(build_gallery(Path(tmp)).as_uri(), args.width,
                                         args.height)
    except Missing as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 2
    for name, data in shots.items():
        write_if_changed(args.out / name, data)
        print(f"{args.out / name}: {len(data) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
