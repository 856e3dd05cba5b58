"""The gallery: every derivation's page (.tex, .pdf, a PNG preview of its first page, its
figure and its result typeset), the figures of the momentum analysis and of CIFAR training
wherever they were written (:func:`collect_figures`), and an ``index.html`` that opens with no
network (no CDN, local files only), the course first, chapter by chapter.

Pages are built in parallel processes. A page is rebuilt only when its content hash changes:
the derivation file's bytes, the options and the workbench's own source. Every file is written
only if its bytes change, so a rebuild with nothing changed rewrites nothing.

A page is named after its file's path under the derivations folder (``sub/a b`` for
``sub/a b.toml``); its files after a slug of that name, made unique (:func:`unique_slugs`) so
that no page overwrites another.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import workbench
from workbench.atomic import write_if_changed
from workbench.derivation_file import discover, read_file
from workbench.errors import UserError
from workbench.explain.figure import formula_png
from workbench.explain.index import index_html
from workbench.explain.page import page_slug
from workbench.explain.pdf import have_tex
from workbench.explain.write import write_page

PAGES = "pages"
FIGURE_SOURCES = ("gallery", "runs")
"""Where ``workbench momentum`` and ``workbench train`` write by default (relative to the
folder they run in): searched for figures in the current folder and beside the derivations
folder, besides the gallery itself and the folders given."""
SEARCH_DEPTH = 3
RUN_MARKERS = {"momentum": ("momentum.json", "."), "cifar": ("metrics.json", "figures")}
"""A run folder of each kind: the file that marks it, and the subfolder of its figures."""
MANIFEST = "manifest.json"
PREVIEW_DPI = 40
PAGE_SOURCES = ("explain", "derive", "expr", "compile", "oracles", "verify", "trace",
                "problem.py", "derivation_file.py", "errors.py", "words.py", "tex.py",
                "figures.py", "lazy.py", "grading_key.py")


@dataclass
class Entry:
    """One derivation in the gallery (what the index shows), with the hash it was built
    from."""

    name: str
    slug: str
    key: str
    title: str = ""
    verdict: str = "error"
    status: str = "error"
    steps_verified: bool = False
    pdf: bool = False
    preview: bool = False
    figure: bool = False
    formula: str = ""
    formula_png: bool = False
    tags: list[str] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None


@dataclass
class Options:
    lang: str = "fr"
    pdf: bool = True
    examples: int = 100


@functools.cache
def source_hash() -> str:
    """Hash of the source that pages depend on (computed once per process): a change there
    rebuilds every page."""
    h = hashlib.sha256()
    root = Path(workbench.__file__).parent
    for path in sorted(p for part in PAGE_SOURCES for p in
                       ((root / part).rglob("*.py") if (root / part).is_dir() else
                        [root / part] if (root / part).exists() else [])):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def page_key(path: Path, options: Options, code: str) -> str:
    """The hash a page is built from; raises :class:`UserError` for a file that cannot be read
    (a FIFO, a device, too large ...)."""
    h = hashlib.sha256(read_file(path))
    h.update(json.dumps(asdict(options), sort_keys=True).encode())
    h.update(code.encode())
    return h.hexdigest()[:20]


def build_gallery(derivations: str | Path = "derivations", out: str | Path = "gallery",
                  jobs: int | None = None, options: Options | None = None,
                  progress=None, figures: list[Path] = ()) -> list[Entry]:
    """Build (or bring up to date) the gallery in ``out``, with the figures found in
    ``figures`` (folders) and the default places; returns one entry per derivation."""
    options = options or Options()
    out = Path(out)
    files = discover([derivations])
    root = Path(derivations)
    names = {f: (f.relative_to(root).with_suffix("") if root.is_dir() else Path(f.stem))
             .as_posix() for f in files}
    slugs = unique_slugs(list(names.values()))
    code = source_hash()
    old = _read_manifest(out)
    wanted = {}
    for f in files:
        entry = old.get(names[f])
        try:
            key = page_key(f, options, code)
        except UserError:
            key = ""                    # built, and the error recorded, by _build_one
        if entry is None or entry.key != key or entry.slug != slugs[names[f]] or \
                not _complete(out, entry, options):
            wanted[f] = key
    entries = {names[f]: old[names[f]] for f in files if f not in wanted}
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(wanted) or 1))
    if wanted:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"),
                                 initializer=_init_worker) as pool:
            futures = [(f, pool.submit(_build_one, f, out, options,
                                       Entry(names[f], slugs[names[f]], key)))
                       for f, key in wanted.items()]
            for f, fut in futures:
                entries[names[f]] = fut.result()
                if progress:
                    progress(entries[names[f]])
    ordered = [entries[names[f]] for f in files]
    _remove_stale(out, old, ordered)
    write_if_changed(out / PAGES / MANIFEST, json.dumps(
        {e.name: asdict(e) for e in ordered}, indent=1, sort_keys=True) + "\n")
    write_if_changed(out / "index.html", index_html(
        ordered, collect_figures(out, _figure_sources(root, figures)), options.lang, PAGES))
    return ordered


def unique_slugs(names: list[str]) -> dict[str, str]:
    """A slug per name, no two alike even on a file system that ignores case. Where several
    names give one slug (``a b`` and ``a-b``), a name that is its own slug keeps it and the
    others get 8 hex digits of their name's hash (``a-b-3f2c9d1e``)."""
    base = {n: page_slug(n) for n in names}
    groups: dict[str, list[str]] = {}
    for n in sorted(names):
        groups.setdefault(base[n].casefold(), []).append(n)
    out = {}
    for group in groups.values():
        keeper = next((n for n in group if base[n] == n), None) if len(group) > 1 else group[0]
        for n in group:
            out[n] = base[n] if n == keeper else \
                f"{base[n]}-{hashlib.sha256(n.encode()).hexdigest()[:8]}"
    return out


def _init_worker() -> None:
    import torch
    torch.set_num_threads(1)


def _build_one(path: Path, out: Path, options: Options, entry: Entry) -> Entry:
    try:
        w = write_page(path, out / PAGES, options.lang, options.pdf, options.examples,
                       entry.slug)
    except UserError as exc:
        entry.error = str(exc)
        return entry
    entry.title, entry.verdict, entry.status = w.title, w.verdict, w.status
    entry.steps_verified, entry.tags = w.steps_verified, w.tags
    entry.error, entry.warning = w.pdf_error, w.pdf_warning
    entry.figure, entry.formula = True, w.formula
    formula = formula_png(w.formula)
    if formula is not None:
        write_if_changed(out / PAGES / f"{w.slug}-formula.png", formula)
        entry.formula_png = True
    if w.pdf is not None:
        entry.pdf = True
        entry.preview = preview(w.pdf, out / PAGES / f"{w.slug}-preview.png")
    return entry


def preview(pdf: Path, png: Path) -> bool:
    """The first page of ``pdf`` as a small PNG (pdftoppm); False without poppler."""
    if shutil.which("pdftoppm") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="workbench-preview-") as tmp:
        target = Path(tmp) / "preview"
        done = subprocess.run(["pdftoppm", "-png", "-r", str(PREVIEW_DPI), "-f", "1", "-l", "1",
                               "-singlefile", str(pdf), str(target)], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=60)
        made = target.with_suffix(".png")
        if done.returncode != 0 or not made.exists():
            return False
        write_if_changed(png, made.read_bytes())
    return True


def _complete(out: Path, entry: Entry, options: Options) -> bool:
    """The files an entry promises are there (a deleted PDF is rebuilt)."""
    base = out / PAGES / entry.slug
    need = [base.with_suffix(".tex")] if entry.error is None else []
    if entry.pdf:
        need.append(base.with_suffix(".pdf"))
    if entry.preview:
        need.append(out / PAGES / f"{entry.slug}-preview.png")
    if entry.figure:
        need.append(out / PAGES / f"{entry.slug}-figure.png")
    if entry.formula_png:
        need.append(out / PAGES / f"{entry.slug}-formula.png")
    return all(p.exists() for p in need) and (entry.pdf or not options.pdf or
                                              entry.error is not None or not have_tex())


def _read_manifest(out: Path) -> dict[str, Entry]:
    try:
        data = json.loads((out / PAGES / MANIFEST).read_text())
        return {name: Entry(**fields) for name, fields in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def _remove_stale(out: Path, old: dict[str, Entry], entries: list[Entry]) -> None:
    """Remove the files of pages that are gone or renamed, not those a current page uses."""
    in_use = {e.slug.casefold() for e in entries}
    for entry in old.values():
        if entry.slug.casefold() in in_use:
            continue
        for suffix in (".tex", ".pdf", ".log", "-figure.png", "-preview.png", "-formula.png"):
            (out / PAGES / (entry.slug + suffix)).unlink(missing_ok=True)


def _figure_sources(derivations: Path, extra) -> list[Path]:
    beside = derivations.resolve().parent if derivations.is_dir() else \
        derivations.resolve().parent.parent
    projects = dict.fromkeys([Path.cwd().resolve(), beside])
    return [p / name for p in projects for name in FIGURE_SOURCES] + [Path(f) for f in extra]


def collect_figures(out: Path, sources: list[Path]) -> dict[str, list[str]]:
    """The PNG figures of momentum analyses and CIFAR runs, copied into ``out/momentum`` and
    ``out/cifar`` (only when their bytes change) from wherever they were written: the
    ``momentum/`` and ``cifar/`` folders of each source (a gallery), and every run folder
    under it (``momentum.json`` beside the figures; ``metrics.json`` beside ``figures/``, whose
    PNGs are named after the run, as ``train`` names its gallery copies). Returns, per folder,
    the paths relative to ``out``."""
    found: dict[str, list[str]] = {}
    for kind, (marker, sub) in RUN_MARKERS.items():
        target = out / kind
        pngs = {}
        for source in [out, *sources]:
            pngs.update({p.name: p for p in _pngs(source / kind)})
            for run in _runs(source, marker):
                prefix = "" if kind == "momentum" else f"{run.name}-"
                pngs.update({f"{prefix}{p.name}": p for p in _pngs(run / sub)})
        for name, path in pngs.items():
            if path.resolve() != (target / name).resolve():
                write_if_changed(target / name, path.read_bytes())
        found[kind] = sorted((target / name).relative_to(out).as_posix() for name in pngs)
    return found


def _pngs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.png") if p.is_file()) if folder.is_dir() else []


def _runs(source: Path, marker: str) -> list[Path]:
    """Folders under ``source`` (at most :data:`SEARCH_DEPTH` deep) holding ``marker``."""
    if not source.is_dir():
        return []
    return sorted(m.parent for depth in range(SEARCH_DEPTH + 1)
                  for m in source.glob("/".join(["*"] * depth + [marker])) if m.is_file())
