"""Atomic writes: a reader never sees a half-written output or checkpoint. Also the one
``-o/--output`` option and its check, made before any work starts."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from workbench.errors import UserError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (fsynced before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_if_changed(path: str | os.PathLike, data: bytes | str) -> bool:
    """Atomically write ``data`` unless ``path`` already holds exactly it. Returns True if written."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    target = Path(path)
    if target.exists() and target.read_bytes() == raw:
        return False
    write_bytes(target, raw)
    return True


_SYSTEM_TREES = (Path("/proc"), Path("/sys"))


def check_output_dir(path: str | os.PathLike, option: str = "--output") -> Path:
    """``path`` as a :class:`Path` if a folder can be written there, else a :class:`UserError`
    naming ``option``: called before any work starts, it creates nothing.

    Accepted: an existing writable folder, or a missing one whose nearest existing parent is a
    writable folder. Refused: an existing file (or anything else that is not a folder), a path
    under /proc or /sys, a parent that is not a folder or cannot be written.
    """
    target = Path(path)
    expected = "expected a folder, existing or new, in a place you can write to"
    resolved = target.resolve()
    for tree in _SYSTEM_TREES:
        if resolved == tree or tree in resolved.parents:
            raise UserError(f"{target} is under {tree}, the kernel's tree; {expected}", option)
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} exists and is not a folder; {expected}", option)
    existing = next(p for p in (resolved, *resolved.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"{target}: {existing} is not a folder; {expected}", option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{target}: {existing} is not writable; {expected}", option)
    return target


def add_output_option(parser, default: str | None, metavar: str, help: str) -> None:
    """The ``-o/--output`` option of every command that writes files (dest ``output``), and
    ``--out``, its old spelling, kept working but left out of ``--help``."""
    parser.add_argument("-o", "--output", default=default, metavar=metavar, help=help)
    parser.add_argument("--out", dest="output", default=argparse.SUPPRESS, metavar=metavar,
                        help=argparse.SUPPRESS)
