"""The ``--device`` option, validated the same way by every command, before any work starts."""

from __future__ import annotations

import argparse
import re

from workbench.errors import UserError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")
_CUDA = re.compile(r"^cuda(:\d{1,2})?$")


def parse_device(name: str, option: str = "--device"):
    """A ``torch.device`` for ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``;
    anything else, or CUDA on a machine without it, is a :class:`UserError` naming ``option``."""
    text = str(name).strip().lower()
    if text not in ("auto", "cpu") and not _CUDA.match(text):   # refused before torch loads
        raise UserError(f"unknown device {name!r}; expected one of "
                        f"{', '.join(DEVICE_CHOICES)}", option)
    import torch  # imported on use: --help must not pay for torch

    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    if _CUDA.match(text):
        if not torch.cuda.is_available():
            raise UserError("CUDA is not available on this machine; use --device cpu", option)
        index = int(text.split(":")[1]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise UserError(f"{text}: this machine has {torch.cuda.device_count()} CUDA "
                            f"device(s)", option)
    return torch.device(text)


def add_device_option(parser: argparse.ArgumentParser, default: str) -> None:
    """``--device`` as every command takes it: free text, checked by :func:`parse_device` in the
    command before any work starts (so a bad name is one line and exit code 2)."""
    parser.add_argument("--device", default=default, metavar="DEVICE",
                        help=f"torch device: {', '.join(DEVICE_CHOICES)}; auto is CUDA when "
                             f"available (default: {default})")
