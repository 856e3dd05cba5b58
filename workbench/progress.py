"""A small progress bar with a rate, written to stderr (silent when stderr is not a terminal
unless forced)."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")


class Progress:
    """``with Progress(total, "train", unit="img") as bar: bar.update(n, loss=0.5)``."""

    def __init__(self, total: int | None, desc: str = "", unit: str = "it",
                 stream: TextIO | None = None, enabled: bool | None = None, min_interval: float = 0.2):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.count = 0
        self.start = time.perf_counter()
        self._last = 0.0
        self.min_interval = min_interval
        self.postfix: dict[str, object] = {}

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def rate(self) -> float:
        """Units per second since the start."""
        elapsed = time.perf_counter() - self.start
        return self.count / elapsed if elapsed > 0 else 0.0

    def update(self, n: int = 1, **postfix: object) -> None:
        self.count += n
        self.postfix.update(postfix)
        now = time.perf_counter()
        if self.enabled and (now - self._last >= self.min_interval or self.count == self.total):
            self._last = now
            self._draw()

    def _draw(self, end: str = "\r") -> None:
        extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in self.postfix.items())
        if self.total:
            frac = min(1.0, self.count / self.total)
            bar = "#" * int(frac * 24)
            head = f"{self.desc} [{bar:<24}] {self.count}/{self.total}"
        else:
            head = f"{self.desc} {self.count}"
        self.stream.write(f"{head} {self.rate:,.1f} {self.unit}/s {extra}".rstrip() + end)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(end="\n")


def track(items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it",
          enabled: bool | None = None) -> Iterator[T]:
    """Iterate over ``items`` showing a progress bar."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(total, desc, unit, enabled=enabled) as bar:
        for item in items:
            yield item
            bar.update()
