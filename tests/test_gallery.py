"""The gallery: pages in parallel, previews, an index of local files only, rebuilds that rewrite
nothing (figures are the same bytes every time), and (where Chromium is installed) the index
rendered headless."""

import json
import os
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path
from urllib.parse import unquote

import pytest
from matplotlib.figure import Figure

from workbench.cli import main
from workbench.explain.gallery import MANIFEST, PAGE_SOURCES, PAGES, Entry
from workbench.explain.index import chapter_of, index_html
from workbench.figures import FORMATS, encode, write_pngs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ("course_02_exp2", "course_03_least_squares_sum", "wrong_sign")
PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201d5a0"
                        "dd0a0000000049454e44ae426082")
have_previews = shutil.which("pdflatex") is not None and shutil.which("pdftoppm") is not None


@pytest.fixture(scope="module", autouse=True)
def _away_from_the_checkout(tmp_path_factory):
    """Every test here runs in an empty current folder: the gallery searches the current
    folder's ``runs/`` and ``gallery/``, where the README's ``workbench momentum`` leaves its
    figures in a user's checkout, and a test must not read what a user left there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        yield


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """A gallery of :data:`SAMPLE` whose figures were left in four places: the gallery itself,
    a CIFAR run under ``runs/`` beside the derivations (where ``train`` writes by default), a
    real momentum run written elsewhere and a CIFAR run in a third folder, both given with
    ``--figures``."""
    base = tmp_path_factory.mktemp("gallery")
    derivations = base / "derivations"
    derivations.mkdir()
    for name in SAMPLE:
        shutil.copy(ROOT / "derivations" / f"{name}.toml", derivations)
    out = base / "gallery"
    (out / "momentum").mkdir(parents=True)
    (out / "momentum" / "loss_curves.png").write_bytes(PNG_1x1)
    _cifar_run(base / "runs" / "cifar-seed", "loss")
    elsewhere = base / "elsewhere"
    assert main(["momentum", "--grid", "2", "--iterations", "20", "--ill-kappa", "0",
                 "-o", str(elsewhere / "mom"), "--no-gallery", "--json"]) == 0
    _cifar_run(base / "third" / "deep" / "fast", "accuracy")
    cwd = os.getcwd()
    os.chdir(base)          # the current folder is searched too: not the repository's runs/
    try:
        assert main(["gallery", "-o", str(out), "--derivations", str(derivations), "--jobs",
                     "2", "--examples", "5", "--figures", str(elsewhere), "--figures",
                     str(base / "third")]) == 0
    finally:
        os.chdir(cwd)
    return derivations, out


def _cifar_run(folder: Path, figure: str) -> None:
    """A run folder as ``workbench train`` leaves it: ``metrics.json``, ``figures/*.png``."""
    (folder / "figures").mkdir(parents=True)
    (folder / "metrics.json").write_text("{}")
    (folder / "figures" / f"{figure}.png").write_bytes(PNG_1x1)


def _files(folder: Path) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*")
            if p.is_file()}


def test_every_page_is_listed_with_its_verdict(gallery):
    _, out = gallery
    html = (out / "index.html").read_text()
    for name in SAMPLE:
        assert (out / PAGES / f"{name}.tex").exists()
        assert name in html
    assert html.count('class="badge match"') == 2 and html.count('class="badge mismatch"') == 1


def test_figures_are_found_wherever_they_were_written(gallery):
    _, out = gallery
    html = (out / "index.html").read_text()
    for figure in ("momentum/loss_curves.png", "momentum/loss_curves_course.png",
                   "momentum/sweep_course.png", "cifar/cifar-seed-loss.png",
                   "cifar/fast-accuracy.png"):
        assert f'src="{figure}"' in html, figure
        assert (out / figure).read_bytes().startswith(b"\x89PNG")
    chapter = html.split('id="momentum"')[1].split("<h2")[0]
    assert "loss_curves_course.png" in chapter and "cifar/" not in chapter


def test_figures_are_found_in_the_current_folder_too(tmp_path, monkeypatch):
    """``workbench momentum`` run in a project, the derivations elsewhere."""
    derivations = tmp_path / "shared" / "derivations"
    derivations.mkdir(parents=True)
    shutil.copy(ROOT / "derivations" / "calc_atan.toml", derivations)
    run = tmp_path / "project" / "runs" / "momentum"
    run.mkdir(parents=True)
    (run / "momentum.json").write_text("{}")
    (run / "loss_curves_course.png").write_bytes(PNG_1x1)
    monkeypatch.chdir(tmp_path / "project")
    assert main(["gallery", "-o", str(tmp_path / "site"), "--derivations", str(derivations),
                 "--no-pdf", "--examples", "5", "--jobs", "1"]) == 0
    assert (tmp_path / "site" / "momentum" / "loss_curves_course.png").read_bytes() == PNG_1x1
    assert 'src="momentum/loss_curves_course.png"' in (tmp_path / "site" / "index.html").read_text()


def test_a_figures_folder_that_does_not_exist_is_bad_input(gallery, tmp_path, capsys):
    derivations, _ = gallery
    assert main(["gallery", "-o", str(tmp_path / "g"), "--derivations", str(derivations),
                 "--figures", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--figures" in err and "nowhere" in err
    assert not (tmp_path / "g").exists()


def test_each_card_shows_its_result_typeset_and_its_figure(gallery):
    _, out = gallery
    html = (out / "index.html").read_text()
    manifest = json.loads((out / PAGES / MANIFEST).read_text())
    for name in SAMPLE:
        card = html.split(f'<div class="card" id="{name}">')[1].split('<div class="card"')[0]
        assert f'src="{PAGES}/{name}-formula.png"' in card
        assert f'src="{PAGES}/{name}-figure.png"' in card
        assert escape(manifest[name]["formula"], quote=True) in card     # the alt text
    assert r"2^{x} \ln" in manifest["course_02_exp2"]["formula"]
    formula = (out / PAGES / "course_02_exp2-formula.png").read_bytes()
    assert formula.startswith(b"\x89PNG") and len(formula) > 1000


def test_the_course_comes_first_then_chapter_by_chapter(gallery):
    _, out = gallery
    html = (out / "index.html").read_text()
    positions = [html.index(f'<div class="card" id="{n}">') for n in
                 ("course_02_exp2", "course_03_least_squares_sum", "wrong_sign")]
    assert positions == sorted(positions)
    headings = re.findall(r'<h2 id="(\w+)">', html)
    assert headings == ["course", "momentum", "cifar", "wrong"]


def _entry(name: str, tags: list[str]) -> Entry:
    return Entry(name, name.replace("/", "-"), "k", name, "match", "ok", tags=tags)


def test_chapters_by_file_name_then_by_tag():
    entries = [_entry("backprop_relu", ["backprop", "scalar"]),
               _entry("hessian_rosenbrock", ["matrix"]),
               _entry("calc_atan", ["classic", "scalar"]),
               _entry("sub/jacobian_softmax", ["classic", "matrix"]),
               _entry("linalg_logdet", ["classic", "matrix"]),
               _entry("ml_ridge", ["classic", "multivariate"]),
               _entry("course_05_least_squares_mean_wrong", ["course", "matrix", "wrong"]),
               _entry("wrong_sign", ["wrong", "scalar"])]
    assert [chapter_of(e.name, e.tags) for e in entries] == [
        "backprop", "jacobian", "scalar", "jacobian", "matrix", "scalar", "course", "wrong"]
    html = index_html(entries, {}, "en", PAGES)
    headings = re.findall(r'<h2 id="(\w+)">([^<]*)</h2>', html)
    assert headings == [("course", "The course"), ("scalar", "Scalar functions"),
                        ("matrix", "Matrix calculus"), ("jacobian", "Jacobians and Hessians"),
                        ("momentum", "Momentum"), ("cifar", "CIFAR-10"),
                        ("backprop", "Backpropagation"), ("wrong", "Mistakes to find")]
    jacobians = html.split('id="jacobian"')[1].split("<h2")[0]
    assert 'id="hessian_rosenbrock"' in jacobians and 'id="sub-jacobian_softmax"' in jacobians
    assert "workbench momentum" in html.split('id="momentum"')[1].split("<h2")[0]
    french = index_html(entries, {}, "fr", PAGES)
    assert "Jacobiennes et hessiennes" in french and "Jacobians" not in french


def test_index_references_only_local_files_that_exist(gallery):
    _, out = gallery
    html = (out / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs
    ids = set(re.findall(r' id="([^"]+)"', html))
    for ref in refs:
        assert "://" not in ref and not ref.startswith("/"), ref
        if ref.startswith("#"):                             # the chapters' table
            assert ref[1:] in ids, ref
        else:
            assert (out / unquote(ref)).is_file(), ref
    assert "http" not in html.lower().replace("http-equiv", "")


@pytest.mark.skipif(not have_previews and os.environ.get("WB_REQUIRE_TEX") != "1",
                    reason="needs pdflatex and pdftoppm")
def test_previews_and_pdfs_exist(gallery):
    _, out = gallery
    html = (out / "index.html").read_text()
    for name in SAMPLE:
        preview = out / PAGES / f"{name}-preview.png"
        assert preview.read_bytes().startswith(b"\x89PNG")
        assert f"{PAGES}/{name}-preview.png" in html
        assert (out / PAGES / f"{name}.pdf").read_bytes().startswith(b"%PDF")


def test_rebuilding_with_nothing_changed_rewrites_nothing(gallery):
    derivations, out = gallery
    before = _files(out)
    assert main(["gallery", "-o", str(out), "--derivations", str(derivations),
                 "--examples", "5"]) == 0
    assert _files(out) == before


def test_the_gallery_tests_pass_where_a_user_ran_workbench_momentum(pytester):
    """The README's commands in order: ``workbench momentum`` leaves ``runs/momentum/`` and
    ``gallery/momentum/`` in the current folder, then the tests run from there."""
    run = pytester.path / "runs" / "momentum"
    run.mkdir(parents=True)
    (run / "momentum.json").write_text("{}")
    (pytester.path / "gallery" / "momentum").mkdir(parents=True)
    for folder in (run, pytester.path / "gallery" / "momentum"):
        for name in ("loss_curves_kappa100.png", "sweep_kappa100.png"):   # the default run's
            (folder / name).write_bytes(PNG_1x1)
    result = pytester.runpytest_subprocess(
        f"{Path(__file__)}::test_rebuilding_with_nothing_changed_rewrites_nothing",
        "-p", "no:cacheprovider", "-q", f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"))
    result.assert_outcomes(passed=1)


def test_a_changed_derivation_rebuilds_only_its_page(gallery, tmp_path):
    derivations, out = gallery
    copy = tmp_path / "gallery"
    shutil.copytree(out, copy)
    changed = derivations.parent / "changed"
    shutil.copytree(derivations, changed)
    path = changed / "wrong_sign.toml"
    path.write_text(path.read_text().replace("apporte le facteur", "amène le facteur"))
    before = _files(copy)
    assert main(["gallery", "-o", str(copy), "--derivations", str(changed), "--jobs", "1",
                 "--examples", "5"]) == 0
    after = _files(copy)
    rewritten = {p.name for p in after if after[p] != before.get(p)}
    assert "wrong_sign.tex" in rewritten and MANIFEST in rewritten
    assert not any(n.startswith(("course_02", "course_03")) for n in rewritten)


def test_the_source_hash_covers_every_module_a_page_is_made_from():
    code = "import sys, workbench.explain.write; print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    parts = {m.split(".")[1] for m in loaded if m.startswith("workbench.")}
    assert parts - {s.removesuffix(".py") for s in PAGE_SOURCES} <= {"atomic"}   # only writes


def _figure() -> Figure:
    fig = Figure(figsize=(2, 1.5))
    fig.subplots().plot([0, 1, 2], [1, 0, 1], label="a line")
    return fig


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_figure_gives_the_same_bytes_every_time_and_no_version_stamp(fmt):
    data = encode(_figure(), fmt)
    assert data == encode(_figure(), fmt)
    assert b"Matplotlib v" not in data and b"matplotlib.org" not in data


def test_figures_are_written_to_their_folder_and_the_gallery(tmp_path):
    png = encode(_figure(), dpi=30, tight=True)
    written = write_pngs({"curve": png}, tmp_path / "run", tmp_path / "gallery", "run-")
    assert written == [tmp_path / "run" / "curve.png", tmp_path / "gallery" / "run-curve.png"]
    assert all(p.read_bytes() == png for p in written)
    assert write_pngs({"curve": png}, tmp_path / "run") == [tmp_path / "run" / "curve.png"]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_index_renders_in_headless_chromium(gallery, tmp_path):
    _, out = gallery
    shot = tmp_path / "index.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", f"--screenshot={shot}", "--window-size=1200,900",
                    (out / "index.html").as_uri()], capture_output=True, timeout=60, check=True)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
