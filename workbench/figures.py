"""Figures as files: the bytes of a matplotlib figure, and PNGs written into a folder and a
gallery.

Every figure of the workbench is a plain :class:`matplotlib.figure.Figure`, never pyplot, so no
global backend, state or window is involved; :func:`encode` renders it with Agg (PNG) or the SVG
backend. The bytes depend on the figure alone: no date, no matplotlib version, fixed SVG ids,
so an unchanged figure rewrites nothing (:func:`workbench.atomic.write_if_changed`).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping

import matplotlib
from matplotlib.figure import Figure

from workbench.atomic import write_bytes

FORMATS = ("png", "svg")
_STAMPS = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
_SVG = {"svg.fonttype": "none",       # text stays searchable text
        "svg.hashsalt": "workbench"}  # ids from a fixed salt, not a random one


def encode(fig: Figure, fmt: str = "png", dpi: float | None = None,
           tight: bool = False) -> bytes:
    """``fig`` as ``fmt`` (png or svg) bytes at ``dpi`` (default: the figure's own), cropped
    to what is drawn when ``tight``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; expected one of {FORMATS}")
    buf = io.BytesIO()
    with matplotlib.rc_context(_SVG if fmt == "svg" else {}):
        fig.savefig(buf, format=fmt, dpi=dpi or "figure", bbox_inches="tight" if tight else None,
                    metadata=_STAMPS[fmt])
    return buf.getvalue()


def write_pngs(pngs: Mapping[str, bytes], folder: Path, gallery: Path | None = None,
               gallery_prefix: str = "") -> list[Path]:
    """Write ``NAME.png`` for each of ``pngs`` into ``folder`` and, unless ``gallery`` is None,
    a copy ``{gallery_prefix}NAME.png`` into ``gallery``, atomically. Returns the paths written,
    each folder copy before its gallery copy."""
    written = []
    for name, data in pngs.items():
        targets = [Path(folder) / f"{name}.png"]
        if gallery is not None:
            targets.append(Path(gallery) / f"{gallery_prefix}{name}.png")
        for path in targets:
            write_bytes(path, data)
            written.append(path)
    return written
