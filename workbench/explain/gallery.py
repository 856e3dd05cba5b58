"""The gallery: every derivation's page (.tex, .pdf, a PNG preview of its first page), the
figures that the momentum analysis and CIFAR training left under ``gallery/momentum`` and
``gallery/cifar``, and an ``index.html`` that opens with no network (no CDN, local files only).

Pages are built in parallel processes. A page is rebuilt only when its content hash changes:
the derivation file's bytes, the options and the workbench's own source. Every file is written
only if its bytes change, so a rebuild with nothing changed rewrites nothing.
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
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import workbench
from workbench.atomic import write_if_changed
from workbench.derivation_file import discover
from workbench.errors import UserError
from workbench.explain.index import index_html
from workbench.explain.page import slug
from workbench.explain.pdf import have_tex
from workbench.explain.write import write_page

PAGES = "pages"
FIGURE_FOLDERS = ("momentum", "cifar")
MANIFEST = "manifest.json"
PREVIEW_DPI = 40
PAGE_SOURCES = ("explain", "derive", "expr", "compile", "oracles", "verify", "trace",
                "problem.py", "derivation_file.py", "errors.py", "words.py", "tex.py",
                "figures.py")


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
    error: str | None = None


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
    h = hashlib.sha256(Path(path).read_bytes())
    h.update(json.dumps(asdict(options), sort_keys=True).encode())
    h.update(code.encode())
    return h.hexdigest()[:20]


def build_gallery(derivations: str | Path = "derivations", out: str | Path = "gallery",
                  jobs: int | None = None, options: Options | None = None,
                  progress=None) -> list[Entry]:
    """Build (or bring up to date) the gallery in ``out``; returns one entry per derivation."""
    options = options or Options()
    out = Path(out)
    files = discover([derivations])
    if not files:
        raise UserError(f"no derivation files under {derivations}")
    code = source_hash()
    old = _read_manifest(out)
    wanted = {}
    for f in files:
        entry = old.get(f.stem)
        key = page_key(f, options, code)
        if entry is None or entry.key != key or not _complete(out, entry, options):
            wanted[f] = key
    entries = {f.stem: old[f.stem] for f in files if f not in wanted}
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(wanted) or 1))
    if wanted:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"),
                                 initializer=_init_worker) as pool:
            futures = [(f, pool.submit(_build_one, f, out, options, key))
                       for f, key in wanted.items()]
            for f, fut in futures:
                entries[f.stem] = fut.result()
                if progress:
                    progress(entries[f.stem])
    ordered = [entries[f.stem] for f in files]
    _remove_stale(out, old, {e.name for e in ordered})
    write_if_changed(out / PAGES / MANIFEST, json.dumps(
        {e.name: asdict(e) for e in ordered}, indent=1, sort_keys=True) + "\n")
    write_if_changed(out / "index.html", index_html(ordered, _figures(out), options.lang,
                                                    PAGES))
    return ordered


def _init_worker() -> None:
    import torch
    torch.set_num_threads(1)


def _build_one(path: Path, out: Path, options: Options, key: str) -> Entry:
    entry = Entry(path.stem, slug(path.stem), key)
    try:
        w = write_page(path, out / PAGES, options.lang, options.pdf, options.examples)
    except UserError as exc:
        entry.error = str(exc)
        return entry
    entry.title, entry.verdict, entry.status = w.title, w.verdict, w.status
    entry.steps_verified = w.steps_verified
    entry.error = w.pdf_error
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
    return all(p.exists() for p in need) and (entry.pdf or not options.pdf or
                                              entry.error is not None or not have_tex())


def _read_manifest(out: Path) -> dict[str, Entry]:
    try:
        data = json.loads((out / PAGES / MANIFEST).read_text())
        return {name: Entry(**fields) for name, fields in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def _remove_stale(out: Path, old: dict[str, Entry], keep: set[str]) -> None:
    for name, entry in old.items():
        if name in keep:
            continue
        for suffix in (".tex", ".pdf", "-figure.png", "-preview.png"):
            (out / PAGES / (entry.slug + suffix)).unlink(missing_ok=True)


def _figures(out: Path) -> dict[str, list[str]]:
    """PNG figures under ``out/momentum`` and ``out/cifar``, as paths relative to ``out``."""
    found = {}
    for folder in FIGURE_FOLDERS:
        pngs = sorted((out / folder).rglob("*.png")) if (out / folder).is_dir() else []
        found[folder] = [p.relative_to(out).as_posix() for p in pngs]
    return found
